with source as (
    select * from {{ source('raw', 'cover') }}
    where {{ not_excluded() }}
),

renamed as (
    select
        cast(submission_id as varchar) as submission_id,
        cast(investee_id as varchar) as investee_id,
        cast(institution_name as varchar) as institution_name,
        cast(country as varchar) as country,
        cast(currency as varchar) as currency,
        cast(period_end as date) as period_end,
        cast(fx_rate_usd as double) as fx_rate_usd,
        cast(legal_form as varchar) as legal_form,
        cast(template_version as varchar) as template_version,
        cast(prepared_by as varchar) as prepared_by,
        cast(language as varchar) as language
    from source
)

select * from renamed
