-- A view, not a table: loan-level rows (millions at scale) would dominate the warehouse file, and
-- only int_investee_quarters__tape_metrics reads them.
{{ config(materialized='view') }}

-- One row per active borrower (hashed client id) of each current loan tape. A borrower with
-- several loans is over the DSTI limit or multi-borrowing when any of her loans is.
with loans as (
    select * from {{ ref('int_loans__assessed') }}
    where is_active
)

select
    investee_id,
    period_end,
    submission_id,
    client_id_hash,
    max(national_id_hash) as national_id_hash,
    max(dsti) as max_dsti,
    max(other_lender_loans) as max_other_lender_loans
from loans
group by investee_id, period_end, submission_id, client_id_hash
