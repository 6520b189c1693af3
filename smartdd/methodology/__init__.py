"""The scoring methodology's Python side: pricing maths and the metric catalogue.

The methodology itself is data (dbt seeds); which version of it is in force is stated once, as
the dbt var `methodology_version` in `dbt_project.yml`, and read from there.
"""

from __future__ import annotations

from functools import cache

import yaml

from smartdd.paths import DBT_PROJECT_DIR


@cache
def methodology_version() -> str:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return str(project["vars"]["methodology_version"])
