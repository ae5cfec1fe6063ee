# pgsvc — developer entry points. See README.md.
PYTHON ?= /usr/bin/python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PGSVC  := $(VENV)/bin/pgsvc
DATA   ?= ./data
PORT   ?= 5433
SOCKDIR ?= /tmp

.PHONY: venv run test unit integration test-py312 test-py313 test-suite lint fuzz deb e2e rpm bench bench-quick compat clean

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

# The end-to-end package test (tests/e2e) boots a container: it runs under `make e2e`.
test: venv
	$(PY) -m pytest -q tests/unit tests/integration

unit: venv
	$(PY) -m pytest -q tests/unit

integration: venv
	$(PY) -m pytest -q tests/integration

# The same unit and integration tests under Debian trixie's Python 3.13, inside the
# trixie tree `make deb` builds in (root); their PostgreSQL 15 clusters are started on
# the host, which has PostgreSQL 15 (scripts/test-in-tree.sh).
# make test-suite SUITE=bookworm does the same in another supported suite's tree.
test-py313:
	sh scripts/test-in-tree.sh trixie

# `make test` under CPython 3.12 on this host (no Debian suite ships 3.12): pyenv's
# /root/.pyenv/versions/3.12.*, copied where the tests' unprivileged accounts can run it
# (root, patchelf; scripts/test-py312.sh).
test-py312:
	sh scripts/test-py312.sh

SUITE ?= trixie
test-suite:
	sh scripts/test-in-tree.sh $(SUITE)

# sqlsmith's random queries, 20,000 of them, and its error rate beside PostgreSQL 15's
# (make test runs 2,000; tests/integration/test_sqlsmith.py)
fuzz: venv
	PGSVC_SQLSMITH_QUERIES=20000 PGSVC_SQLSMITH_COMPARE=1 $(PY) -m pytest -q -s tests/integration/test_sqlsmith.py

# ruff, and the SQL package's layer contract (pgsvc/sql/README.md; import-linter, pyproject.toml)
lint: venv
	$(VENV)/bin/ruff check pgsvc tests
	$(VENV)/bin/lint-imports --no-cache

# --- packaging and the end-to-end test under systemd (packaging/README.md) ---

# One package per supported suite, each built in a debootstrapped tree of that suite:
# dist/pgsvc_<version>-1~deb12_<arch>.deb (bookworm), ..._deb13_... (trixie);
# lintian-checked (errors fail the build). Needs root, debootstrap, systemd-container.
# PGSVC_SUITES="trixie" builds a subset.
deb:
	sh packaging/build-deb.sh

# Boots a container of each suite (systemd-nspawn) and checks its installed package;
# needs root, debootstrap and systemd-container. -s: every step prints what it runs.
# PGSVC_E2E_SUITES="trixie" checks a subset.
e2e: venv deb
	PGSVC_E2E=1 $(PY) -m pytest -v -s -p no:cacheprovider tests/e2e

# dist/pgsvc-<version>-1.<arch>.rpm with rpmbuild, where it is installed (optional).
rpm:
	sh packaging/rpm/build-rpm.sh

# Side-by-side benchmark against PostgreSQL 15 (see bench/README.md); not part of `make test`.
# Needs root (throwaway accounts), PostgreSQL 15 in /usr/lib/postgresql/15/bin, pgbench, psql.
# matplotlib (for the PNG chart only) is pip-installed into the venv on first use.
BENCH_ARGS ?=
BENCH_MPL = $(PY) -c 'import matplotlib' 2>/dev/null || $(PY) -m pip install -q matplotlib \
	|| echo "bench: matplotlib unavailable, the PNG chart will be skipped"

bench: venv
	@$(BENCH_MPL)
	$(PY) -m bench $(BENCH_ARGS)

bench-quick: venv
	@$(BENCH_MPL)
	$(PY) -m bench --quick $(BENCH_ARGS)

# Real drivers' own test suites (psycopg 3, asyncpg) against pgsvc and PostgreSQL 15, side by side;
# not part of `make test`. Needs root. Writes compat/LATEST.md (see compat/README.md).
compat: venv
	bash compat/compat.sh

clean:
	rm -rf build dist *.egg-info
