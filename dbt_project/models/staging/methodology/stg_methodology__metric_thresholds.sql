-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('metric_thresholds') }}
),

renamed as (
    select
        principle_code,
        metric,
        good,
        bad,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
