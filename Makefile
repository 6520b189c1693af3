# Two commands for a newcomer: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-long lint bench clean

$(BIN)/smartdd: pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(BIN)/smartdd

demo: $(BIN)/smartdd
	$(BIN)/smartdd demo --home var/demo

test: $(BIN)/smartdd
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n auto --dist loadfile -m "not long"  # one module per worker: its fixtures are built once

# The long tier (CI runs it after `make test`): kill -9 in every stage, the real scheduler,
# hostile and corrupted batches through the DAG, past Airflow's map limit, other storage back-ends.
test-long: $(BIN)/smartdd
	$(BIN)/python -m pytest -q -n auto --dist loadfile -m long

lint: $(BIN)/smartdd
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(BIN)/smartdd
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/dbt_scale.py

clean:
	rm -rf var .pytest_cache dbt_project/target dbt_project/logs
