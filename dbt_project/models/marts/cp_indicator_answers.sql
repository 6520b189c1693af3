-- Every self-assessment answer behind the indicator scores, one row per investee, quarter and
-- indicator, with the workbook cell of the answer (what the reports show under each principle).
with answers as (
    select * from {{ ref('int_cp_answers__valued') }}
),

texts as (
    select submission_id, source_row, evidence, comment from {{ ref('stg_raw__cp_assessment') }}
),

response_column as (
    select submission_id, column_letter
    from {{ ref('stg_raw__provenance') }}
    where sheet = 'CP_Assessment' and field = 'response'
)

select
    answers.investee_id,
    answers.period_end,
    answers.indicator_code,
    answers.principle_code,
    answers.is_essential,
    cast(answers.weight as double) as weight,
    answers.response,
    cast(answers.answer_value as double) as value,
    cast(answers.scored_value as double) as scored_value,
    answers.has_evidence,
    texts.evidence,
    texts.comment,
    'CP_Assessment!' || response_column.column_letter || cast(answers.source_row as varchar) as source_cell,
    answers.submission_id
from answers
left join texts
    on answers.submission_id = texts.submission_id
    and answers.source_row = texts.source_row
left join response_column on answers.submission_id = response_column.submission_id
