-- Client identifiers arrive as keyed hashes (ingest pseudonymises them); the names say so.
with source as (
    select * from {{ source('raw', 'loan_tape') }}
    where {{ not_excluded() }}
),

renamed as (
    select
        cast(submission_id as varchar) as submission_id,
        cast(_row as bigint) as source_row,
        cast(loan_id as varchar) as loan_id,
        cast(client_id as varchar) as client_id_hash,
        cast(national_id as varchar) as national_id_hash,
        cast(gender as varchar) as gender,
        cast(rural as boolean) as is_rural,
        cast(branch as varchar) as branch,
        cast(product_code as varchar) as product_code,
        cast(disbursement_date as date) as disbursement_date,
        cast(maturity_date as date) as maturity_date,
        cast(disbursed_amount as double) as disbursed_amount,
        cast(outstanding_principal as double) as outstanding_principal,
        cast(days_past_due as bigint) as days_past_due,
        cast(restructured as boolean) as is_restructured,
        cast(written_off as boolean) as is_written_off,
        cast(installment_amount as double) as installment_amount,
        cast(monthly_income as double) as monthly_income,
        cast(other_lender_loans as bigint) as other_lender_loans
    from source
)

select * from renamed
