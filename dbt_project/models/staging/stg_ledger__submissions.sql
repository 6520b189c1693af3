with source as (
    select * from {{ source('ledger', 'submissions') }}
),

renamed as (
    select
        cast(submission_id as varchar) as submission_id,
        cast(investee_id as varchar) as investee_id,
        cast(period_end as date) as period_end,
        cast(file_name as varchar) as file_name,
        cast(file_sha256 as varchar) as file_sha256,
        received_at,
        -- a submission taken out of this build (a dbt test failed on its rows) shows as rejected, with why
        case when {{ exclusion_reason() }} is null then cast(status as varchar) else 'rejected' end as status,
        coalesce({{ exclusion_reason() }}, cast(reason as varchar)) as reason,
        cast(errors as bigint) as error_count,
        cast(warnings as bigint) as warning_count,
        cast(language as varchar) as language
    from source
)

select * from renamed
