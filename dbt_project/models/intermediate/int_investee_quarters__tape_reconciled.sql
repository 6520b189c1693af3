-- The loan tape against the Portfolio sheet: relative gaps of gross portfolio, PAR30 and
-- active borrowers (TAPE_MISMATCH compares them with its threshold). Two zeros agree; a
-- non-zero tape against a zero in the sheet has no relative gap and is left null.
with tape as (
    select * from {{ ref('int_investee_quarters__tape_metrics') }}
),

portfolio as (
    select * from {{ ref('int_portfolio__current') }}
)

select
    tape.investee_id,
    tape.period_end,
    tape.submission_id,
    tape.tape_gross_loan_portfolio,
    portfolio.gross_loan_portfolio,
    case
        when tape.tape_gross_loan_portfolio = portfolio.gross_loan_portfolio then 0.0
        else abs(tape.tape_gross_loan_portfolio - portfolio.gross_loan_portfolio) / nullif(portfolio.gross_loan_portfolio, 0)
    end as tape_gross_loan_portfolio_gap,
    tape.tape_par30,
    portfolio.par30,
    case
        when tape.tape_par30 = portfolio.par30 then 0.0
        else abs(tape.tape_par30 - portfolio.par30) / nullif(portfolio.par30, 0)
    end as tape_par30_gap,
    tape.tape_active_borrowers,
    portfolio.active_borrowers,
    case
        when tape.tape_active_borrowers = portfolio.active_borrowers then 0.0
        else abs(tape.tape_active_borrowers - portfolio.active_borrowers) * 1.0 / nullif(portfolio.active_borrowers, 0)
    end as tape_active_borrowers_gap
from tape
inner join portfolio on tape.submission_id = portfolio.submission_id
