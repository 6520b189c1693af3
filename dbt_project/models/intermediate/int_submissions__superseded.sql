-- Resubmissions: among accepted workbooks for the same investee and period, the later one
-- (by received_at, then sha256, so any re-run orders them alike) supersedes the earlier.
with submissions as (
    select * from {{ ref('stg_ledger__submissions') }}
),

accepted as (
    select
        submission_id,
        lead(submission_id) over (
            partition by investee_id, period_end
            order by received_at, file_sha256
        ) as superseded_by
    from submissions
    where status in ('accepted', 'accepted_with_warnings')
)

select
    submissions.*,
    accepted.superseded_by,
    (accepted.submission_id is not null and accepted.superseded_by is null) as is_current
from submissions
left join accepted using (submission_id)
