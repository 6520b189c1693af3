with submissions as (
    select * from {{ ref('int_submissions__superseded') }}
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
    superseded_by,
    error_count,
    warning_count
from submissions
