-- Every metric a seed scores, flags or traces to the workbook must be in the metric catalogue
-- (seeds/metric_catalogue.csv, from which macros/metric_names.sql is generated): a typo in a
-- seed would otherwise silently score or flag nothing. A scored metric must be an investee-level
-- column (only those are unpivoted for scoring) and count for the principle the catalogue gives it.
with catalogue as (
    select * from {{ ref('stg_methodology__metric_catalogue') }}
),

thresholds as (
    select * from {{ ref('stg_methodology__metric_thresholds') }}
),

used as (
    select 'metric_thresholds' as seed, 'investee' as scope, metric
    from thresholds
    union all
    select 'red_flag_rules' as seed, scope, metric
    from {{ ref('stg_methodology__red_flag_rules') }}
    union all
    select 'metric_sources' as seed, cast(null as varchar) as scope, metric
    from {{ ref('stg_methodology__metric_sources') }}
),

unknown as (
    select used.seed, used.scope, used.metric, 'not in the metric catalogue (for this scope)' as problem
    from used
    where not exists (
        select 1 from catalogue
        where catalogue.metric = used.metric
            and (used.scope is null or catalogue.scope = used.scope)
    )
),

misplaced as (
    select 'metric_thresholds' as seed, 'investee' as scope, thresholds.metric,
        'scored, but not an investee-level metric of principle ' || thresholds.principle_code || ' in the catalogue' as problem
    from thresholds
    where not exists (
        select 1 from catalogue
        where catalogue.metric = thresholds.metric
            and catalogue.level = 'investee'
            and catalogue.principle_code = thresholds.principle_code
    )
)

select * from unknown
union all
select * from misplaced
