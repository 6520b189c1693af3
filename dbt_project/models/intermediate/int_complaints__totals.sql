-- Complaint totals per submission; categories missing from the sheet count as zero.
with complaints as (
    select * from {{ ref('stg_raw__complaints') }}
)

select
    submission_id,
    sum(received) as complaints_received,
    sum(resolved) as complaints_resolved,
    sum(resolved_within_30d) as complaints_resolved_within_30d,
    sum(case when category = 'collection_practices' then received else 0 end) as collection_complaints_received
from complaints
group by submission_id
