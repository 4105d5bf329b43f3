# The two commands of the README: `make run` and `make test`. Each sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= $(or $(CXDASH_DATA),data)
PORT ?= 8501

.PHONY: run test lint bench clean-venv

$(BIN)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	echo "$(CURDIR)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/cxdash-repo.pth"
	touch $@

## run: start the dashboard on the demo data (made on first start) at http://localhost:$(PORT)
run: $(BIN)/.installed
	$(BIN)/python -m cxdash demo --data "$(DATA)" --if-missing
	CXDASH_DATA="$(DATA)" $(BIN)/streamlit run app.py --server.port $(PORT)

## test: the whole suite: unit, SQL contract, AppTest and Playwright in Debian's Chromium
test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/bench.py

clean-venv:
	rm -rf $(VENV)
