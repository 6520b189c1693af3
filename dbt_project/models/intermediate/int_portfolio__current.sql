-- The Cover and Portfolio figures of each investee's current submission per quarter: the one
-- row per investee and quarter that every score starts from.
with current_submissions as (
    select submission_id from {{ ref('int_submissions__superseded') }}
    where is_current
),

cover as (
    select * from {{ ref('stg_raw__cover') }}
),

portfolio as (
    select * from {{ ref('stg_raw__portfolio') }}
)

select
    cover.submission_id,
    cover.investee_id,
    cover.institution_name,
    cover.country,
    cover.currency,
    cover.period_end,
    -- the spec lets a USD reporter leave fx_rate_usd blank: one USD is one USD
    case when cover.currency = 'USD' then coalesce(cover.fx_rate_usd, 1.0) else cover.fx_rate_usd end as fx_rate_usd,
    cover.legal_form,
    portfolio.active_borrowers,
    portfolio.active_borrowers_women,
    portfolio.active_borrowers_rural,
    portfolio.gross_loan_portfolio,
    portfolio.gross_loan_portfolio_start,
    portfolio.par30,
    portfolio.par90,
    portfolio.restructured_portfolio,
    portfolio.write_offs_period,
    portfolio.loan_loss_reserve,
    portfolio.loans_disbursed_period,
    portfolio.amount_disbursed_period,
    portfolio.interest_fee_income_period,
    portfolio.operating_expenses_period,
    portfolio.loan_officers,
    portfolio.clients_start_period,
    portfolio.clients_exited_period,
    portfolio.credit_bureau_checked_pct,
    portfolio.multiple_lender_borrowers_pct,
    portfolio.data_breaches_period,
    portfolio.staff_trained_cp_pct
from cover
inner join current_submissions on cover.submission_id = current_submissions.submission_id
inner join portfolio on cover.submission_id = portfolio.submission_id
