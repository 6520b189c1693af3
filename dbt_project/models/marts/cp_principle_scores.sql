-- One score per investee, quarter and client-protection principle.
with principle_scores as (
    select * from {{ ref('int_principles__scored') }}
)

select
    investee_id,
    period_end,
    principle_code,
    principle_name,
    cast(indicator_score as double) as indicator_score,
    cast(metric_score as double) as metric_score,
    cast(score as double) as score,
    cast(previous_score as double) as previous_score,
    cast(peer_percentile as double) as peer_percentile,
    cast(indicators_scored as bigint) as indicators_scored,
    cast(metrics_scored as bigint) as metrics_scored,
    cast(principle_weight as double) as principle_weight,
    submission_id
from principle_scores
