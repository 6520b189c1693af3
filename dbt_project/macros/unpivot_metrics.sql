{# Long form of wide metric columns: one row per key and metric, value as double. A union of
   plain selects rather than UNPIVOT, which not every engine has. #}
{% macro unpivot_metrics(relation, key_columns, metric_columns) -%}
    {%- for metric in metric_columns %}
    select
        {% for key in key_columns %}{{ key }}, {% endfor %}
        '{{ metric }}' as metric,
        cast({{ metric }} as double) as metric_value
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
