-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('metric_catalogue') }}
),

renamed as (
    select
        metric,
        level,
        scope,
        topic,
        principle_code,
        label,
        unit,
        display_format,
        iris_code,
        report_order,
        formula,
        formula_note,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
