"""The composition of the stages: receive → per-workbook stage → dbt build → publish → reports.

`stages` holds the functions the DAG and the CLI call; `workbook` the per-workbook stage
(safety, read, pseudonymise, validate, raw zone or quarantine); `warehouse` the dbt build and
the atomic publish.
"""

from smartdd.pipeline.stages import Unaccounted, build_and_publish, check_accounting, ingest_one, landed_files, receive, summary, write_reports

__all__ = ["Unaccounted", "build_and_publish", "check_accounting", "ingest_one", "landed_files", "receive", "summary", "write_reports"]
