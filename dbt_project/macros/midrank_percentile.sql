{# Where a value stands among n peers, 0-100, ties counted half (methodology.md section 4):
   100 × (peers below + 0.5 × peers tied) / (n − 1); null when n < 2. #}
{% macro midrank_percentile(below, tied, n) -%}
    cast(case when {{ n }} >= 2 then 100.0 * ({{ below }} + 0.5 * {{ tied }}) / ({{ n }} - 1) end as double)
{%- endmacro %}
