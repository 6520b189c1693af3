-- A view, not a table: loan-level rows (millions at scale) would dominate the warehouse file, and
-- only int_investee_quarters__tape_metrics reads them.
{{ config(materialized='view') }}

-- Every loan of a current loan tape, with what the tape metrics need: is it active, at risk,
-- and its debt-service-to-income ratio (dsti) with the installment made monthly by the
-- frequency of the loan's product.
with loans as (
    select * from {{ ref('stg_raw__loan_tape') }}
),

portfolio as (
    select submission_id, investee_id, period_end from {{ ref('int_portfolio__current') }}
),

products as (
    select submission_id, product_code, repayment_frequency, term_days from {{ ref('stg_raw__products') }}
),

frequencies as (
    select * from {{ ref('stg_methodology__repayment_frequencies') }}
),

joined as (
    select
        portfolio.investee_id,
        portfolio.period_end,
        loans.*,
        products.repayment_frequency,
        products.term_days,
        frequencies.installments_per_year
    from loans
    inner join portfolio on loans.submission_id = portfolio.submission_id
    left join products
        on loans.submission_id = products.submission_id
        and loans.product_code = products.product_code
    left join frequencies on products.repayment_frequency = frequencies.repayment_frequency
),

monthly as (
    select
        *,
        -- periodic installments scale by installments per month; a bullet loan's single
        -- installment is spread over its term
        case
            when installments_per_year is not null
                then installment_amount * installments_per_year / {{ methodology_parameter('months_per_year') }}
            when repayment_frequency = 'bullet'
                then installment_amount * {{ methodology_parameter('days_per_month') }} / nullif(term_days, 0)
        end as monthly_installment
    from joined
)

select
    investee_id,
    period_end,
    submission_id,
    source_row,
    loan_id,
    client_id_hash,
    national_id_hash,
    product_code,
    repayment_frequency,
    outstanding_principal,
    days_past_due,
    is_restructured,
    is_written_off,
    -- written-off loans left the portfolio: they count in no active total
    not coalesce(is_written_off, false) as is_active,
    not coalesce(is_written_off, false)
        and (days_past_due > {{ methodology_parameter('tape_par_days') }} or coalesce(is_restructured, false)) as is_at_risk,
    installment_amount,
    monthly_income,
    monthly_installment,
    monthly_installment / nullif(monthly_income, 0) as dsti,
    other_lender_loans
from monthly
