with source as (
    select * from {{ source('raw', 'provenance') }}
)

select * from source
