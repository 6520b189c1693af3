-- How many of each loan tape's borrowers fall in each band of debt-service-to-income (their
-- highest DSTI over their active loans): bands of 10 points up to 100 %, then one band above.
-- Bands are (lower, upper]; a band whose lower bound is at or above the methodology's
-- dsti_limit counts towards dsti_over_50_share, so those bands' shares add up to it.
with borrowers as (
    select * from {{ ref('int_borrowers__assessed') }}
    where max_dsti is not null
),

banded as (
    select
        investee_id,
        period_end,
        submission_id,
        case
            when max_dsti <= 0.1 then 1
            when max_dsti > 1.0 then 11
            else cast(ceil(max_dsti * 10) as integer)
        end as band_order
    from borrowers
),

counted as (
    select investee_id, period_end, submission_id, band_order, count(*) as borrowers
    from banded
    group by investee_id, period_end, submission_id, band_order
)

select
    investee_id,
    period_end,
    cast(band_order as integer) as band_order,
    cast((band_order - 1) / 10.0 as double) as lower_bound,
    cast(case when band_order = 11 then null else band_order / 10.0 end as double) as upper_bound,
    cast(borrowers as bigint) as borrowers,
    cast(1.0 * borrowers / sum(borrowers) over (partition by submission_id) as double) as borrower_share,
    (band_order - 1) / 10.0 >= {{ methodology_parameter('dsti_limit') }} as is_over_limit,
    submission_id
from counted
