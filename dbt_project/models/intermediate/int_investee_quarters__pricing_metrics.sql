-- Investee-level pricing (methodology.md section 3): products weighted by their outstanding
-- portfolio, so the price of the book is what most clients actually pay.
with products as (
    select * from {{ ref('int_products__peer_benchmarked') }}
)

select
    investee_id,
    period_end,
    submission_id,
    count(*) as products,
    sum(case when apr_pct is not null then apr_pct * outstanding_portfolio end)
        / nullif(sum(case when apr_pct is not null then outstanding_portfolio end), 0) as weighted_apr_pct,
    sum(case when is_apr_disclosed = 1 then outstanding_portfolio else 0 end)
        / nullif(sum(outstanding_portfolio), 0) as apr_disclosed_share,
    max(apr_understatement_pp) as max_apr_understatement_pp,
    sum(case when transparency_index is not null then transparency_index * outstanding_portfolio end)
        / nullif(sum(case when transparency_index is not null then outstanding_portfolio end), 0) as weighted_transparency_index,
    -- the investee's APR against what its peers charge for the same mix of products
    (
        sum(case when apr_pct is not null and peer_median_apr_pct is not null then apr_pct * outstanding_portfolio end)
        / nullif(sum(case when apr_pct is not null and peer_median_apr_pct is not null then peer_median_apr_pct * outstanding_portfolio end), 0)
    ) as apr_to_peer_median
from products
group by investee_id, period_end, submission_id
