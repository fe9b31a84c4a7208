# Two commands for a newcomer: `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: setup demo run-demo dashboard test lint eval train bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first and pinned: the CPU build; a bare `torch` would pull a multi-GB CUDA build.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev,ops]"
	touch $@

setup: $(VENV)/.installed

run-demo: setup
	$(BIN)/cxradar run --demo

demo: run-demo
	$(BIN)/cxradar issues
	$(BIN)/cxradar dashboard --port $(PORT)

dashboard: setup
	$(BIN)/cxradar dashboard --port $(PORT)

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

eval: setup
	$(BIN)/python -m models.training.evaluate

train: setup
	$(BIN)/python -m models.training.train_sentiment
	$(BIN)/python -m models.training.train_complaint

clean:
	rm -rf .cxradar .pytest_cache
