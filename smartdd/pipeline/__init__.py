"""The composition of the stages: receive → per-workbook stage → dbt build → publish → reports.

`stages` holds the functions the DAG and the CLI call; `batch` and `workbook` the per-workbook
stage (safety, parse in a worker pool, pseudonymise, validate, raw zone or quarantine);
`incremental` what is reused between runs; `repair` the raw-zone check before dbt; `warehouse`
the dbt build into a fresh file and `publish` its atomic swap.
"""

from smartdd.pipeline.stages import (
    Unaccounted,
    build_and_publish,
    check_accounting,
    check_run,
    ingest_batch,
    ingest_one,
    landed_files,
    receive,
    receive_in_batches,
    received_this_run,
    summary,
    write_reports,
)

__all__ = [
    "Unaccounted",
    "build_and_publish",
    "check_accounting",
    "check_run",
    "ingest_batch",
    "ingest_one",
    "landed_files",
    "receive",
    "receive_in_batches",
    "received_this_run",
    "summary",
    "write_reports",
]
