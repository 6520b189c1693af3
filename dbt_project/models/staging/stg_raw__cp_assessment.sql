with source as (
    select * from {{ source('raw', 'cp_assessment') }}
    where {{ not_excluded() }}
),

renamed as (
    select
        cast(submission_id as varchar) as submission_id,
        cast(_row as bigint) as source_row,
        cast(indicator_code as varchar) as indicator_code,
        cast(response as varchar) as response,
        -- blank evidence is no evidence
        cast(nullif(trim(evidence), '') as varchar) as evidence,
        cast(comment as varchar) as comment
    from source
)

select * from renamed
