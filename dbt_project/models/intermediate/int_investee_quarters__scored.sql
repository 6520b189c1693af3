-- overall_score = weighted mean of the principle scores (principle weights from the seed),
-- with the previous calendar quarter's overall score, the change, and the peer percentile
-- among all investees of the same quarter.
with principle_scores as (
    select * from {{ ref('int_principles__scored') }}
),

overall as (
    select
        investee_id,
        period_end,
        submission_id,
        sum(case when score is not null then principle_weight * score end)
            / nullif(sum(case when score is not null then principle_weight end), 0) as overall_score
    from principle_scores
    group by investee_id, period_end, submission_id
),

ranked as (
    select
        submission_id,
        100.0 * percent_rank() over (partition by period_end order by overall_score) as overall_peer_percentile
    from overall
    where overall_score is not null
)

select
    overall.investee_id,
    overall.period_end,
    overall.submission_id,
    overall.overall_score,
    previous.overall_score as previous_overall_score,
    overall.overall_score - previous.overall_score as overall_score_change,
    ranked.overall_peer_percentile
from overall
left join ranked on overall.submission_id = ranked.submission_id
left join overall as previous
    on overall.investee_id = previous.investee_id
    and {{ previous_quarter_end('overall.period_end') }} = previous.period_end
