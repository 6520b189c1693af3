with source as (
    select * from {{ source('raw', 'portfolio') }}
)

select * from source
