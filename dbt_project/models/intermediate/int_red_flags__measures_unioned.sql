-- Everything a red-flag rule can compare, in one long shape: investee metrics, the change of
-- the overall score, product metrics, and the answers to essential indicators.
with investee_metrics as (
    select * from {{ ref('int_investee_quarters__metrics_unpivoted') }}
),

overall_scores as (
    select * from {{ ref('int_investee_quarters__scored') }}
),

products as (
    select * from {{ ref('int_products__peer_benchmarked') }}
),

product_metrics as (
    {{ unpivot_metrics('products', ['investee_id', 'period_end', 'submission_id', 'product_code'], product_metric_names()) }}
),

essential_answers as (
    select * from {{ ref('int_cp_answers__valued') }}
    where is_essential
)

select
    investee_id, period_end, submission_id,
    'investee' as scope,
    cast(null as varchar) as subject_code,
    cast(null as varchar) as subject_principle_code,
    metric,
    metric_value,
    cast(null as varchar) as answer
from investee_metrics

union all

select
    investee_id, period_end, submission_id,
    'investee' as scope,
    cast(null as varchar) as subject_code,
    cast(null as varchar) as subject_principle_code,
    'overall_score_change' as metric,
    overall_score_change as metric_value,
    cast(null as varchar) as answer
from overall_scores

union all

select
    investee_id, period_end, submission_id,
    'product' as scope,
    product_code as subject_code,
    cast(null as varchar) as subject_principle_code,
    metric,
    metric_value,
    cast(null as varchar) as answer
from product_metrics

union all

select
    investee_id, period_end, submission_id,
    'indicator' as scope,
    indicator_code as subject_code,
    principle_code as subject_principle_code,
    'essential_indicator_answer' as metric,
    -- the answer itself, evidence or not: an unevidenced Yes is still not a No
    answer_value as metric_value,
    response as answer
from essential_answers
