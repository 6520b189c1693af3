with source as (
    select * from {{ source('raw', 'provenance') }}
    where {{ not_excluded() }}
),

renamed as (
    select
        cast(submission_id as varchar) as submission_id,
        cast(sheet as varchar) as sheet,
        cast(field as varchar) as field,
        cast(column_letter as varchar) as column_letter,
        -- set for key-value sheets only; a table field's row is its record's source_row
        cast(row_number as bigint) as row_number
    from source
)

select * from renamed
