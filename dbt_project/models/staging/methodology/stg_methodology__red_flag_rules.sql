-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('red_flag_rules') }}
),

renamed as (
    select
        flag_code,
        principle_code,
        severity,
        scope,
        metric,
        comparison,
        threshold,
        combine,
        description,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
