# Two entry points that work on a fresh machine with only Python 3.11+:
#   make chat  - set up .venv if needed and open the local chat harness
#   make test  - set up .venv if needed, lint (ruff), type-check (mypy) and run the whole test suite
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: chat test venv eval tune bench clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

chat: $(STAMP)
	$(VENV)/bin/python -m bot chat

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest -q

DEVSETS := tests/devset.yaml tests/devset.ar.yaml tests/devset.ru.yaml tests/devset.uk.yaml

eval: $(STAMP)
	$(VENV)/bin/python -m bot eval $(DEVSETS)

tune: $(STAMP)
	$(VENV)/bin/python scripts/tune_thresholds.py $(DEVSETS) --write

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/run.py --json benchmarks/results.json

clean:
	rm -rf $(VENV) .pytest_cache
