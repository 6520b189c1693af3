-- Each current product with its price and its peers' median APR. Peers are the same quarter's
-- products of the same lending method in the same country when enough investees offer such
-- products there (peer_group_min_investees), else of the same lending method in all countries.
with products as (
    select * from {{ ref('int_products__current') }}
),

priced as (
    select * from {{ ref('int_products__priced') }}
),

joined as (
    select
        products.*,
        priced.periodic_rate,
        priced.apr_pct,
        priced.eir_pct,
        priced.nominal_annual_rate_pct,
        priced.transparency_index,
        priced.apr_understatement_pp,
        priced.pricing_error
    from products
    left join priced
        on products.submission_id = priced.submission_id
        and products.product_code = priced.product_code
),

country_peers as (
    select
        period_end,
        country,
        lending_method,
        count(distinct investee_id) as peer_investees,
        percentile_cont(0.5) within group (order by apr_pct) as median_apr_pct
    from joined
    where apr_pct is not null
    group by period_end, country, lending_method
),

method_peers as (
    select
        period_end,
        lending_method,
        count(distinct investee_id) as peer_investees,
        percentile_cont(0.5) within group (order by apr_pct) as median_apr_pct
    from joined
    where apr_pct is not null
    group by period_end, lending_method
),

peer_choice as (
    select
        joined.*,
        coalesce(country_peers.peer_investees, 0) >= {{ methodology_parameter('peer_group_min_investees') }} as has_country_peers,
        country_peers.peer_investees as country_peer_investees,
        country_peers.median_apr_pct as country_median_apr_pct,
        method_peers.peer_investees as method_peer_investees,
        method_peers.median_apr_pct as method_median_apr_pct
    from joined
    left join country_peers
        on joined.period_end = country_peers.period_end
        and joined.country = country_peers.country
        and joined.lending_method = country_peers.lending_method
    left join method_peers
        on joined.period_end = method_peers.period_end
        and joined.lending_method = method_peers.lending_method
),

benchmarked as (
    select
        investee_id,
        period_end,
        submission_id,
        source_row,
        country,
        fx_rate_usd,
        product_code,
        product_name,
        lending_method,
        loan_amount,
        loan_amount / nullif(fx_rate_usd, 0) as loan_amount_usd,
        installments,
        repayment_frequency,
        term_days,
        nominal_rate_pct,
        rate_period,
        interest_method,
        active_loans,
        outstanding_portfolio,
        periodic_rate,
        apr_pct,
        eir_pct,
        nominal_annual_rate_pct,
        disclosed_apr_pct,
        case when disclosed_apr_pct is null then 0 else 1 end as is_apr_disclosed,
        apr_understatement_pp,
        transparency_index,
        pricing_error,
        case when has_country_peers then 'country' else 'all_countries' end as peer_group,
        case when has_country_peers then country_peer_investees else method_peer_investees end as peer_investees,
        case when has_country_peers then country_median_apr_pct else method_median_apr_pct end as peer_median_apr_pct
    from peer_choice
)

select
    *,
    apr_pct / nullif(peer_median_apr_pct, 0) as apr_to_peer_median
from benchmarked
