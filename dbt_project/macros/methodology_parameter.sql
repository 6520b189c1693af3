{# One number of the methodology, read from the methodology_parameters seed (current version)
   as a scalar subquery, so the SQL never repeats it. Unit tests mock the staging model. #}
{% macro methodology_parameter(name) -%}
    (select value from {{ ref('stg_methodology__parameters') }} where parameter = '{{ name }}')
{%- endmacro %}
