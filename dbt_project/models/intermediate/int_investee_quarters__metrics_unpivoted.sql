-- The investee-level metrics in long form (one row per investee, quarter and metric), the
-- shape that metric scores and red-flag rules join to their seeds by metric name.
with metrics as (
    select * from {{ ref('int_investee_quarters__metrics') }}
)

{{ unpivot_metrics('metrics', ['investee_id', 'period_end', 'submission_id'], investee_metric_names()) }}
