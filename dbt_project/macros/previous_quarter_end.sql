{# The last day of the quarter before the quarter ending at `period_end` (a quarter-end date).
   Built from dbt's cross-database date macros: Jun 30 - 3 months is Mar 30, hence last_day. #}
{% macro previous_quarter_end(period_end) -%}
    cast({{ dbt.last_day(dbt.dateadd('month', -3, period_end), 'month') }} as date)
{%- endmacro %}
