with source as (
    select * from {{ source('raw', 'products') }}
    where {{ not_excluded() }}
),

renamed as (
    select
        cast(submission_id as varchar) as submission_id,
        cast(_row as bigint) as source_row,
        cast(product_code as varchar) as product_code,
        cast(product_name as varchar) as product_name,
        cast(lending_method as varchar) as lending_method,
        cast(loan_amount as double) as loan_amount,
        cast(installments as bigint) as installments,
        cast(repayment_frequency as varchar) as repayment_frequency,
        cast(term_days as bigint) as term_days,
        cast(nominal_rate_pct as double) as nominal_rate_pct,
        cast(rate_period as varchar) as rate_period,
        cast(interest_method as varchar) as interest_method,
        -- optional pricing terms: blank means none charged (the spec's default 0)
        cast(coalesce(upfront_fee_pct, 0) as double) as upfront_fee_pct,
        cast(coalesce(upfront_fee_flat, 0) as double) as upfront_fee_flat,
        cast(coalesce(insurance_pct, 0) as double) as insurance_pct,
        cast(coalesce(compulsory_savings_pct, 0) as double) as compulsory_savings_pct,
        cast(coalesce(tax_on_interest_pct, 0) as double) as tax_on_interest_pct,
        -- blank stays null: it means "not disclosed"
        cast(disclosed_apr_pct as double) as disclosed_apr_pct,
        cast(active_loans as bigint) as active_loans,
        cast(outstanding_portfolio as double) as outstanding_portfolio
    from source
)

select * from renamed
