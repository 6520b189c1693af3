-- Rating and screening (methodology.md section 5). The rating is the band of the overall
-- score, lowered to the cap of the most severe capping flag (critical → C); the screening is
-- the worst outcome that the rating or any flag's severity gives.
with scored as (
    select * from {{ ref('int_investee_quarters__scored') }}
),

flags as (
    select * from {{ ref('int_red_flags__raised') }}
),

bands as (
    select * from {{ ref('stg_methodology__rating_bands') }}
),

severities as (
    select * from {{ ref('stg_methodology__red_flag_severities') }}
),

outcomes as (
    select * from {{ ref('stg_methodology__screening_outcomes') }}
),

score_bands as (
    select
        scored.submission_id,
        bands.min_score,
        row_number() over (partition by scored.submission_id order by bands.min_score desc) as band_rank
    from scored
    inner join bands on scored.overall_score >= bands.min_score
),

flag_effects as (
    select
        flags.submission_id,
        severities.screening,
        cap_bands.min_score as cap_min_score
    from flags
    inner join severities on flags.severity = severities.severity
    left join bands as cap_bands on severities.rating_cap = cap_bands.rating
),

flag_counts as (
    select
        submission_id,
        sum(case when severity = 'critical' then 1 else 0 end) as critical_flags,
        sum(case when severity = 'high' then 1 else 0 end) as high_flags,
        sum(case when severity = 'medium' then 1 else 0 end) as medium_flags
    from flags
    group by submission_id
),

caps as (
    select submission_id, min(cap_min_score) as cap_min_score
    from flag_effects
    group by submission_id
),

rated as (
    select
        scored.*,
        score_bands.min_score as uncapped_min_score,
        case
            when caps.cap_min_score < score_bands.min_score then caps.cap_min_score
            else score_bands.min_score
        end as rated_min_score
    from scored
    left join score_bands
        on scored.submission_id = score_bands.submission_id
        and score_bands.band_rank = 1
    left join caps on scored.submission_id = caps.submission_id
),

screenings as (
    select rated.submission_id, bands.screening
    from rated
    inner join bands on rated.rated_min_score = bands.min_score
    union all
    select submission_id, screening
    from flag_effects
),

worst_screening as (
    select screenings.submission_id, min(outcomes.screening_order) as screening_order
    from screenings
    inner join outcomes on screenings.screening = outcomes.screening
    group by screenings.submission_id
)

select
    rated.investee_id,
    rated.period_end,
    rated.submission_id,
    rated.overall_score,
    rated.previous_overall_score,
    rated.overall_score_change,
    rated.overall_peer_percentile,
    uncapped_bands.rating as uncapped_rating,
    rated_bands.rating,
    outcomes.screening,
    coalesce(flag_counts.critical_flags, 0) as critical_flags,
    coalesce(flag_counts.high_flags, 0) as high_flags,
    coalesce(flag_counts.medium_flags, 0) as medium_flags
from rated
left join bands as uncapped_bands on rated.uncapped_min_score = uncapped_bands.min_score
left join bands as rated_bands on rated.rated_min_score = rated_bands.min_score
left join worst_screening on rated.submission_id = worst_screening.submission_id
left join outcomes on worst_screening.screening_order = outcomes.screening_order
left join flag_counts on rated.submission_id = flag_counts.submission_id
