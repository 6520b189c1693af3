-- Every metric of methodology.md section 3 per investee and quarter: the Portfolio and
-- Complaints metrics, investee-level pricing, the loan tape and its reconciliation, and the
-- change of PAR30 against the previous calendar quarter (null when that quarter is missing).
with portfolio_metrics as (
    select * from {{ ref('int_investee_quarters__portfolio_metrics') }}
),

pricing as (
    select * from {{ ref('int_investee_quarters__pricing_metrics') }}
),

tape as (
    select * from {{ ref('int_investee_quarters__tape_metrics') }}
),

reconciled as (
    select * from {{ ref('int_investee_quarters__tape_reconciled') }}
),

joined as (
    select
        portfolio_metrics.*,
        {{ previous_quarter_end('portfolio_metrics.period_end') }} as previous_period_end,
        pricing.weighted_apr_pct,
        pricing.apr_disclosed_share,
        pricing.max_apr_understatement_pp,
        pricing.weighted_transparency_index,
        pricing.apr_to_peer_median,
        tape.submission_id is not null as has_loan_tape,
        tape.tape_loans,
        tape.tape_par30_ratio,
        tape.dsti_over_50_share,
        tape.multi_lender_share,
        tape.cross_investee_share,
        tape.tape_gross_loan_portfolio,
        tape.tape_par30,
        tape.tape_active_borrowers,
        reconciled.tape_gross_loan_portfolio_gap,
        reconciled.tape_par30_gap,
        reconciled.tape_active_borrowers_gap
    from portfolio_metrics
    left join pricing on portfolio_metrics.submission_id = pricing.submission_id
    left join tape on portfolio_metrics.submission_id = tape.submission_id
    left join reconciled on portfolio_metrics.submission_id = reconciled.submission_id
)

select
    joined.*,
    previous.par30_ratio as previous_par30_ratio,
    joined.par30_ratio - previous.par30_ratio as par30_ratio_change
from joined
left join portfolio_metrics as previous
    on joined.investee_id = previous.investee_id
    and joined.previous_period_end = previous.period_end
