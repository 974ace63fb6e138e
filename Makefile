# `make run` serves the chat; `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test index eval lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU build on this disk (any other version pulls a multi-GB CUDA build).
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

index: setup
	$(PY) -m bot ingest

run: setup
	$(PY) -m bot ingest
	$(PY) app.py

test: setup
	$(PY) -m pytest

eval: setup
	$(PY) -m eval --questions eval/questions.jsonl --out out/results.jsonl

lint: setup
	$(PY) -m ruff check bot eval tests app.py
	$(PY) -m mypy

clean:
	rm -rf $(VENV) index/build-* index/CURRENT out
