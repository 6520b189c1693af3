-- The conditions of one flag must agree on what the flag is: principle, severity, scope,
-- combine and description (a flag has several rows only for its several conditions).
select flag_code
from {{ ref('stg_methodology__red_flag_rules') }}
group by flag_code
having count(distinct coalesce(principle_code, '')) > 1
    or count(distinct severity) > 1
    or count(distinct scope) > 1
    or count(distinct combine) > 1
    or count(distinct description) > 1
