-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('cp_answer_values') }}
),

renamed as (
    select
        response,
        value,
        value_without_evidence,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
