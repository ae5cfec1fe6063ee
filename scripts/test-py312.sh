#!/bin/sh
# make test-py312: `make test` (the unit and integration tests, PostgreSQL 15 comparisons
# included) under CPython 3.12, on this host.
#
# No Debian suite ships Python 3.12 (bookworm has 3.11, trixie 3.13), so the interpreter
# is the one pyenv keeps on this kind of machine (/root/.pyenv/versions/3.12.*; PGSVC_PY312
# names another installation). The tests start servers that drop from root to a throwaway
# account, and some run python as that account: an interpreter under /root (0700) is out
# of its reach. So the installation is copied to build/test-py312/python (its own test
# suite left out) and its libpython found there (patchelf sets that absolute RUNPATH:
# $ORIGIN would be ignored where real and effective uid differ, as test_privsep makes them).
#
# As scripts/test-in-tree.sh does, the work tree's files (tracked and untracked but not
# ignored) are copied to build/test-py312/src, whose .venv is the 3.12 one (a link to
# build/test-py312/venv, kept between runs), and `make test` runs there: tests that run
# .venv/bin/pgsvc run the 3.12 one. CI=true is passed through as it is.
set -eu
cd "$(dirname "$0")/.."
work=$(pwd)/build/test-py312

cannot_run() {
    echo "test-py312: cannot run: $1" >&2
    case "${CI:-}" in 1|true|yes) exit 1 ;; esac
    echo "test-py312: skipped (it fails under CI=true)" >&2
    exit 0
}

origin=${PGSVC_PY312:-$(ls -d /root/.pyenv/versions/3.12.* 2>/dev/null | sort -V | tail -n 1)}
[ -n "$origin" ] && [ -x "$origin/bin/python3.12" ] ||
    cannot_run "no CPython 3.12 (looked for /root/.pyenv/versions/3.12.*; set PGSVC_PY312)"
command -v patchelf >/dev/null 2>&1 || cannot_run "needs patchelf (apt-get install patchelf)"

py=$work/python/bin/python3.12
stamp="$origin $(stat -c %Y "$origin/bin/python3.12")"
if [ ! -x "$py" ] || [ "$(cat "$work/python.origin" 2>/dev/null)" != "$stamp" ]; then
    echo "== copying $origin to $work/python"
    rm -rf "$work/python" "$work/venv"
    mkdir -p "$work/python"
    tar -C "$origin" --exclude=./lib/python3.12/test -cf - . | tar -C "$work/python" -xf -
    chmod -R a+rX "$work/python"
    patchelf --set-rpath "$work/python/lib" "$py"
    echo "$stamp" > "$work/python.origin"
fi
"$py" -c 'import sys, ssl, sqlite3, ctypes; assert sys.version_info[:2] == (3, 12)'

rm -rf "$work/src"
mkdir -p "$work/src"
git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$work/src" -xf -
# A repository of its own: conftest.engine_available asks git whether the engine is tracked.
git -C "$work/src" init -q
git -C "$work/src" add -A
if [ -x "$work/venv/bin/python" ] && [ "$("$work/venv/bin/python" -c 'import sys; print(sys.version_info[:2] == (3, 12))')" != True ]; then
    rm -rf "$work/venv"
fi
ln -sfn "$work/venv" "$work/src/.venv"
# pip from PyPI into the venv on first use (the Makefile's venv target, with this python)
[ -x "$work/venv/bin/python" ] || "$py" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check -e "$work/src[test]"
touch "$work/venv/.installed"
echo "== $("$work/venv/bin/python" -VV) on $(. /etc/os-release; echo "$PRETTY_NAME")"
exec make -C "$work/src" test PYTHON="$py" VENV=.venv
