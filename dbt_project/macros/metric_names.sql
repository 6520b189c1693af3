{# Generated from seeds/metric_catalogue.csv by `python -m smartdd.methodology.metrics`. Do not edit:
   add a metric as a row of the catalogue (a seed naming a metric not in it fails the test
   methodology_metrics_exist). #}

{# The investee-level metrics that can be scored (metric_thresholds) or flagged (red_flag_rules):
   numeric columns of int_investee_quarters__metrics. #}
{% macro investee_metric_names() -%}
    {{ return([
        'gross_loan_portfolio_usd',
        'active_borrowers',
        'par30_ratio',
        'par90_ratio',
        'restructured_ratio',
        'write_off_ratio',
        'portfolio_yield',
        'risk_coverage',
        'women_borrowers_pct',
        'borrowers_per_loan_officer',
        'average_loan_disbursed_usd',
        'client_exit_rate',
        'complaints_received',
        'complaints_per_1000',
        'complaint_resolution_30d_rate',
        'collection_complaints_share',
        'multiple_lender_borrowers_pct',
        'credit_bureau_checked_pct',
        'data_breaches_period',
        'weighted_apr_pct',
        'apr_disclosed_share',
        'max_apr_understatement_pp',
        'weighted_transparency_index',
        'apr_to_peer_median',
        'tape_par30_ratio',
        'dsti_over_50_share',
        'multi_lender_share',
        'cross_investee_share',
        'tape_gross_loan_portfolio_gap',
        'tape_par30_gap',
        'tape_active_borrowers_gap',
        'par30_ratio_change',
    ]) }}
{%- endmacro %}

{# Product-level metrics of int_products__peer_benchmarked that red_flag_rules may name. #}
{% macro product_metric_names() -%}
    {{ return([
        'apr_pct',
        'eir_pct',
        'is_apr_disclosed',
        'apr_understatement_pp',
        'transparency_index',
        'apr_to_peer_median',
    ]) }}
{%- endmacro %}

{# Metrics red_flag_rules may name that are not columns above: the change of the overall score
   (known only after scoring) and the answer value of an essential indicator. #}
{% macro derived_metric_names() -%}
    {{ return([
        'overall_score_change',
        'essential_indicator_answer',
    ]) }}
{%- endmacro %}
