{# Use the folder's schema as is (marts, staging, …), not "main_marts": the marts schema is public. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
