{# Every non-null value of the column lies in [min_value, max_value] (either bound optional).
   Written here because dbt packages (dbt_utils.accepted_range) cannot be installed offline. #}
{% test within_range(model, column_name, min_value=none, max_value=none) %}
select *  -- whole rows: a failure names its submission_id
from {{ model }}
where {{ column_name }} is not null
  and (
    {%- if min_value is not none %} {{ column_name }} < {{ min_value }}{% else %} false{% endif %}
    or {%- if max_value is not none %} {{ column_name }} > {{ max_value }}{% else %} false{% endif %}
  )
{% endtest %}
