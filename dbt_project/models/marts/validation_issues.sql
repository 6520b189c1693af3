with issues as (
    select * from {{ ref('stg_ledger__issues') }}
)

select
    submission_id,
    sheet,
    cell,
    severity,
    rule,
    message
from issues
