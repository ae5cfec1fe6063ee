# pgsvc — developer entry points. See README.md.
PYTHON ?= /usr/bin/python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PGSVC  := $(VENV)/bin/pgsvc
DATA   ?= ./data
PORT   ?= 5433
SOCKDIR ?= /tmp

.PHONY: venv run test unit integration lint deb e2e bench bench-quick clean

# The interpreter is the system's (/usr/bin/python3), not a per-user one: a server
# started as root drops to the `pgsvc` account and must still read its own interpreter.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: venv
	@PGSVC=$(PGSVC) DATA=$(DATA) PORT=$(PORT) SOCKDIR=$(SOCKDIR) sh scripts/run-dev.sh

test: venv
	$(PY) -m pytest -q tests

unit: venv
	$(PY) -m pytest -q tests/unit

integration: venv
	$(PY) -m pytest -q tests/integration

lint: venv
	$(VENV)/bin/ruff check pgsvc tests

clean:
	rm -rf build dist *.egg-info
