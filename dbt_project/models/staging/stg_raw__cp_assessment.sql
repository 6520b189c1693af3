with source as (
    select * from {{ source('raw', 'cp_assessment') }}
)

select * from source
