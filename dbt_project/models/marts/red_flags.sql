-- One row per red flag raised: investee-quarter flags once, product and indicator flags once
-- per product or indicator concerned.
with flags as (
    select * from {{ ref('int_red_flags__raised') }}
)

select
    investee_id,
    period_end,
    flag_code,
    principle_code,
    severity,
    detail,
    evidence,
    scope,
    subject_code,
    source_cells,
    submission_id
from flags
