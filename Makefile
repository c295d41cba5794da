# Two commands a newcomer runs on a fresh clone (README):
#   make run    set up, then run the built-in default (approx run)
#   make test   set up, then lint (ruff, import contracts) and run the test suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: setup run test test-browser test-all bench proofs

setup: $(VENV)/.installed

# The CPU wheel of torch is asked for by exact version first: on these machines
# `pip install torch==2.13.0` takes the CPU build on disk; a bare `torch` would pull a CUDA build.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[test]'
	touch $@

run: setup
	$(VENV)/bin/approx run

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -m "not slow and not gpu and not browser"

# The HTML report in headless chromium: needs Debian's chromium (apt-get install chromium);
# playwright drives it through executable_path (no browser download). Skips without them.
test-browser: setup
	$(PIP) install -q -e '.[test,browser]'
	$(PY) -m pytest -m browser -rs

test-all: setup
	$(PY) -m pytest

proofs: setup
	$(PY) -m proofs_check

bench: setup
	$(PY) scripts/bench_subset_sum.py
