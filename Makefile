# Two commands on a fresh machine:  `make run` (the whole default workflow) and `make test`.
# Both create .venv from the pinned requirements.lock first, if it is missing or out of date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint clean-results

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake
	$(BIN)/snakemake --report results/report.html report_contents

# Style is part of the tests: ruff (Python, notebooks) and snakefmt (Snakefile, rules/) must be clean.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check Snakefile rules

test: lint
	$(BIN)/python -m pytest

clean-results:
	rm -rf results logs benchmarks .snakemake/metadata
