#!/bin/bash
# `make compat`: real drivers' own test suites against pgsvc and PostgreSQL 15 (compat/README.md).
#
# Gets a pinned release's tests/ into a cache outside the repository, installs the matching
# driver and the suite's test dependencies into a venv of its own there, starts a throwaway
# PostgreSQL 15 and a throwaway pgsvc (the committed HEAD by default), runs the suite against
# each in turn (bounded), and writes compat/LATEST.md with compat/report.py.
#
# Settings (environment):
#   COMPAT_CACHE      cache directory            (default ~/.cache/pgsvc-compat)
#   COMPAT_SUITES     suites to run              (default "psycopg asyncpg")
#   PSYCOPG_VERSION   pinned psycopg release     (default 3.3.4)
#   ASYNCPG_VERSION   pinned asyncpg release     (default 0.30.0)
#   COMPAT_PGSVC      "head" (git archive of HEAD, default), a commit (git archive of it), or
#                     "tree" (the working tree)
#   PSYCOPG_MARK      psycopg's marker expression (default "not mypy", as issue 18 asks)
#   COMPAT_PARALLEL   1: run a suite against both servers at the same time (default 0: in turn)
#   COMPAT_ARGS       extra pytest arguments for every run (debugging: -k, -x, -p no:randomly);
#                     a run with COMPAT_ARGS writes compat/runs/ only, never LATEST.md
#   COMPAT_BUDGET     seconds one suite may run against one server (default 3600)
#   COMPAT_DEBIAN_MIRROR                         (default http://deb.debian.org/debian)
set -euo pipefail
{   # the whole script is read before it runs: editing it during a run cannot derail the run

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
CACHE=${COMPAT_CACHE:-$HOME/.cache/pgsvc-compat}
SUITES=${COMPAT_SUITES:-"psycopg asyncpg"}
PSYCOPG_VERSION=${PSYCOPG_VERSION:-3.3.4}
ASYNCPG_VERSION=${ASYNCPG_VERSION:-0.30.0}
COMPAT_PGSVC=${COMPAT_PGSVC:-head}
COMPAT_ARGS=${COMPAT_ARGS:-}
PSYCOPG_MARK=${PSYCOPG_MARK:-not mypy}
PARALLEL=${COMPAT_PARALLEL:-0}
BUDGET=${COMPAT_BUDGET:-3600}
MIRROR=${COMPAT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PYTHON=${PYTHON:-/usr/bin/python3}
PGSVC_PY="$ROOT/.venv/bin/python"
PG15_BIN=/usr/lib/postgresql/15/bin
ACCOUNT=pgsvc_test
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUNDIR="$CACHE/runs/$STAMP"

# urllib rather than curl: a fresh Debian 12 may have no curl
download() { timeout 300 "$PYTHON" -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$1" "$2" 2>/dev/null; }
log() { echo "compat: $*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (throwaway accounts; PostgreSQL runs as 'postgres', pgsvc as '$ACCOUNT')"
[ -x "$PG15_BIN/postgres" ] || die "needs PostgreSQL 15 server binaries in $PG15_BIN (apt-get install postgresql-15)"
[ -x "$PGSVC_PY" ] || die "needs the project's venv ($ROOT/.venv; make venv)"
id postgres >/dev/null 2>&1 || die "needs the 'postgres' account (it comes with postgresql-15)"
id "$ACCOUNT" >/dev/null 2>&1 || useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$ACCOUNT"
mkdir -p "$CACHE/src" "$RUNDIR"

# ---------------------------------------------------------------- sources --------------
# Debian source packages through a private apt state under the cache (the machine's own
# sources list and package lists are not touched).
APTDIR="$CACHE/apt"
APT_OPTS=(-o "Dir::Etc::sourcelist=$APTDIR/sources.list" -o "Dir::Etc::sourceparts=$APTDIR/sources.list.d"
          -o "Dir::State::Lists=$APTDIR/lists" -o "Dir::Cache=$APTDIR/cache"
          -o "Dir::Etc::preferencesparts=$APTDIR/preferences.d" -o "APT::Sandbox::User=root")

apt_update() {
    [ -n "$(find "$APTDIR/lists" -name '*Sources' -mmin -1440 2>/dev/null | head -1)" ] && return 0
    mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/sources.list.d" "$APTDIR/preferences.d"
    printf 'deb-src %s %s main\n' "$MIRROR" bookworm "$MIRROR" bookworm-backports "$MIRROR" trixie \
        "$MIRROR" sid > "$APTDIR/sources.list"
    timeout 300 apt-get "${APT_OPTS[@]}" -q update >"$APTDIR/update.log" 2>&1
}

# from_debian SRCPKG VERSION OUT: the upstream tarball of any Debian revision of VERSION.
from_debian() {
    local pkg=$1 ver=$2 out=$3 dir rev uri name
    apt_update || { log "  debian: apt-get update failed ($APTDIR/update.log)"; return 1; }
    dir=$(mktemp -d)
    for rev in $(apt-cache "${APT_OPTS[@]}" showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' \
                 | grep -E "^([0-9]+:)?${ver//./\\.}(-|$)" | sort -u); do
        if (cd "$dir" && timeout 300 apt-get "${APT_OPTS[@]}" -q source --download-only "$pkg=$rev" >/dev/null 2>&1); then
            :
        else
            # apt-get source wants every file of the package; the upstream tarball alone is enough
            read -r uri name _ < <(cd "$dir" && apt-get "${APT_OPTS[@]}" -q source --print-uris "$pkg=$rev" 2>/dev/null \
                                   | grep -E "\.orig\.tar\.[a-z0-9]+' " | head -1) || true
            [ -n "${uri:-}" ] && download "${uri//\'/}" "$dir/$name" || true
        fi
        name=$(ls "$dir"/*.orig.tar.* 2>/dev/null | head -1)
        if [ -n "$name" ]; then mv "$name" "$out"; rm -rf "$dir"; echo "Debian source package $pkg $rev"; return 0; fi
        log "  debian: $pkg=$rev: upstream tarball not downloadable"
    done
    [ -z "${rev:-}" ] && log "  debian: no $pkg source package of version $ver"
    rm -rf "$dir"; return 1
}

# from_pypi DIST VERSION OUT: the sdist, if it carries tests/.
from_pypi() {
    local dist=$1 ver=$2 out=$3 dir f
    dir=$(mktemp -d)
    if timeout 600 "$PGSVC_PY" -m pip download -q --no-deps --no-binary "$dist" "$dist==$ver" -d "$dir" >/dev/null 2>&1; then
        f=$(ls "$dir"/*.tar.gz 2>/dev/null | head -1)
        if [ -n "$f" ] && tar tzf "$f" | grep -cE '^[^/]+/tests/(conftest|__init__)\.py$' >/dev/null; then
            mv "$f" "$out"; rm -rf "$dir"; echo "PyPI sdist $dist $ver"; return 0
        fi
        log "  pypi: the $dist $ver sdist carries no tests/"
    else
        log "  pypi: no $dist $ver sdist"
    fi
    rm -rf "$dir"; return 1
}

# from_github URL OUT
from_github() {
    if download "$1" "$2"; then echo "GitHub tarball $1"; return 0; fi
    rm -f "$2"; log "  github: $1 not reachable"; return 1
}

# get_tests NAME DEBSRC VERSION GITHUB_URL: extracts tests/ (and what the tests use from
# beside it: the top-level pytest configuration, psycopg's tools/pproxy_fix.py for its proxy
# tests) into $CACHE/src/NAME-VERSION and prints that path.
get_tests() {
    local name=$1 debsrc=$2 ver=$3 gh=$4 dest="$CACHE/src/$1-$3" tgz="$CACHE/src/$1-$3.tar.gz" origin top
    if [ -f "$dest/SOURCE" ] && [ -f "$dest/.layout-2" ]; then echo "$dest"; return 0; fi
    rm -rf "$dest"
    if [ -f "$tgz" ]; then
        origin=$(cat "$tgz.origin" 2>/dev/null || echo "tarball placed at $tgz")
    else
        log "getting $name $ver tests/ ..."
        origin=$(from_debian "$debsrc" "$ver" "$tgz.part" || from_pypi "$name" "$ver" "$tgz.part" \
                 || from_github "$gh" "$tgz.part") || {
            log "no reachable source carries $name $ver's tests/. Put its release tarball (e.g. $gh) at $tgz"
            return 1; }
        mv "$tgz.part" "$tgz"; echo "$origin" > "$tgz.origin"
    fi
    top=$(tar tf "$tgz" | sed -n '1s#/.*##p'; true)
    rm -rf "$dest.part"; mkdir -p "$dest.part"
    tar xf "$tgz" -C "$dest.part" --strip-components=1 "$top/tests" || die "$tgz has no tests/"
    local extra
    for extra in pyproject.toml setup.cfg tools/pproxy_fix.py; do
        tar xf "$tgz" -C "$dest.part" --strip-components=1 "$top/$extra" 2>/dev/null || true
    done
    echo "$origin" > "$dest.part/SOURCE"; touch "$dest.part/.layout-2"
    mv "$dest.part" "$dest"
    echo "$dest"
}

# make_venv NAME VERSION PACKAGES...: a venv of its own under the cache.
make_venv() {
    local venv="$CACHE/venv-$1-$2"; shift 2
    if [ ! -f "$venv/.installed" ]; then
        log "installing $* into $venv ..."
        rm -rf "$venv"
        "$PYTHON" -m venv "$venv"
        timeout 900 "$venv/bin/python" -m pip install -q "$@" >"$venv.log" 2>&1 \
            || die "pip install failed: $venv.log"
        touch "$venv/.installed"
    fi
    echo "$venv"
}

# ---------------------------------------------------------------- servers --------------
WORK=$(mktemp -d /tmp/pgsvc-compat-XXXXXX); chmod 755 "$WORK"
PG_PID=""; SVC_PID=""
cleanup() {
    if [ -n "$SVC_PID" ] && kill -0 "$SVC_PID" 2>/dev/null; then
        kill -INT "$SVC_PID"; for _ in $(seq 100); do kill -0 "$SVC_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$SVC_PID" 2>/dev/null && kill -KILL "$SVC_PID"
    fi
    if [ -n "$PG_PID" ] && [ -d "$WORK/pg/db" ]; then
        runuser -u postgres -- "$PG15_BIN/pg_ctl" -D "$WORK/pg/db" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_pg15() {
    mkdir -p "$WORK/pg"; chown postgres "$WORK/pg"
    PG_PORT=$(free_port)
    runuser -u postgres -- "$PG15_BIN/initdb" -D "$WORK/pg/db" -A trust -U postgres --locale=C.UTF-8 -E UTF8 >/dev/null
    runuser -u postgres -- "$PG15_BIN/pg_ctl" -D "$WORK/pg/db" -l "$WORK/pg/log" -w \
        -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1" start >/dev/null
    PG_PID=$(head -1 "$WORK/pg/db/postmaster.pid")
    PG_VERSION_STR=$("$PG15_BIN/psql" -X -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'select version()' postgres)
}

start_pgsvc() {
    mkdir -p "$WORK/svc/sock"; chmod 1777 "$WORK/svc/sock"
    if [ "$COMPAT_PGSVC" != tree ]; then
        local rev; rev=$(git -C "$ROOT" rev-parse --short "${COMPAT_PGSVC/#head/HEAD}^{commit}")
        PGSVC_MEASURED="$rev (committed: git archive $rev)"
        mkdir -p "$WORK/src"; git -C "$ROOT" archive "$rev" pgsvc | tar x -C "$WORK/src"
        export PYTHONPATH="$WORK/src"
    else
        local dirty; dirty=$(git -C "$ROOT" status --porcelain -- pgsvc | wc -l)
        PGSVC_MEASURED="$(git -C "$ROOT" rev-parse --short HEAD) + working tree ($dirty uncommitted files under pgsvc/)"
    fi
    SVC_PORT=$(free_port)
    "$PGSVC_PY" -m pgsvc initdb -D "$WORK/svc/data" -U postgres --owner "$ACCOUNT" >/dev/null
    (cd "$WORK" && exec "$PGSVC_PY" -m pgsvc server -D "$WORK/svc/data" -p "$SVC_PORT" -h 127.0.0.1 \
        -k "$WORK/svc/sock" >"$RUNDIR/pgsvc-server.log" 2>&1) &
    SVC_PID=$!
    for _ in $(seq 200); do
        [ "$(sed -n 8p "$WORK/svc/data/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ] && break
        kill -0 "$SVC_PID" 2>/dev/null || die "pgsvc exited at start-up: $(tail -5 "$RUNDIR/pgsvc-server.log")"
        sleep 0.1
    done
    (cd "$WORK" && "$PGSVC_PY" -c "import pgsvc, sys; sys.stderr.write('compat: pgsvc from ' + pgsvc.__file__ + '\n')")
}

# ---------------------------------------------------------------- suites ---------------
# run_pytest SUITE SERVER DIR VENV DSN ARGS...: one bounded run, JUnit XML into $RUNDIR.
run_pytest() {
    local suite=$1 server=$2 dir=$3 venv=$4; shift 4
    local xml="$RUNDIR/$suite-$server.xml" rc=0 t0=$SECONDS
    log "$suite against $server ($*) ..."
    rm -rf "$dir/.pytest_cache-$server"
    # a cache of its own per server: psycopg's conftest refuses to start while its cache says
    # another session is running ("segfault" flag)
    (cd "$dir" && timeout -s INT -k 60 "$BUDGET" "$venv/bin/python" -m pytest -q -p no:cov --timeout=30 \
        --junitxml="$xml" -o junit_family=xunit1 -o junit_logging=no -o "cache_dir=$dir/.pytest_cache-$server" \
        "$@" $COMPAT_ARGS) >"$RUNDIR/$suite-$server.log" 2>&1 || rc=$?
    log "  exit $rc after $((SECONDS - t0)) s: $(tail -1 "$RUNDIR/$suite-$server.log")"
    echo "$suite $server exit=$rc seconds=$((SECONDS - t0))" >> "$RUNDIR/runs.txt"
}

# run_both SUITE DIR VENV ENVVAR VALUE_FOR_PG15 VALUE_FOR_PGSVC PYTEST_ARGS...: the suite against
# PostgreSQL and then pgsvc, or both at once with COMPAT_PARALLEL=1. (A bare `wait` would also
# wait for the pgsvc server, a background job of this shell: wait for the run's pid only.)
run_both() {
    local suite=$1 dir=$2 venv=$3 var=$4 pgval=$5 svcval=$6 pid; shift 6
    ( export "$var=$pgval"; run_pytest "$suite" pg15 "$dir" "$venv" "$@" ) & pid=$!
    [ "$PARALLEL" = 1 ] || wait "$pid"
    ( export "$var=$svcval"; run_pytest "$suite" pgsvc "$dir" "$venv" "$@" )
    wait "$pid"
}

run_psycopg() {
    local dir venv
    dir=$(get_tests psycopg psycopg3 "$PSYCOPG_VERSION" \
          "https://github.com/psycopg/psycopg/archive/refs/tags/$PSYCOPG_VERSION.tar.gz")
    venv=$(make_venv psycopg "$PSYCOPG_VERSION" "psycopg[binary,pool]==$PSYCOPG_VERSION" \
           "pytest>=8,<10" pytest-timeout pytest-randomly "anyio>=4.0" "pproxy>=2.7" dnspython numpy)
    echo "psycopg $PSYCOPG_VERSION tests from: $(cat "$dir/SOURCE"); \`-m \"$PSYCOPG_MARK\"\`" >> "$RUNDIR/sources.txt"
    local common=(-m "$PSYCOPG_MARK" -p randomly --randomly-seed=1)
    run_both psycopg "$dir" "$venv" PSYCOPG_TEST_DSN \
        "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres" \
        "host=127.0.0.1 port=$SVC_PORT user=postgres dbname=postgres" "${common[@]}"
    REPORT_ARGS+=(--suite "psycopg $PSYCOPG_VERSION" "$RUNDIR/psycopg-pg15.xml" "$RUNDIR/psycopg-pgsvc.xml")
    REPORT_PY="$venv/bin/python"
}

run_asyncpg() {
    local dir venv
    dir=$(get_tests asyncpg asyncpg "$ASYNCPG_VERSION" \
          "https://github.com/MagicStack/asyncpg/archive/refs/tags/v$ASYNCPG_VERSION.tar.gz")
    venv=$(make_venv asyncpg "$ASYNCPG_VERSION" "asyncpg==$ASYNCPG_VERSION" "pytest>=8,<10" pytest-timeout \
           "uvloop>=0.15.3" distro)
    echo "asyncpg $ASYNCPG_VERSION tests from: $(cat "$dir/SOURCE")" >> "$RUNDIR/sources.txt"
    # asyncpg's own cluster fixture uses a running server when PGHOST is set (RunningCluster);
    # the few tests that make clusters of their own find PostgreSQL 15 through PGINSTALLATION.
    local common=(-p no:randomly)
    PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=postgres PGINSTALLATION=$PG15_BIN \
        run_both asyncpg "$dir" "$venv" PGPORT "$PG_PORT" "$SVC_PORT" "${common[@]}"
    REPORT_PATH="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')"
    REPORT_ARGS+=(--suite "asyncpg $ASYNCPG_VERSION" "$RUNDIR/asyncpg-pg15.xml" "$RUNDIR/asyncpg-pgsvc.xml")
}

REPORT_ARGS=(); REPORT_PY=$PYTHON; REPORT_PATH=""
start_pg15
start_pgsvc
log "PostgreSQL on port $PG_PORT ($PG_VERSION_STR); pgsvc $PGSVC_MEASURED on port $SVC_PORT; logs in $RUNDIR"
for s in $SUITES; do "run_$s"; done

OUT="$HERE/LATEST.md"
[ -n "$COMPAT_ARGS" ] && OUT="$RUNDIR/REPORT.md"
PYTHONPATH="$REPORT_PATH" "$REPORT_PY" "$HERE/report.py" --out "$OUT" --reasons "$HERE/reasons.txt" --pgsvc "$PGSVC_MEASURED" \
    --postgres "$PG_VERSION_STR" --sources "$RUNDIR/sources.txt" --runs "$RUNDIR/runs.txt" \
    --args "$COMPAT_ARGS" "${REPORT_ARGS[@]}"
log "wrote $OUT"
exit 0
}
