-- A metric whose good and bad values coincide has no line to score on.
select principle_code, metric, good, bad
from {{ ref('stg_methodology__metric_thresholds') }}
where good = bad
