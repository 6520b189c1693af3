with source as (
    select * from {{ source('raw', 'cover') }}
)

select * from source
