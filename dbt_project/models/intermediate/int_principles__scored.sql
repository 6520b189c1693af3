-- score(P) blends the indicator score and the mean metric score with the methodology's
-- weights; a principle with only one of the two takes that one. previous_score is the same
-- principle's score in the previous calendar quarter; peer_percentile ranks the score among
-- all investees of the same quarter (0 = lowest, 100 = highest).
with quarters as (
    select submission_id, investee_id, period_end from {{ ref('int_portfolio__current') }}
),

principles as (
    select * from {{ ref('stg_methodology__principles') }}
),

indicator_scores as (
    select * from {{ ref('int_principles__indicator_scored') }}
),

metric_scores as (
    select
        submission_id,
        principle_code,
        count(*) as metrics_scored,
        avg(metric_score) as metric_score
    from {{ ref('int_metrics__scored') }}
    group by submission_id, principle_code
),

blend as (
    select
        {{ methodology_parameter('indicator_score_weight') }} as indicator_weight,
        {{ methodology_parameter('metric_score_weight') }} as metric_weight
),

scored as (
    select
        quarters.investee_id,
        quarters.period_end,
        quarters.submission_id,
        principles.principle_code,
        principles.principle_name,
        principles.weight as principle_weight,
        coalesce(indicator_scores.indicators_scored, 0) as indicators_scored,
        indicator_scores.indicator_score,
        coalesce(metric_scores.metrics_scored, 0) as metrics_scored,
        metric_scores.metric_score,
        case
            when indicator_scores.indicator_score is not null and metric_scores.metric_score is not null
                then (blend.indicator_weight * indicator_scores.indicator_score + blend.metric_weight * metric_scores.metric_score)
                    / (blend.indicator_weight + blend.metric_weight)
            else coalesce(indicator_scores.indicator_score, metric_scores.metric_score)
        end as score
    from quarters
    cross join principles
    cross join blend
    left join indicator_scores
        on quarters.submission_id = indicator_scores.submission_id
        and principles.principle_code = indicator_scores.principle_code
    left join metric_scores
        on quarters.submission_id = metric_scores.submission_id
        and principles.principle_code = metric_scores.principle_code
),

ranked as (
    select
        submission_id,
        principle_code,
        100.0 * percent_rank() over (partition by period_end, principle_code order by score) as peer_percentile
    from scored
    where score is not null
)

select
    scored.*,
    ranked.peer_percentile,
    previous.score as previous_score
from scored
left join ranked
    on scored.submission_id = ranked.submission_id
    and scored.principle_code = ranked.principle_code
left join scored as previous
    on scored.investee_id = previous.investee_id
    and scored.principle_code = previous.principle_code
    and {{ previous_quarter_end('scored.period_end') }} = previous.period_end
