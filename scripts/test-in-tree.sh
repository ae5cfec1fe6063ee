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
# CI=true is passed through: then a test that cannot run fails instead of skipping. The
# tests that compare with PostgreSQL 15's own server (tests/conftest.py PG15_BIN) need
# /usr/lib/postgresql/15/bin, which trixie does not have (it ships PostgreSQL 17): inside
# trixie they skip, even with CI=true (PGSVC_NO_PG15=1 below), and run on the host's
# bookworm in `make test`.
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
cd /build/src
echo "== \$(/build/venv/bin/python -VV) in \$(. /etc/os-release; echo \$PRETTY_NAME)"
/build/venv/bin/python -m pytest -q ${PYTEST_ARGS:-tests/unit tests/integration}
EOF

exec python3 packaging/suite_tree.py run "$suite" --timeout "${PGSVC_TREE_TEST_TIMEOUT:-3600}" \
    --bind "$(pwd)/$work:/build" --chdir /build/src \
    --setenv "CI=${CI:-}" --setenv PGSVC_NO_PG15=1 \
    --setenv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    -- sh /build/run.sh
