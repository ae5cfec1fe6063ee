"""pgsvc runs on the SQLite it ships (pgsvc.sqlite: sqlean.py's bundled SQLite), in one
place, with none of sqlean's file functions, and no Python window function can crash a
backend.

Two SQLite libraries in one process would not see each other's POSIX locks on a database
file, so no module of pgsvc imports the standard library's sqlite3: they all take
`from pgsvc.sqlite import sqlite3`.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from pgsvc.sqlite import SQLITE_VERSION, sqlite3
from pgsvc.sql.functions.window_aggs import decode_frame

ROOT = Path(__file__).resolve().parents[2]


_STDLIB_IMPORT = re.compile(r"^\s*(import\s+sqlite3\b|from\s+sqlite3\b)", re.M)


def test_no_module_imports_the_standard_sqlite3():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "pgsvc").rglob("*.py")
                 if _STDLIB_IMPORT.search(p.read_text())]
    assert offenders == [], "use `from pgsvc.sqlite import sqlite3`: " + ", ".join(offenders)


def test_the_shipped_sqlite_is_current():
    assert sqlite3.__name__.startswith("sqlean")
    assert tuple(int(p) for p in SQLITE_VERSION.split(".")) >= (3, 50, 0)
    conn = sqlite3.connect(":memory:")
    assert conn.execute("SELECT count(*) FROM dbstat").fetchone() == (0,)  # the size functions'


_FILEIO = """
import os, sys
from pgsvc.sqlite import sqlite3
c = sqlite3.connect(":memory:")
names = [r[0] for r in c.execute("SELECT name FROM pragma_function_list WHERE name LIKE 'fileio%'")]
print(len(names))
"""


@pytest.mark.parametrize("env", [{"SQLEAN_ENABLE": "1"}, {"SQLEAN_ENABLE_FILEIO": "1"}])
def test_an_environment_cannot_enable_sqleans_file_functions(env):
    """sqlean.py turns on its extensions (fileio reads and writes files) from the
    environment; pgsvc.sqlite removes those variables before any connection."""
    proc = subprocess.run([sys.executable, "-c", _FILEIO], capture_output=True, text=True, timeout=60,
                          cwd=str(ROOT), env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"


def test_no_python_window_function_is_registered():
    """create_window_function is the API whose empty-frame call crashes the standard
    module (CPython gh-153800); pgsvc computes Python aggregates over frames as scalars."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "pgsvc").rglob("*.py")
                 if "create_window_function" in p.read_text()]
    assert offenders == []


_CRASH = """
import sqlite3
class W:
    def __init__(self): self.v = 0
    def step(self, x): self.v += x
    def inverse(self, x): self.v -= x
    def value(self): return self.v
    def finalize(self): return self.v
c = sqlite3.connect(":memory:")
c.create_window_function("w", 1, W)
c.execute("create table t(x)")
c.execute("insert into t values (1)")
c.execute("select w(x) filter (where x > 5) over (order by x) from t").fetchall()
"""


def test_the_window_crash_pgsvc_avoids_is_real_in_the_standard_module():
    """The reason for window_aggs: with the standard module, a Python window function
    asked for its value before any row (here: a FILTER that rejected the first row)
    crashes the process. If this ever stops crashing, the workaround may go."""
    proc = subprocess.run([sys.executable, "-I", "-c", _CRASH], capture_output=True, timeout=60,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)))
    if proc.returncode == 0:
        pytest.skip("this Python's sqlite3 no longer crashes on an empty window frame")
    assert proc.returncode < 0  # killed by a signal (SIGSEGV)


@pytest.mark.parametrize("values", [
    [1, -2, 0, 2**63 - 1, -2**63],
    [0.1 + 0.2, 1e308, -1e-308, float("inf"), float("-inf"), 5e-324],
    ["", "a,b", "it's", "''", ",',", "ünï\u2028", "NULL", "X'00'"],
    [b"", b"\x00\xff", b"',"],
    [None, "x", None],
])
def test_quote_roundtrip(values):
    """Each value group_concat(quote(v)) writes comes back as SQLite stored it."""
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (i integer primary key, v)")
    conn.executemany("insert into t (v) values (?)", [(v,) for v in values])
    text = conn.execute("select group_concat(quote(v), ',') from (select v from t order by i)").fetchone()[0]
    assert decode_frame(text, 1) == [(v,) for v in values]
    pairs = conn.execute("select group_concat(quote(v) || ',' || quote(i), ',') "
                         "from (select v, i from t order by i)").fetchone()[0]
    assert decode_frame(pairs, 2) == [(v, i + 1) for i, v in enumerate(values)]
