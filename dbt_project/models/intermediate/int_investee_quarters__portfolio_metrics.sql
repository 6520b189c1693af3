-- Section 3 metrics from the Portfolio and Complaints sheets, per investee and quarter.
-- Ratios are fractions unless named _pct; quarterly flows are annualised.
with portfolio as (
    select * from {{ ref('int_portfolio__current') }}
),

complaints as (
    select * from {{ ref('int_complaints__totals') }}
),

joined as (
    select
        portfolio.*,
        -- a workbook without complaint rows received none
        coalesce(complaints.complaints_received, 0) as complaints_received,
        coalesce(complaints.complaints_resolved_within_30d, 0) as complaints_resolved_within_30d,
        coalesce(complaints.collection_complaints_received, 0) as collection_complaints_received,
        (portfolio.gross_loan_portfolio_start + portfolio.gross_loan_portfolio) / 2.0 as avg_glp,
        {{ methodology_parameter('annualisation_factor') }} as annualisation_factor
    from portfolio
    left join complaints on portfolio.submission_id = complaints.submission_id
)

select
    submission_id,
    investee_id,
    period_end,
    institution_name,
    country,
    currency,
    fx_rate_usd,
    gross_loan_portfolio,
    gross_loan_portfolio / nullif(fx_rate_usd, 0) as gross_loan_portfolio_usd,
    active_borrowers,
    par30,
    par30 / nullif(gross_loan_portfolio, 0) as par30_ratio,
    par90 / nullif(gross_loan_portfolio, 0) as par90_ratio,
    restructured_portfolio / nullif(gross_loan_portfolio, 0) as restructured_ratio,
    annualisation_factor * write_offs_period / nullif(avg_glp, 0) as write_off_ratio,
    annualisation_factor * interest_fee_income_period / nullif(avg_glp, 0) as portfolio_yield,
    loan_loss_reserve / nullif(par30, 0) as risk_coverage,
    100.0 * active_borrowers_women / nullif(active_borrowers, 0) as women_borrowers_pct,
    1.0 * active_borrowers / nullif(loan_officers, 0) as borrowers_per_loan_officer,
    amount_disbursed_period / nullif(loans_disbursed_period, 0) / nullif(fx_rate_usd, 0) as average_loan_disbursed_usd,
    annualisation_factor * clients_exited_period / nullif(clients_start_period, 0) as client_exit_rate,
    complaints_received,
    annualisation_factor * 1000.0 * complaints_received / nullif(active_borrowers, 0) as complaints_per_1000,
    1.0 * complaints_resolved_within_30d / nullif(complaints_received, 0) as complaint_resolution_30d_rate,
    case
        when complaints_received >= {{ methodology_parameter('min_complaints_for_collection_share') }}
            then 1.0 * collection_complaints_received / complaints_received
    end as collection_complaints_share,
    multiple_lender_borrowers_pct,
    credit_bureau_checked_pct,
    data_breaches_period
from joined
