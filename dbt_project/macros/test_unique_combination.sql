{# No row may repeat the combination of `columns` (the grain of a mart). Written here because
   dbt packages (dbt_utils) cannot be installed offline. #}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
