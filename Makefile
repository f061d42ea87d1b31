# Two commands for a newcomer: `make run` (the bot; sandbox chat without a token) and `make test`.
PY ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint eval bench load clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot run

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

SHARED_EVAL ?= ../shared/eval

eval: $(STAMP)
	$(BIN)/python scripts/eval_search.py --citizen $(SHARED_EVAL)/citizen-dev.tsv
	$(BIN)/python scripts/eval_search.py --citizen tests/data/citizen-heldout.tsv
	$(BIN)/python scripts/eval_search.py
	$(BIN)/python scripts/eval_search.py --queries tests/data/queries-heldout.tsv

bench: $(STAMP)
	$(BIN)/python scripts/bench_search.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

load: $(STAMP)
	$(BIN)/python scripts/load_run.py
