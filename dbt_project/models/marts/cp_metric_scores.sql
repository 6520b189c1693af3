-- Each metric score behind a principle's metric score: the metric's value, its good (100) and
-- bad (0) values and its score, one row per investee, quarter and scored metric.
with scored as (
    select * from {{ ref('int_metrics__scored') }}
)

select
    investee_id,
    period_end,
    principle_code,
    metric,
    cast(metric_value as double) as metric_value,
    cast(good as double) as good,
    cast(bad as double) as bad,
    cast(metric_score as double) as metric_score,
    submission_id
from scored
