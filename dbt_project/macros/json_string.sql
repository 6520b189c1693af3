{# A SQL text expression as a JSON string literal (quotes and backslashes escaped), or null.
   Portable string functions only, so red_flags.evidence is JSON text on any adapter. #}
{% macro json_string(expression) -%}
    '"' || replace(replace({{ expression }}, '\', '\\'), '"', '\"') || '"'
{%- endmacro %}

{# A number as a JSON value: null stays the JSON literal null. #}
{% macro json_number(expression) -%}
    coalesce(cast({{ expression }} as {{ dbt.type_string() }}), 'null')
{%- endmacro %}
