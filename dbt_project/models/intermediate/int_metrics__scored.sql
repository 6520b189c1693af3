-- Metric scores (methodology.md section 4): a straight line from the threshold's `good`
-- value (100) to its `bad` value (0), clamped to 0–100. Works whichever of good and bad is
-- larger. A missing metric gets no score (and so is left out of its principle).
with metrics as (
    select * from {{ ref('int_investee_quarters__metrics_unpivoted') }}
    where metric_value is not null
),

thresholds as (
    select * from {{ ref('stg_methodology__metric_thresholds') }}
),

raw_scores as (
    select
        metrics.investee_id,
        metrics.period_end,
        metrics.submission_id,
        thresholds.principle_code,
        metrics.metric,
        metrics.metric_value,
        thresholds.good,
        thresholds.bad,
        100.0 * (metrics.metric_value - thresholds.bad) / nullif(thresholds.good - thresholds.bad, 0) as unclamped_score
    from metrics
    inner join thresholds on metrics.metric = thresholds.metric
)

select
    investee_id,
    period_end,
    submission_id,
    principle_code,
    metric,
    metric_value,
    good,
    bad,
    case
        when unclamped_score < 0 then 0.0
        when unclamped_score > 100 then 100.0
        else unclamped_score
    end as metric_score
from raw_scores
