with source as (
    select * from {{ source('raw', 'loan_tape') }}
)

select * from source
