-- The true price of every credit product of the current submissions, and its peers' median.
with products as (
    select * from {{ ref('int_products__peer_benchmarked') }}
),

cost_split as (
    select * from {{ ref('int_products__cost_split') }}
)

select
    products.investee_id,
    products.period_end,
    products.product_code,
    product_name,
    lending_method,
    repayment_frequency,
    interest_method,
    cast(installments as bigint) as installments,
    cast(loan_amount as double) as loan_amount,
    cast(loan_amount_usd as double) as loan_amount_usd,
    cast(nominal_rate_pct as double) as nominal_rate_pct,
    rate_period,
    cast(outstanding_portfolio as double) as outstanding_portfolio,
    cast(apr_pct as double) as apr_pct,
    cast(eir_pct as double) as eir_pct,
    cast(disclosed_apr_pct as double) as disclosed_apr_pct,
    cast(apr_understatement_pp as double) as apr_understatement_pp,
    cast(transparency_index as double) as transparency_index,
    cast(peer_median_apr_pct as double) as peer_median_apr_pct,
    peer_group,
    cast(peer_investees as bigint) as peer_investees,
    cast(apr_to_peer_median as double) as apr_to_peer_median,
    products.pricing_error,
    products.submission_id,
    cast(cost_split.apr_interest_pp as double) as apr_interest_pp,
    cast(cost_split.apr_fees_pp as double) as apr_fees_pp,
    cast(cost_split.apr_insurance_pp as double) as apr_insurance_pp,
    cast(cost_split.apr_deposit_pp as double) as apr_deposit_pp,
    cast(cost_split.apr_tax_pp as double) as apr_tax_pp
from products
left join cost_split
    on products.submission_id = cost_split.submission_id
    and products.product_code = cost_split.product_code
