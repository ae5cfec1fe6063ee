#!/bin/sh
# make test-py313 (and make test-suite SUITE=<suite>): the unit and integration tests
# under another Debian suite's python3, inside that suite's tree (packaging/suite_tree.py:
# the same cached debootstrap tree `make deb` builds in, run with systemd-nspawn
# --volatile=overlay, so the throwaway accounts the tests create vanish with it).
#
# The work tree's files (tracked and untracked-but-not-ignored) are copied to
# build/test-<suite>/src, a venv is made there with the suite's /usr/bin/python3 and
# pip install -e '.[test]' (from PyPI: the host's network is shared), then
# pytest tests/unit tests/integration (PYTEST_ARGS overrides the selection).
#
# CI=true is passed through: then a test that cannot run fails instead of skipping.
# The tests that compare with PostgreSQL 15 (tests/conftest.py Postgres) get their
# clusters from the host: trixie ships PostgreSQL 17 only, so a broker on the host
# (tests/pg15_cluster.py serve, the host's /usr/lib/postgresql/15/bin) starts a cluster
# for each Postgres() the tests make, in a directory bind-mounted at the same path into
# the tree; the tree shares the host's network, so its 127.0.0.1 port is the same too.
# The client programs on PATH (psql, pgbench, createdb, ...) are the suite's own
# (postgresql-client 17 on trixie), run against both servers alike, except pg_dump,
# pg_dumpall and pg_restore: 17's SET transaction_timeout, which a 15 server (and so
# pgsvc) refuses, so dumps made with them do not load into either. Those three are
# PostgreSQL 15's: the host's /usr/lib/postgresql/15/bin is bound read-only at the same
# path (they run on the suite's libpq) and linked from /usr/local/bin. The host's
# /usr/share/zoneinfo is bound read-only over the tree's: PostgreSQL 15 (built
# --with-system-tzdata) and pgsvc then list the same time zones (trixie moved the
# old names to tzdata-legacy, which minbase lacks).
set -eu
cd "$(dirname "$0")/.."
suite=${1:?usage: scripts/test-in-tree.sh SUITE}
work=build/test-$suite
set -- $(python3 packaging/suite_tree.py info "$suite")
pyver=$2

rm -rf "$work/src"
mkdir -p "$work/src"
git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$work/src" -xf -
# A repository of its own: conftest.engine_available asks git whether the engine is tracked.
git -C "$work/src" init -q
git -C "$work/src" add -A

cat > "$work/run.sh" <<EOF
set -eu
PY=/usr/bin/python3
test "\$(\$PY -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$pyver"
if [ ! -x /build/venv/bin/python ] || [ "\$(/build/venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$pyver" ]; then
    rm -rf /build/venv
    \$PY -m venv /build/venv
fi
/build/venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
/build/venv/bin/python -m pip install -q --disable-pip-version-check -e '/build/src[test]'
ln -sfn /build/venv /build/src/.venv   # tests/integration/test_control.py runs .venv/bin/pgsvc
if [ -x /usr/lib/postgresql/15/bin/pg_dump ]; then
    for tool in pg_dump pg_dumpall pg_restore; do   # in the volatile overlay: gone after the run
        ln -sf /usr/lib/postgresql/15/bin/\$tool /usr/local/bin/\$tool
    done
fi
cd /build/src
echo "== \$(/build/venv/bin/python -VV) in \$(. /etc/os-release; echo \$PRETTY_NAME); \$(psql --version); \$(pg_dump --version)"
/build/venv/bin/python -m pytest -q ${PYTEST_ARGS:-tests/unit tests/integration}
EOF

# The PostgreSQL 15 broker, on the host, for as long as the tree runs (without a host
# PostgreSQL 15 the comparisons cannot run: they skip, or fail under CI=true).
pg15=""
broker=""
if [ -x /usr/lib/postgresql/15/bin/postgres ]; then
    pg15=$(mktemp -d /tmp/pgsvc-pg15-broker.XXXXXX)
    python3 tests/pg15_cluster.py serve "$pg15" &
    broker=$!
    trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$pg15"' EXIT
    trap 'exit 143' INT TERM
    i=0
    while [ ! -S "$pg15/broker.sock" ]; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 $broker 2>/dev/null; then
            echo "test-in-tree: the PostgreSQL 15 broker did not start" >&2
            exit 1
        fi
        sleep 0.1
    done
fi

rc=0
python3 packaging/suite_tree.py run "$suite" --timeout "${PGSVC_TREE_TEST_TIMEOUT:-3600}" \
    --bind "$(pwd)/$work:/build" --chdir /build/src \
    ${pg15:+--bind "$pg15:$pg15"} --bind-ro /usr/share/zoneinfo:/usr/share/zoneinfo \
    ${pg15:+--bind-ro /usr/lib/postgresql/15/bin:/usr/lib/postgresql/15/bin} \
    --setenv "CI=${CI:-}" ${pg15:+--setenv "PGSVC_PG15_BROKER=$pg15/broker.sock"} \
    --setenv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    -- sh /build/run.sh || rc=$?
exit $rc
