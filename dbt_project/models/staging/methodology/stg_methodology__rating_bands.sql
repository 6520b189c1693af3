-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('rating_bands') }}
),

renamed as (
    select
        rating,
        min_score,
        screening,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
