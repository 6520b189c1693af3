-- Red flags (methodology.md section 5): every rule condition evaluated on every measure of
-- its scope; a flag is raised for a subject when any (or, for combine = all, every) of its
-- conditions holds. Evidence keeps each condition that held: the value and threshold, or the
-- indicator and its answer, and the workbook cells behind it.
with measures as (
    select * from {{ ref('int_red_flags__measures_unioned') }}
),

rules as (
    select * from {{ ref('stg_methodology__red_flag_rules') }}
),

rule_sizes as (
    select flag_code, count(*) as conditions
    from rules
    group by flag_code
),

cells as (
    select * from {{ ref('int_source_cells__located') }}
),

evaluated as (
    select
        measures.investee_id,
        measures.period_end,
        measures.submission_id,
        measures.scope,
        measures.subject_code,
        rules.flag_code,
        coalesce(rules.principle_code, measures.subject_principle_code) as principle_code,
        rules.severity,
        rules.combine,
        rules.description,
        rule_sizes.conditions,
        measures.metric,
        measures.metric_value,
        measures.answer,
        rules.comparison,
        rules.threshold,
        coalesce({{ compare('measures.metric_value', 'rules.comparison', 'rules.threshold') }}, false) as is_met
    from measures
    inner join rules
        on measures.metric = rules.metric
        and measures.scope = rules.scope
    inner join rule_sizes on rules.flag_code = rule_sizes.flag_code
),

subjects as (
    select
        investee_id, period_end, submission_id, scope, subject_code,
        flag_code, principle_code, severity, combine, description
    from evaluated
    group by
        investee_id, period_end, submission_id, scope, subject_code,
        flag_code, principle_code, severity, combine, description
    having
        (combine = 'any' and sum(case when is_met then 1 else 0 end) > 0)
        or (combine = 'all' and sum(case when is_met then 1 else 0 end) = max(conditions))
),

met_conditions as (
    select
        evaluated.*,
        cells.source_cells,
        case
            when evaluated.scope = 'indicator'
                then evaluated.subject_code || ' answered ' || evaluated.answer
            else evaluated.metric || ' = ' || cast(round(evaluated.metric_value, 4) as varchar)
                || ' (' || evaluated.comparison || ' ' || cast(evaluated.threshold as varchar) || ')'
        end as condition_text,
        '{'
        || case
            when evaluated.scope = 'indicator'
                then '"indicator_code":' || {{ json_string('evaluated.subject_code') }}
                    || ',"answer":' || {{ json_string('evaluated.answer') }}
            else '"metric":' || {{ json_string('evaluated.metric') }}
                || ',"value":' || {{ json_number('evaluated.metric_value') }}
                || ',"comparison":' || {{ json_string('evaluated.comparison') }}
                || ',"threshold":' || {{ json_number('evaluated.threshold') }}
        end
        || case when evaluated.scope = 'product' then ',"product_code":' || {{ json_string('evaluated.subject_code') }} else '' end
        || ',"cells":' || coalesce(cells.source_cells_json, '[]')
        || '}' as condition_json
    from evaluated
    left join cells
        on evaluated.submission_id = cells.submission_id
        and evaluated.scope = cells.scope
        and evaluated.metric = cells.metric
        and coalesce(evaluated.subject_code, '') = coalesce(cells.subject_code, '')
    where evaluated.is_met
),

evidence as (
    select
        submission_id, scope, subject_code, flag_code,
        {{ dbt.listagg('condition_text', "' and '", 'order by metric') }} as conditions_text,
        '[' || {{ dbt.listagg('condition_json', "','", 'order by metric') }} || ']' as evidence,
        {{ dbt.listagg("coalesce(source_cells, '')", "', '", 'order by metric') }} as source_cells
    from met_conditions
    group by submission_id, scope, subject_code, flag_code
)

select
    subjects.investee_id,
    subjects.period_end,
    subjects.submission_id,
    subjects.flag_code,
    subjects.principle_code,
    subjects.severity,
    subjects.scope,
    subjects.subject_code,
    subjects.description
    || case when subjects.scope = 'product' then ' (product ' || subjects.subject_code || ')' else '' end
    || ': ' || evidence.conditions_text as detail,
    evidence.evidence,
    evidence.source_cells
from subjects
inner join evidence
    on subjects.submission_id = evidence.submission_id
    and subjects.scope = evidence.scope
    and coalesce(subjects.subject_code, '') = coalesce(evidence.subject_code, '')
    and subjects.flag_code = evidence.flag_code
