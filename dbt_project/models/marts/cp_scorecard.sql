-- The client-protection scorecard: one row per investee and quarter.
with rated as (
    select * from {{ ref('int_investee_quarters__rated') }}
),

portfolio as (
    select submission_id, institution_name, country from {{ ref('int_portfolio__current') }}
)

select
    rated.investee_id,
    rated.period_end,
    cast('{{ var("methodology_version") }}' as varchar) as methodology_version,
    cast(rated.overall_score as double) as overall_score,
    cast(rated.previous_overall_score as double) as previous_overall_score,
    rated.rating,
    rated.screening,
    cast(rated.critical_flags as bigint) as critical_flags,
    cast(rated.high_flags as bigint) as high_flags,
    cast(rated.medium_flags as bigint) as medium_flags,
    cast(rated.overall_score_change as double) as overall_score_change,
    cast(rated.overall_peer_percentile as double) as overall_peer_percentile,
    rated.uncapped_rating,
    portfolio.institution_name,
    portfolio.country,
    rated.submission_id
from rated
inner join portfolio on rated.submission_id = portfolio.submission_id
