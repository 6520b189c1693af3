-- Section 3 of methodology.md: portfolio quality, outreach and complaint metrics per
-- investee and quarter, from the current accepted submission. Flows are annualised ×4.
with portfolio as (
    select * from {{ ref('int_portfolio__current') }}
),

complaints as (
    select * from {{ ref('int_complaints__totals') }}
),

joined as (
    select
        portfolio.*,
        complaints.complaints_received,
        complaints.complaints_resolved_within_30d,
        complaints.collection_complaints_received,
        (portfolio.gross_loan_portfolio_start + portfolio.gross_loan_portfolio) / 2.0 as avg_glp
    from portfolio
    left join complaints using (submission_id)
)

select
    investee_id,
    period_end,
    submission_id,
    currency,
    fx_rate_usd,
    gross_loan_portfolio,
    gross_loan_portfolio / nullif(fx_rate_usd, 0) as gross_loan_portfolio_usd,
    active_borrowers,
    par30 / nullif(gross_loan_portfolio, 0) as par30_ratio,
    par90 / nullif(gross_loan_portfolio, 0) as par90_ratio,
    restructured_portfolio / nullif(gross_loan_portfolio, 0) as restructured_ratio,
    4 * write_offs_period / nullif(avg_glp, 0) as write_off_ratio,
    4 * interest_fee_income_period / nullif(avg_glp, 0) as portfolio_yield,
    loan_loss_reserve / nullif(par30, 0) as risk_coverage,
    100.0 * active_borrowers_women / nullif(active_borrowers, 0) as women_borrowers_pct,
    active_borrowers * 1.0 / nullif(loan_officers, 0) as borrowers_per_loan_officer,
    amount_disbursed_period / nullif(loans_disbursed_period, 0) / nullif(fx_rate_usd, 0) as average_loan_disbursed_usd,
    4.0 * clients_exited_period / nullif(clients_start_period, 0) as client_exit_rate,
    4.0 * 1000 * coalesce(complaints_received, 0) / nullif(active_borrowers, 0) as complaints_per_1000,
    complaints_resolved_within_30d * 1.0 / nullif(complaints_received, 0) as complaint_resolution_30d_rate,
    case
        when coalesce(complaints_received, 0) >= 10
            then collection_complaints_received * 1.0 / complaints_received
    end as collection_complaints_share,
    multiple_lender_borrowers_pct,
    credit_bureau_checked_pct,
    data_breaches_period
from joined
