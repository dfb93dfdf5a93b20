# Two entry points that work on a fresh machine with only Python 3.11+:
#   make chat  - set up .venv if needed and open the local chat harness
#   make test  - set up .venv if needed, lint (ruff), type-check (mypy) and run the whole test suite
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: chat test venv eval tune bench learned lock clean

# The exact versions of requirements-test.lock, checked against their hashes, then the project itself.
$(STAMP): pyproject.toml requirements-test.lock
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --require-hashes -r requirements-test.lock
	$(VENV)/bin/python -m pip install --quiet --no-deps -e .
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

# Retrain the learned second opinion (intents/learned.json) after changing examples, aliases or
# out-of-scope examples: scikit-learn, in a venv of its own (requirements-train.lock), trains it.
TRAIN_VENV := .train-venv
TRAIN_STAMP := $(TRAIN_VENV)/.installed
$(TRAIN_STAMP): pyproject.toml requirements-train.lock
	test -x $(TRAIN_VENV)/bin/python || $(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install --quiet --require-hashes -r requirements-train.lock
	$(TRAIN_VENV)/bin/python -m pip install --quiet --no-deps -e .
	touch $(TRAIN_STAMP)

learned: $(TRAIN_STAMP)
	$(TRAIN_VENV)/bin/python scripts/train_learned.py

# Refresh the lock files from pyproject.toml (newest versions its ranges allow), with pip-tools in a
# venv of its own; then run `make test` and commit pyproject.toml and the lock files together.
LOCK_VENV := .lock-venv
COMPILE := $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links --upgrade
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || ($(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet pip-tools)
	$(COMPILE) -o requirements.lock pyproject.toml
	$(COMPILE) --extra test -o requirements-test.lock pyproject.toml
	$(COMPILE) --extra train -o requirements-train.lock pyproject.toml

clean:
	rm -rf $(VENV) $(LOCK_VENV) $(TRAIN_VENV) .pytest_cache
