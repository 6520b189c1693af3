with source as (
    select * from {{ source('ledger', 'issues') }}
),

renamed as (
    select
        cast(submission_id as varchar) as submission_id,
        cast(sheet as varchar) as sheet,
        cast(cell as varchar) as cell,
        cast(severity as varchar) as severity,
        cast(rule as varchar) as rule,
        cast(message as varchar) as message,
        cast(code as varchar) as code,
        cast(params as varchar) as params
    from source
)

select * from renamed
