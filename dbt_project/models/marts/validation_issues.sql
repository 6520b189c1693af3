-- Every problem found: at ingest (the ledger) and across workbooks (dbt cross-checks).
with ingest_issues as (
    select * from {{ ref('stg_ledger__issues') }}
),

cross_checks as (
    select * from {{ ref('int_validation_issues__cross_checks') }}
),

unioned as (
    select submission_id, sheet, cell, severity, rule, message from ingest_issues
    union all
    select submission_id, sheet, cell, severity, rule, message from cross_checks
)

select
    submission_id,
    sheet,
    cell,
    severity,
    rule,
    message
from unioned
