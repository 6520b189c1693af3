-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('cp_principles') }}
),

renamed as (
    select
        principle_code,
        principle_name,
        weight,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
