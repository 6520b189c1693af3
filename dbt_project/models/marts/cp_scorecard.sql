-- The client-protection scorecard: one row per investee and quarter.
with rated as (
    select * from {{ ref('int_investee_quarters__rated') }}
),

portfolio as (
    select submission_id, institution_name, country from {{ ref('int_portfolio__current') }}
),

cover as (
    select submission_id, language from {{ ref('stg_raw__cover') }}
),

-- where the overall score stands among the quarter's, ties counted half (as cp_principle_scores)
peers as (
    select
        submission_id,
        count(*) over (partition by period_end) as peer_count,
        rank() over (partition by period_end order by overall_score) - 1 as peers_below,
        count(*) over (partition by period_end, overall_score) - 1 as peers_tied
    from rated
    where overall_score is not null
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
    {{ midrank_percentile('peers.peers_below', 'peers.peers_tied', 'peers.peer_count') }} as overall_peer_percentile,
    rated.uncapped_rating,
    portfolio.institution_name,
    portfolio.country,
    rated.submission_id,
    coalesce(cover.language, 'en') as language,
    cast(peers.peer_count as bigint) as overall_peer_count,
    {{ midrank_percentile('peers.peers_below', 'peers.peers_tied', 'peers.peer_count') }} as overall_peer_percentile_midrank
from rated
inner join portfolio on rated.submission_id = portfolio.submission_id
left join cover on rated.submission_id = cover.submission_id
left join peers on rated.submission_id = peers.submission_id
