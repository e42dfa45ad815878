# Developer commands. The venv is the one README's test command makes.
PY ?= .venv/bin/python
FAST = -m "not claude and not tmux and not slow"

.PHONY: check test-fast test-all docs

check:  ## lint, types, layering, generated docs up to date
	$(PY) -m ruff check cc_guard tests benchmarks docs
	$(PY) -m mypy
	.venv/bin/lint-imports
	$(PY) docs/generate.py --check

test-fast:  ## the inner loop: no real Claude Code, no tmux, nothing slow; all cores
	$(PY) -m pytest $(FAST) -n auto -q

test-all:  ## everything CI runs
	$(PY) -m pytest -n auto

docs:  ## regenerate the generated parts of docs/
	$(PY) docs/generate.py
