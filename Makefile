# The two commands of the README: `make run` and `make test`. Each sets up what it needs and is
# safe to run twice: a .venv/ from the hash-locked requirements.lock, and Debian's chromium for
# the browser tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= $(or $(CXDASH_DATA),data)
PORT ?= 8501
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint bench lock clean-venv

$(BIN)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	# the repository itself on the path, so `python -m cxdash` and `streamlit run` find the package
	echo "$(CURDIR)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/cxdash-repo.pth"
	touch $@

# Playwright drives Debian's Chromium (a browser download is impossible here); installing it needs root.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

## run: start the dashboard on the demo data (made on first start) at http://localhost:$(PORT)
run: $(BIN)/.installed
	$(BIN)/python -m cxdash demo --data "$(DATA)" --if-missing
	CXDASH_DATA="$(DATA)" $(BIN)/streamlit run app.py --server.port $(PORT)

## test: the whole suite: lint, unit, SQL contract, AppTest and Playwright in Debian's Chromium
test: $(BIN)/.installed $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

## bench: build a 10-million-interaction demo and time every page's queries against plain pandas
bench: $(BIN)/.installed
	$(BIN)/python bench/bench.py

## lock: re-resolve requirements.lock from pyproject.toml (needs uv; run after changing a pin)
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -o requirements.lock

clean-venv:
	rm -rf $(VENV)
