-- A view, not a table: loan-level rows (millions at scale) would dominate the warehouse file, and
-- only int_investee_quarters__tape_metrics reads them.
{{ config(materialized='view') }}

-- Borrowers whose hashed national id also appears in another investee's tape of the same
-- quarter. The hash is keyed and the id normalised before hashing, so the same person gets
-- the same hash at every investee without anyone holding the id itself.
with borrowers as (
    select * from {{ ref('int_borrowers__assessed') }}
    where national_id_hash is not null
),

shared_ids as (
    select period_end, national_id_hash
    from borrowers
    group by period_end, national_id_hash
    having count(distinct investee_id) > 1
)

select
    borrowers.investee_id,
    borrowers.period_end,
    borrowers.submission_id,
    borrowers.client_id_hash,
    borrowers.national_id_hash,
    shared_ids.national_id_hash is not null as is_shared
from borrowers
left join shared_ids
    on borrowers.period_end = shared_ids.period_end
    and borrowers.national_id_hash = shared_ids.national_id_hash
