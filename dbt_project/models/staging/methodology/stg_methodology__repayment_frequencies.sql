-- Rows of the current methodology version only (var methodology_version).
with source as (
    select * from {{ ref('repayment_frequencies') }}
),

renamed as (
    select
        repayment_frequency,
        installments_per_year,
        methodology_version
    from source
    where methodology_version = '{{ var("methodology_version") }}'
)

select * from renamed
