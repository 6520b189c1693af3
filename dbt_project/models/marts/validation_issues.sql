-- Every problem found: at ingest (the ledger) and across workbooks (dbt cross-checks).
with ingest_issues as (
    select * from {{ ref('stg_ledger__issues') }}
),

cross_checks as (
    select * from {{ ref('int_validation_issues__cross_checks') }}
),

unioned as (
    select submission_id, sheet, cell, severity, rule, message, code, params from ingest_issues
    union all
    -- the cross-checks are worded in SQL in English, with the catalogue's code and parameters
    select submission_id, sheet, cell, severity, rule, message, code, params from cross_checks
)

select
    submission_id,
    sheet,
    cell,
    severity,
    rule,
    message,
    code,
    params
from unioned
