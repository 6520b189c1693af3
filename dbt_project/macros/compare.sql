{# `value comparison threshold` where the comparison operator is data (red_flag_rules.comparison).
   Null (a missing metric) when the value is null, so a missing metric never raises a flag. #}
{% macro compare(value, comparison, threshold) -%}
    case {{ comparison }}
        when '>' then {{ value }} > {{ threshold }}
        when '>=' then {{ value }} >= {{ threshold }}
        when '<' then {{ value }} < {{ threshold }}
        when '<=' then {{ value }} <= {{ threshold }}
        when '=' then {{ value }} = {{ threshold }}
    end
{%- endmacro %}
