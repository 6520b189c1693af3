-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('cp_indicators') }}
),

renamed as (
    select
        indicator_code,
        principle_code,
        is_essential,
        is_na_allowed,
        weight,
        text_en,
        text_fr,
        text_es,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
