-- The workbook cells behind each metric of each current submission, for red-flag evidence.
-- Key-value fields (Cover, Portfolio) are one cell; a table field is the cell in the row of
-- the product or answer the flag is about, or else the field's column over the sheet's rows.
with sources as (
    select * from {{ ref('stg_methodology__metric_sources') }}
),

provenance as (
    select * from {{ ref('stg_raw__provenance') }}
),

current_submissions as (
    select submission_id from {{ ref('int_portfolio__current') }}
),

products as (
    select submission_id, product_code, source_row from {{ ref('stg_raw__products') }}
),

answers as (
    select submission_id, indicator_code, source_row from {{ ref('stg_raw__cp_assessment') }}
),

row_ranges as (
    select submission_id, 'Products' as sheet, min(source_row) as first_row, max(source_row) as last_row
    from {{ ref('stg_raw__products') }} group by submission_id
    union all
    select submission_id, 'CP_Assessment' as sheet, min(source_row), max(source_row)
    from {{ ref('stg_raw__cp_assessment') }} group by submission_id
    union all
    select submission_id, 'Complaints' as sheet, min(source_row), max(source_row)
    from {{ ref('stg_raw__complaints') }} group by submission_id
    union all
    select submission_id, 'Loan_Tape' as sheet, min(source_row), max(source_row)
    from {{ ref('stg_raw__loan_tape') }} group by submission_id
),

fields as (
    select
        sources.metric,
        provenance.submission_id,
        provenance.sheet,
        provenance.column_letter,
        provenance.row_number
    from sources
    inner join provenance
        on sources.sheet = provenance.sheet
        and sources.field = provenance.field
    inner join current_submissions on provenance.submission_id = current_submissions.submission_id
),

investee_cells as (
    select
        fields.submission_id,
        'investee' as scope,
        cast(null as varchar) as subject_code,
        fields.metric,
        fields.sheet || '!' || case
            when fields.row_number is not null then fields.column_letter || cast(fields.row_number as varchar)
            when row_ranges.first_row = row_ranges.last_row then fields.column_letter || cast(row_ranges.first_row as varchar)
            else fields.column_letter || cast(row_ranges.first_row as varchar) || ':' || fields.column_letter || cast(row_ranges.last_row as varchar)
        end as cell
    from fields
    -- a table sheet without rows has no cells to show
    left join row_ranges
        on fields.submission_id = row_ranges.submission_id
        and fields.sheet = row_ranges.sheet
    where fields.row_number is not null or row_ranges.first_row is not null
),

product_cells as (
    select
        fields.submission_id,
        'product' as scope,
        products.product_code as subject_code,
        fields.metric,
        fields.sheet || '!' || fields.column_letter || cast(coalesce(fields.row_number, products.source_row) as varchar) as cell
    from fields
    inner join products on fields.submission_id = products.submission_id
    where fields.metric in ('{{ product_metric_names() | join("', '") }}')
        and (fields.sheet = 'Products' or fields.row_number is not null)
),

indicator_cells as (
    select
        fields.submission_id,
        'indicator' as scope,
        answers.indicator_code as subject_code,
        fields.metric,
        fields.sheet || '!' || fields.column_letter || cast(answers.source_row as varchar) as cell
    from fields
    inner join answers on fields.submission_id = answers.submission_id
    where fields.sheet = 'CP_Assessment'
        and fields.metric = 'essential_indicator_answer'
),

cells as (
    select distinct * from investee_cells
    union
    select distinct * from product_cells
    union
    select distinct * from indicator_cells
)

select
    submission_id,
    scope,
    subject_code,
    metric,
    {{ dbt.listagg('cell', "', '", 'order by cell') }} as source_cells,
    '["' || {{ dbt.listagg('cell', "'\",\"'", 'order by cell') }} || '"]' as source_cells_json
from cells
group by submission_id, scope, subject_code, metric
