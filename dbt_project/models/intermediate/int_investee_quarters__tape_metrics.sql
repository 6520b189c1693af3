-- Loan-tape metrics per investee and quarter (methodology.md section 3, "Loan tape"); only
-- investees that sent a tape get a row. Borrower shares count distinct hashed clients of
-- active loans, among those for whom the tape gives the fields the share needs.
with loans as (
    select * from {{ ref('int_loans__assessed') }}
),

borrowers as (
    select * from {{ ref('int_borrowers__assessed') }}
),

cross_investee as (
    select * from {{ ref('int_borrowers__cross_investee') }}
),

loan_totals as (
    select
        submission_id,
        investee_id,
        period_end,
        count(*) as tape_loans,
        sum(case when is_active then outstanding_principal else 0 end) as tape_gross_loan_portfolio,
        sum(case when is_at_risk then outstanding_principal else 0 end) as tape_par30
    from loans
    group by submission_id, investee_id, period_end
),

borrower_totals as (
    select
        submission_id,
        count(*) as tape_active_borrowers,
        1.0 * sum(case when max_dsti > {{ methodology_parameter('dsti_limit') }} then 1 else 0 end)
            / nullif(count(max_dsti), 0) as dsti_over_50_share,
        1.0 * sum(case when max_other_lender_loans >= {{ methodology_parameter('multi_lender_min_other_loans') }} then 1 else 0 end)
            / nullif(count(max_other_lender_loans), 0) as multi_lender_share
    from borrowers
    group by submission_id
),

cross_totals as (
    select
        submission_id,
        1.0 * sum(case when is_shared then 1 else 0 end) / count(*) as cross_investee_share
    from cross_investee
    group by submission_id
)

select
    loan_totals.investee_id,
    loan_totals.period_end,
    loan_totals.submission_id,
    loan_totals.tape_loans,
    loan_totals.tape_gross_loan_portfolio,
    loan_totals.tape_par30,
    coalesce(borrower_totals.tape_active_borrowers, 0) as tape_active_borrowers,
    loan_totals.tape_par30 / nullif(loan_totals.tape_gross_loan_portfolio, 0) as tape_par30_ratio,
    borrower_totals.dsti_over_50_share,
    borrower_totals.multi_lender_share,
    cross_totals.cross_investee_share
from loan_totals
left join borrower_totals on loan_totals.submission_id = borrower_totals.submission_id
left join cross_totals on loan_totals.submission_id = cross_totals.submission_id
