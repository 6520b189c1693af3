-- Products of each investee's current submission, with the market they are priced in.
with portfolio as (
    select * from {{ ref('int_portfolio__current') }}
),

products as (
    select * from {{ ref('stg_raw__products') }}
)

select
    portfolio.investee_id,
    portfolio.period_end,
    portfolio.country,
    portfolio.fx_rate_usd,
    products.*
from products
inner join portfolio on products.submission_id = portfolio.submission_id
