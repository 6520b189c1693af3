-- Every parameter the models read through the methodology_parameter macro must exist in the
-- current methodology version (a missing one would silently read as null).
with required as (
    {%- set names = [
        'indicator_score_weight', 'metric_score_weight', 'annualisation_factor',
        'min_complaints_for_collection_share', 'peer_group_min_investees', 'tape_par_days',
        'dsti_limit', 'multi_lender_min_other_loans', 'months_per_year', 'days_per_month',
    ] %}
    {%- for name in names %}
    select '{{ name }}' as parameter{% if not loop.last %} union all{% endif %}
    {%- endfor %}
)

select required.parameter
from required
left join {{ ref('stg_methodology__parameters') }} as parameters
    on required.parameter = parameters.parameter
where parameters.parameter is null
