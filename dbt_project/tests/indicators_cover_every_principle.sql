-- Every principle of the methodology has indicators, and every indicator's principle exists.
select principles.principle_code, 'principle without indicators' as problem
from {{ ref('stg_methodology__principles') }} as principles
left join {{ ref('stg_methodology__indicators') }} as indicators
    on principles.principle_code = indicators.principle_code
where indicators.indicator_code is null
union all
select indicators.principle_code, 'indicator of an unknown principle' as problem
from {{ ref('stg_methodology__indicators') }} as indicators
left join {{ ref('stg_methodology__principles') }} as principles
    on indicators.principle_code = principles.principle_code
where principles.principle_code is null
