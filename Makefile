# `make run` serves the chat; `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
# pip warns once per package about this machine's empty extra indexes; that noise hides real errors.
QUIET_PIP := 2>&1 | { grep -v 'is ignored: it is neither' || true; }
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup browser run test index eval lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip $(QUIET_PIP)
	# torch first, pinned: the CPU build on this disk (any other version pulls a multi-GB CUDA build).
	$(PY) -m pip install --quiet torch==2.13.0 $(QUIET_PIP)
	$(PY) -m pip install --quiet -e '.[test]' $(QUIET_PIP)
	touch $(STAMP)

# The browser test drives Debian's chromium with its matching chromedriver; nothing downloads a browser.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver fonts-dejavu-core >/dev/null; \
	else echo "the browser test needs Debian's chromium and chromium-driver: sudo apt-get install chromium chromium-driver" >&2; \
		exit 1; fi

index: setup
	$(PY) -m bot ingest

run: setup
	$(PY) -m bot ingest
	$(PY) app.py

test: setup browser
	$(PY) -m pytest

eval: setup
	$(PY) -m eval --questions eval/questions.jsonl --out out/results.jsonl

lint: setup
	$(PY) -m ruff check bot eval tests app.py
	$(PY) -m mypy

clean:
	rm -rf $(VENV) index/build-* index/CURRENT out
