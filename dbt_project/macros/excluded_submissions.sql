{# Submissions taken out of this build because a dbt test failed on their rows, so one investee's
   data never stops the warehouse for the others (smartdd/pipeline/warehouse.py sets the var
   `excluded_submissions`, a mapping submission_id -> reason, and builds again). #}
{% macro not_excluded(column='submission_id') -%}
    {%- set excluded = var('excluded_submissions', {}) -%}
    {%- if excluded | length == 0 -%}
        true
    {%- else -%}
        {{ column }} not in ({% for id in excluded %}'{{ id | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{# The reason a submission was taken out, or null. #}
{% macro exclusion_reason(column='submission_id') -%}
    {%- set excluded = var('excluded_submissions', {}) -%}
    {%- if excluded | length == 0 -%}
        cast(null as varchar)
    {%- else -%}
        case {{ column }}
        {%- for id, reason in excluded.items() %}
            when '{{ id | replace("'", "''") }}' then '{{ reason | replace("'", "''") }}'
        {%- endfor %}
        end
    {%- endif -%}
{%- endmacro %}
