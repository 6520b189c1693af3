-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('red_flag_severities') }}
),

renamed as (
    select
        severity,
        severity_order,
        screening,
        rating_cap,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
