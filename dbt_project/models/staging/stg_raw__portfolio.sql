with source as (
    select * from {{ source('raw', 'portfolio') }}
    where {{ not_excluded() }}
),

renamed as (
    select
        cast(submission_id as varchar) as submission_id,
        cast(active_borrowers as bigint) as active_borrowers,
        cast(active_borrowers_women as bigint) as active_borrowers_women,
        cast(active_borrowers_rural as bigint) as active_borrowers_rural,
        cast(gross_loan_portfolio as double) as gross_loan_portfolio,
        cast(gross_loan_portfolio_start as double) as gross_loan_portfolio_start,
        cast(par30 as double) as par30,
        cast(par90 as double) as par90,
        cast(restructured_portfolio as double) as restructured_portfolio,
        cast(write_offs_period as double) as write_offs_period,
        cast(loan_loss_reserve as double) as loan_loss_reserve,
        cast(loans_disbursed_period as bigint) as loans_disbursed_period,
        cast(amount_disbursed_period as double) as amount_disbursed_period,
        cast(interest_fee_income_period as double) as interest_fee_income_period,
        cast(operating_expenses_period as double) as operating_expenses_period,
        cast(loan_officers as bigint) as loan_officers,
        cast(clients_start_period as bigint) as clients_start_period,
        cast(clients_exited_period as bigint) as clients_exited_period,
        cast(credit_bureau_checked_pct as double) as credit_bureau_checked_pct,
        cast(multiple_lender_borrowers_pct as double) as multiple_lender_borrowers_pct,
        cast(data_breaches_period as bigint) as data_breaches_period,
        cast(staff_trained_cp_pct as double) as staff_trained_cp_pct
    from source
)

select * from renamed
