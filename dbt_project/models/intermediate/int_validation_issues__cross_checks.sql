-- Validation warnings that need more than one workbook, so they are found here rather than
-- at ingest (submission spec, "Validation outcome"): the cross-quarter check of the opening
-- portfolio, and the loan-tape reconciliation with the Portfolio sheet. The tape tolerance is
-- the TAPE_MISMATCH rule's threshold, so the warning and the flag always agree.
with portfolio as (
    select * from {{ ref('int_portfolio__current') }}
),

reconciled as (
    select * from {{ ref('int_investee_quarters__tape_reconciled') }}
),

provenance as (
    select * from {{ ref('stg_raw__provenance') }}
),

tape_rules as (
    select metric, threshold from {{ ref('stg_methodology__red_flag_rules') }}
    where flag_code = 'TAPE_MISMATCH'
),

cross_quarter as (
    select
        cur.submission_id,
        'Portfolio' as sheet,
        'gross_loan_portfolio_start' as field,
        'warning' as severity,
        'gross_loan_portfolio_start:previous_quarter' as rule,
        'gross_loan_portfolio_start (' || cast(round(cur.gross_loan_portfolio_start, 0) as varchar)
        || ') differs by more than ' || cast(round(100 * {{ methodology_parameter('cross_quarter_glp_tolerance') }}, 1) as varchar)
        || ' % from the gross_loan_portfolio of the previous quarter (' || cast(round(prev.gross_loan_portfolio, 0) as varchar) || ').' as message,
        -- the catalogue's code and parameters (smartdd/messages), so the warning can be said in any language
        'opening_portfolio_differs' as code,
        '{"previous":' || {{ json_number('round(prev.gross_loan_portfolio, 0)') }}
        || ',"start":' || {{ json_number('round(cur.gross_loan_portfolio_start, 0)') }}
        || ',"tolerance_pct":' || {{ json_number("round(100 * " ~ methodology_parameter('cross_quarter_glp_tolerance') ~ ", 1)") }} || '}' as params
    from portfolio as cur
    inner join portfolio as prev
        on cur.investee_id = prev.investee_id
        and prev.period_end = {{ previous_quarter_end('cur.period_end') }}
    where abs(cur.gross_loan_portfolio_start - prev.gross_loan_portfolio)
        > {{ methodology_parameter('cross_quarter_glp_tolerance') }} * prev.gross_loan_portfolio
),

tape_gaps as (
    select submission_id, 'gross_loan_portfolio' as field, tape_gross_loan_portfolio_gap as gap, 'tape_gross_loan_portfolio_gap' as metric,
        cast(round(tape_gross_loan_portfolio, 0) as varchar) as tape_value
    from reconciled
    union all
    select submission_id, 'par30', tape_par30_gap, 'tape_par30_gap', cast(round(tape_par30, 0) as varchar) from reconciled
    union all
    select submission_id, 'active_borrowers', tape_active_borrowers_gap, 'tape_active_borrowers_gap', cast(tape_active_borrowers as varchar) from reconciled
),

tape_mismatch as (
    select
        tape_gaps.submission_id,
        'Portfolio' as sheet,
        tape_gaps.field,
        'warning' as severity,
        tape_gaps.field || ':loan_tape_reconciliation' as rule,
        'The loan tape gives ' || tape_gaps.tape_value || ' for ' || tape_gaps.field || ', more than '
        || cast(round(100 * tape_rules.threshold, 1) as varchar) || ' % away from the Portfolio sheet (off by '
        || cast(round(100 * tape_gaps.gap, 1) as varchar) || ' %).' as message,
        'tape_differs_from_portfolio' as code,
        '{"field":' || {{ json_string('tape_gaps.field') }}
        || ',"gap_pct":' || {{ json_number('round(100 * tape_gaps.gap, 1)') }}
        || ',"tape_value":' || {{ json_number('tape_gaps.tape_value') }}
        || ',"threshold_pct":' || {{ json_number('round(100 * tape_rules.threshold, 1)') }} || '}' as params
    from tape_gaps
    inner join tape_rules on tape_gaps.metric = tape_rules.metric
    where tape_gaps.gap > tape_rules.threshold
),

-- A product whose terms cannot be priced is left out of the averages; the investee hears why.
unpriced as (
    select
        submission_id,
        'Products' as sheet,
        'product_code' as field,
        'warning' as severity,
        'product_code:pricing' as rule,
        'Product ' || product_code || ' could not be priced: ' || pricing_error || ' It is left out of the pricing averages.' as message,
        'product_not_priced' as code,
        '{"error":' || {{ json_string('pricing_error') }} || ',"product_code":' || {{ json_string('product_code') }} || '}' as params
    from {{ ref('int_products__priced') }}
    where pricing_error is not null
),

unioned as (
    select * from cross_quarter
    union all
    select * from tape_mismatch
    union all
    select * from unpriced
)

select
    unioned.submission_id,
    unioned.sheet,
    coalesce(provenance.column_letter || cast(provenance.row_number as varchar), '') as cell,
    unioned.severity,
    unioned.rule,
    unioned.message,
    unioned.code,
    unioned.params
from unioned
left join provenance
    on unioned.submission_id = provenance.submission_id
    and provenance.sheet = unioned.sheet
    and provenance.field = unioned.field
