-- The Cover and Portfolio figures of each investee's current submission per quarter.
with current_submissions as (
    select submission_id from {{ ref('int_submissions__superseded') }} where is_current
),

cover as (select * from {{ ref('stg_raw__cover') }}),
portfolio as (select * from {{ ref('stg_raw__portfolio') }})

select
    cover.submission_id,
    cover.investee_id,
    cover.institution_name,
    cover.country,
    cover.currency,
    cover.period_end,
    case when cover.currency = 'USD' then coalesce(cover.fx_rate_usd, 1.0) else cover.fx_rate_usd end as fx_rate_usd,
    cover.legal_form,
    portfolio.* exclude (submission_id)
from cover
inner join current_submissions using (submission_id)
inner join portfolio using (submission_id)
