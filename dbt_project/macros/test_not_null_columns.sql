{# The rows of a model where any of `columns` is null: one test per model instead of one per
   column, since each test costs the build ~30 ms whatever the table's size (there were 158 of
   them). Whole rows, as default__test_not_null returns: a failing row carries its
   submission_id, so the build takes that one submission out and goes on. #}
{% test not_null_columns(model, columns) %}
select *
from {{ model }}
where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
