-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('screening_outcomes') }}
),

renamed as (
    select
        screening,
        screening_order,
        description,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
