with source as (
    select * from {{ source('raw', 'complaints') }}
    where {{ not_excluded() }}
),

renamed as (
    select
        cast(submission_id as varchar) as submission_id,
        cast(_row as bigint) as source_row,
        cast(category as varchar) as category,
        cast(received as bigint) as received,
        cast(resolved as bigint) as resolved,
        cast(resolved_within_30d as bigint) as resolved_within_30d
    from source
)

select * from renamed
