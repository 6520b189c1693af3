-- Each self-assessment answer of a current submission with its value in the indicator score:
-- the answer's value (Yes 1, Partially 0.5, No 0), or its value without evidence when the
-- evidence column is empty; N/A has no value and so leaves the denominator.
with answers as (
    select * from {{ ref('stg_raw__cp_assessment') }}
),

current_quarters as (
    select submission_id, investee_id, period_end from {{ ref('int_portfolio__current') }}
),

indicators as (
    select * from {{ ref('stg_methodology__indicators') }}
),

answer_values as (
    select * from {{ ref('stg_methodology__answer_values') }}
)

select
    current_quarters.investee_id,
    current_quarters.period_end,
    answers.submission_id,
    answers.source_row,
    answers.indicator_code,
    indicators.principle_code,
    indicators.is_essential,
    indicators.weight,
    answers.response,
    answers.evidence is not null as has_evidence,
    answer_values.value as answer_value,
    case
        when answers.evidence is null then answer_values.value_without_evidence
        else answer_values.value
    end as scored_value
from answers
inner join current_quarters on answers.submission_id = current_quarters.submission_id
-- answers to codes outside the catalogue are rejected at validation; the join drops any left
inner join indicators on answers.indicator_code = indicators.indicator_code
left join answer_values on answers.response = answer_values.response
