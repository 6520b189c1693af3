-- One score per investee, quarter and client-protection principle.
with principle_scores as (
    select * from {{ ref('int_principles__scored') }}
),

-- n: the investees scored for the principle that quarter
peer_counts as (
    select period_end, principle_code, count(score) as peer_count
    from principle_scores
    group by period_end, principle_code
),

-- where each score stands among them, ties counted half (methodology.md section 4)
peer_ranks as (
    select
        submission_id,
        principle_code,
        rank() over (partition by period_end, principle_code order by score) - 1 as peers_below,
        count(*) over (partition by period_end, principle_code, score) - 1 as peers_tied
    from principle_scores
    where score is not null
)

select
    principle_scores.investee_id,
    principle_scores.period_end,
    principle_scores.principle_code,
    principle_scores.principle_name,
    cast(principle_scores.indicator_score as double) as indicator_score,
    cast(principle_scores.metric_score as double) as metric_score,
    cast(principle_scores.score as double) as score,
    cast(principle_scores.previous_score as double) as previous_score,
    {{ midrank_percentile('peer_ranks.peers_below', 'peer_ranks.peers_tied', 'peer_counts.peer_count') }} as peer_percentile,
    cast(principle_scores.indicators_scored as bigint) as indicators_scored,
    cast(principle_scores.metrics_scored as bigint) as metrics_scored,
    cast(principle_scores.principle_weight as double) as principle_weight,
    principle_scores.submission_id,
    cast(peer_counts.peer_count as bigint) as peer_count,
    {{ midrank_percentile('peer_ranks.peers_below', 'peer_ranks.peers_tied', 'peer_counts.peer_count') }} as peer_percentile_midrank
from principle_scores
inner join peer_counts
    on principle_scores.period_end = peer_counts.period_end
    and principle_scores.principle_code = peer_counts.principle_code
left join peer_ranks
    on principle_scores.submission_id = peer_ranks.submission_id
    and principle_scores.principle_code = peer_ranks.principle_code
