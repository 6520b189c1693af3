-- Complaints received and resolved per category, one row per investee, quarter and category of
-- the current submission's Complaints sheet (categories the sheet leaves out have no row).
with complaints as (
    select * from {{ ref('stg_raw__complaints') }}
),

current_quarters as (
    select submission_id, investee_id, period_end from {{ ref('int_portfolio__current') }}
)

select
    current_quarters.investee_id,
    current_quarters.period_end,
    complaints.category,
    cast(complaints.received as bigint) as received,
    cast(complaints.resolved as bigint) as resolved,
    cast(complaints.resolved_within_30d as bigint) as resolved_within_30d,
    cast(complaints.source_row as bigint) as source_row,
    complaints.submission_id
from complaints
inner join current_quarters on complaints.submission_id = current_quarters.submission_id
