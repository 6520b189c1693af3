-- Every metric that a seed scores or flags must be one the models compute (macros/metric_names.sql):
-- a typo in a seed would otherwise silently score or flag nothing.
with known as (
    {%- for metric in investee_metric_names() %}
    select 'investee' as scope, '{{ metric }}' as metric union all
    {%- endfor %}
    {%- for metric in product_metric_names() %}
    select 'product' as scope, '{{ metric }}' as metric union all
    {%- endfor %}
    select 'investee' as scope, 'overall_score_change' as metric union all
    select 'indicator' as scope, 'essential_indicator_answer' as metric
),

used as (
    select 'metric_thresholds' as seed, 'investee' as scope, metric
    from {{ ref('stg_methodology__metric_thresholds') }}
    union all
    select 'red_flag_rules' as seed, scope, metric
    from {{ ref('stg_methodology__red_flag_rules') }}
    union all
    select 'metric_sources' as seed, cast(null as varchar) as scope, metric
    from {{ ref('stg_methodology__metric_sources') }}
)

select used.*
from used
where not exists (
    select 1 from known
    where known.metric = used.metric
        and (used.scope is null or known.scope = used.scope)
)
  -- metric_sources also documents product-level prices shown in product_pricing
  and not (used.seed = 'metric_sources' and used.metric in ('apr_pct', 'transparency_index', 'gross_loan_portfolio'))
