"""User functions' cost, in process (no server, no client): `.venv/bin/python -m bench.user_functions`.

1. A statement that calls no user function: translating it costs the same whether the
   database has routines or not (the hooks look the name up in Catalog.routines_named and
   stop; a select list is searched for set-returning calls only when the database has a
   set-returning routine). Printed: microseconds per translation, with no routine in the
   database and with routines of other names.
2. A trivial SQL function called in a 10,000-row SELECT: inlined (PostgreSQL's
   inline_function: no per-row cost), and run per row through the language handler
   (a SECURITY DEFINER one, which PostgreSQL does not inline either; a two-statement body).
Best of several rounds each; the machine's load shows in the absolute numbers.
"""

from __future__ import annotations

import pathlib
import tempfile
import time

import pglast

from pgsvc.settings import Settings
from pgsvc.sql.api import SessionInfo
from pgsvc.sql.exec.engine import Engine
from pgsvc.sql.translate import Translator


def _engine() -> Engine:
    path = pathlib.Path(tempfile.mkdtemp(prefix="pgsvc-bench-fn-"))
    (path / "db.sqlite").touch()
    return Engine(SessionInfo(str(path), "db", str(path / "db.sqlite"), "bench", True, 1, Settings(),
                              lambda notice: None))


def _run(e: Engine, sql: str) -> list:
    out: list = []
    for st in e.parse_script(sql):
        r = e.execute(st, ())
        out = list(r.rows) if r.columns is not None else []
    return out


def _best(fn, rounds: int = 7) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    e = _engine()
    _run(e, "CREATE TABLE t (x int PRIMARY KEY, y text)")
    _run(e, "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 10000) AS g")
    node = pglast.parse_sql("SELECT lower(y), length(y) + x, abs(x) FROM t, generate_series(1, 3) AS g "
                            "WHERE upper(y) = 'A'")[0].stmt

    def translate(n: int = 2000) -> None:
        for _ in range(n):
            Translator(e, e.catalog, []).select(node)
    plain = _best(translate)
    _run(e, "CREATE FUNCTION add1(a int) RETURNS int LANGUAGE sql AS 'SELECT a + 1'")
    _run(e, "CREATE FUNCTION add1d(a int) RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT a + 1'")
    _run(e, "CREATE FUNCTION add1m(a int) RETURNS int LANGUAGE sql AS 'SELECT 1; SELECT a + 1'")
    _run(e, "CREATE FUNCTION rows_of(n int) RETURNS SETOF int LANGUAGE sql AS 'SELECT x FROM t WHERE x < n'")
    other = _best(translate)
    print(f"translating a statement without user functions: {plain / 2000 * 1e6:.1f} us (no routines), "
          f"{other / 2000 * 1e6:.1f} us (routines of other names in the database)")
    expected = _run(e, "SELECT sum(x + 1) FROM t")
    for label, sql in (("x + 1, no function", "SELECT sum(x + 1) FROM t"),
                       ("add1(x), inlined", "SELECT sum(add1(x)) FROM t"),
                       ("add1d(x), SECURITY DEFINER: called per row", "SELECT sum(add1d(x)) FROM t"),
                       ("add1m(x), two statements: called per row", "SELECT sum(add1m(x)) FROM t")):
        assert _run(e, sql) == expected, label
        print(f"{label:45s} {_best(lambda sql=sql: _run(e, sql)) * 1000:7.1f} ms per 10,000-row SELECT")


if __name__ == "__main__":
    main()
