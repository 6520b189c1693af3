with source as (
    select * from {{ source('ledger', 'submissions') }}
)

select
    submission_id,
    investee_id,
    period_end,
    file_name,
    file_sha256,
    received_at,
    status,
    reason,
    errors as error_count,
    warnings as warning_count,
    language
from source
