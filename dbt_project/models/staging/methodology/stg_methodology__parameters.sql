-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('methodology_parameters') }}
),

renamed as (
    select
        parameter,
        value,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
