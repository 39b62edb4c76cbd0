# The two commands of the README: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint format docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/bayesreg demo

# The whole suite, slow statistical tests included (CI runs this).
test: $(STAMP) lint
	$(BIN)/python -m pytest -n 2 --durations=15

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check bayesreg tests benchmarks notebooks
	$(BIN)/ruff format --check bayesreg tests benchmarks notebooks

format: $(STAMP)
	$(BIN)/ruff format bayesreg tests benchmarks notebooks
	$(BIN)/ruff check --fix bayesreg tests benchmarks notebooks

# The full benchmark run (peers from the bench extra, installed by the stamp above); ~25 min.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --out benchmarks/results

# The docs site in site/, notebook pages with their outputs: executes the notebooks into
# build/notebooks/, then `mkdocs build --strict` (tests/test_docs.py builds it the same way).
docs: $(STAMP)
	$(BIN)/python docs/executed_notebooks.py --site-dir site

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache site
