with source as (
    select * from {{ source('ledger', 'issues') }}
)

select submission_id, sheet, cell, severity, rule, message
from source
