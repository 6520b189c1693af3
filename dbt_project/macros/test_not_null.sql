{# dbt's not_null, returning whole failing rows: when it fails, the rows carry their
   submission_id, so the build can take that one submission out and go on (see
   excluded_submissions.sql). #}
{% macro default__test_not_null(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is null
{% endmacro %}
