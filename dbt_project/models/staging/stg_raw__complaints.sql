with source as (
    select * from {{ source('raw', 'complaints') }}
)

select * from source
