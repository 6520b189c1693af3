-- indicator_score(P) = 100 × Σ(weight × value) / Σ(weight) over P's answers that have a value
-- (N/A answers have none, so they leave the denominator).
with answers as (
    select * from {{ ref('int_cp_answers__valued') }}
    where scored_value is not null
)

select
    investee_id,
    period_end,
    submission_id,
    principle_code,
    count(*) as indicators_scored,
    100.0 * sum(weight * scored_value) / nullif(sum(weight), 0) as indicator_score
from answers
group by investee_id, period_end, submission_id, principle_code
