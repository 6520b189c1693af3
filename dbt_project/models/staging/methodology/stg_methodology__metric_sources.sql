-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('metric_sources') }}
),

renamed as (
    select
        metric,
        sheet,
        field,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
