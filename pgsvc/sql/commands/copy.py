"""COPY: options -> api.CopySpec, COPY ... TO STDOUT (a table or a query), and
COPY ... FROM STDIN's bulk insert (executemany of one prepared INSERT, omitted columns
get their defaults, values coerced to the column types and typmods in Python).
Server-side files and programs are refused (42501 for non-superusers, else 0A000).
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.api import Column, CopySpec, EngineContext
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.commands.columns import to_column
from pgsvc.sql.statement import Result, Statement
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.dml import column_default
from pgsvc.sql.translate.names import ColInfo
from pgsvc.sql.translate.trigger_dml import row_insert_source
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.typmod import apply_typmod


def _opt_value(d: ast.DefElem):
    a = d.arg
    if a is None:
        return True
    if isinstance(a, ast.String):
        return a.sval
    if isinstance(a, ast.Integer):
        return a.ival
    if isinstance(a, ast.Boolean):
        return a.boolval
    if isinstance(a, ast.A_Star):
        return ["*"]
    if isinstance(a, (list, tuple)):
        return [x.sval for x in a]
    return str(a)


def _bool(v) -> bool:
    if isinstance(v, str):
        return v.lower() in ("true", "on", "1", "yes")
    return bool(v)


def build_spec(node: ast.CopyStmt, columns: list[Column]) -> CopySpec:
    spec = CopySpec("in" if node.is_from else "out", columns)
    fmt = "text"
    opts = {d.defname: _opt_value(d) for d in node.options or ()}
    if "format" in opts:
        fmt = str(opts["format"]).lower()
        if fmt not in ("text", "csv", "binary"):
            raise SqlError("22023", f'COPY format "{fmt}" not recognized')
    spec.format = fmt
    if fmt == "csv":
        spec.delimiter, spec.null = ",", ""
    for key, v in opts.items():
        if key == "delimiter":
            if len(v) != 1:
                raise SqlError("0A000", "COPY delimiter must be a single one-byte character")
            spec.delimiter = v
        elif key == "null":
            spec.null = v
        elif key == "header":
            if str(v).lower() == "match":
                raise SqlError("0A000", "COPY HEADER MATCH is not supported")
            spec.header = _bool(v)
        elif key == "quote":
            spec.quote = v
        elif key == "escape":
            spec.escape = v
        elif key == "force_quote":
            spec.force_quote = v if isinstance(v, list) else [v]
        elif key == "force_not_null":
            spec.force_not_null = v if isinstance(v, list) else [v]
        elif key == "force_null":
            spec.force_null = v if isinstance(v, list) else [v]
        elif key in ("format", "freeze", "encoding"):
            pass
        else:
            raise SqlError("42601", f'option "{key}" not recognized')
    if "escape" not in opts and fmt == "csv":
        spec.escape = spec.quote
    _check_modes(fmt, opts, spec)
    return spec


_CSV_ONLY = (("quote", "quote"), ("escape", "escape"), ("force_quote", "force quote"),
             ("force_not_null", "force not null"), ("force_null", "force null"))


def _check_modes(fmt: str, opts: dict, spec: CopySpec) -> None:
    """ProcessCopyOptions' checks of options the format has no use for."""
    if fmt == "binary":
        for key, what in (("delimiter", "DELIMITER"), ("null", "NULL")):
            if key in opts:
                raise SqlError("42601", f"cannot specify {what} in BINARY mode")
        if spec.header:
            raise SqlError("0A000", "cannot specify HEADER in BINARY mode")
    if fmt != "csv":
        for key, what in _CSV_ONLY:
            if key in opts:
                raise SqlError("0A000", f"COPY {what} available only in CSV mode")


def translate_copy(engine: EngineContext, tr, text: str, node: ast.CopyStmt) -> Statement:
    if node.filename is not None or node.is_program:
        if not engine.session.is_superuser:
            raise SqlError("42501", "must be superuser or have privileges of the pg_read_server_files role "
                           "to COPY from a file" if node.is_from else
                           "must be superuser or have privileges of the pg_write_server_files role "
                           "to COPY to a file",
                           hint='Anyone can COPY to stdout or from stdin. psql\'s \\copy command also works '
                                'for anyone.')
        raise SqlError("0A000", "COPY to or from a server file is not supported")
    if node.whereClause is not None:
        raise SqlError("0A000", "COPY FROM ... WHERE is not supported")
    if node.query is not None:
        if node.is_from:
            raise SqlError("42601", "COPY (query) FROM is not supported")
        q = tr.select(node.query)
        cols = [to_column(c) for c in q.columns]
        stmt = Statement(text, "COPY", cols)
        stmt.sqlite_sql = q.sql
        stmt.copy = build_spec(node, cols)
        stmt.handler = _copy_out
        stmt.writes = tr.writes
        stmt.cacheable = False
        return stmt
    rel = tr.relation(node.relation)
    if rel.kind != "r":
        raise SqlError("42809", f'cannot copy {"to" if node.is_from else "from"} view "{rel.name}"'
                       if rel.kind == "v" else f'"{rel.name}" is not a table')
    tr.need(rel, "a" if node.is_from else "r")
    if node.is_from and tr.rls_policies(rel, "a") is not None:  # translate.row_security
        raise SqlError("0A000", "COPY FROM not supported with row-level security",
                       hint="Use INSERT statements instead.")
    if node.attlist:
        attrs = []
        for n in node.attlist:
            a = rel.attr(n.sval)
            if a is None:
                raise SqlError("42703", f'column "{n.sval}" of relation "{rel.name}" does not exist')
            if a.generated:
                raise SqlError("42P10", f'column "{a.name}" is a generated column',
                               detail="Generated columns cannot be used in COPY.")
            attrs.append(a)
    else:
        attrs = [a for a in rel.attrs if not a.generated]  # COPY leaves generated columns out
    cols = [to_column(ColInfo(a.name, a.type_oid, a.typmod, "", rel.oid, a.attnum)) for a in attrs]
    stmt = Statement(text, "COPY", None)
    stmt.copy = build_spec(node, cols)
    stmt.cacheable = False
    if node.is_from:
        tr.writes = True
        rest = [a for a in rel.attrs if a not in attrs and column_default(a) is not None]
        defaults = [tr.default_expr(rel, a).sql for a in rest]
        names = ", ".join(quote_sqlite_ident(a.name) for a in attrs + rest)
        values = ", ".join([f"?{i + 1}" for i in range(len(attrs))] + defaults)
        stmt.sqlite_sql = f"INSERT INTO {quote_sqlite_ident(rel.sqlite_name)} ({names}) VALUES ({values})"
        stmt.extra["attrs"] = attrs
        if P.partkey(rel) is not None:  # rows routed to the partitions (translate.partitions)
            stmt.extra["part_copy"] = tr.partition_copy_spec(rel, attrs + rest, values)
        elif tr.catalog.triggers and tr.routed(rel, ("INSERT",)) is not None:
            stmt.extra["trigger_copy"] = _trigger_copy(rel, attrs + rest, values, stmt.sqlite_sql)
        stmt.handler = lambda e, s, p: Result(None, [], "COPY", 0)
    else:
        sel = ", ".join(quote_sqlite_ident(a.name) for a in attrs)
        stmt.sqlite_sql = f"SELECT {sel} FROM {tr.rls_wrap_read(rel, quote_sqlite_ident(rel.sqlite_name), None)}"
        stmt.columns = cols
        stmt.handler = _copy_out
    return stmt


def _copy_out(engine, stmt: Statement, params) -> Result:
    saved = stmt.command
    res = engine.run_sql(stmt, [])
    stmt.command = saved
    rows = list(res.rows)
    return Result(stmt.columns, rows, "COPY", len(rows))


def run_copy_in(engine: EngineContext, stmt: Statement, rows) -> int:
    attrs = stmt.extra["attrs"]
    width = len(attrs)
    work = [(i, _column_converter(a)) for i, a in enumerate(attrs)]
    work = [(i, fn) for i, fn in work if fn is not None]

    def converted():
        for row in rows:
            if len(row) != width:
                raise SqlError("22P04", "extra data after last expected column" if len(row) > width
                               else f'missing data for column "{attrs[len(row)].name}"')
            if not work:
                yield row
                continue
            out = list(row)
            for i, fn in work:
                v = out[i]
                if v is not None:
                    out[i] = fn(v)
            yield out

    def run():
        if "part_copy" in stmt.extra:  # a partitioned table (exec.partition_dml)
            return engine.copy_partitioned(stmt.extra["part_copy"], converted())
        if "trigger_copy" in stmt.extra:  # the table has triggers (exec.trigger_dml)
            return engine.copy_with_triggers(stmt.extra["trigger_copy"], converted())
        cur = engine.conn.executemany(stmt.sqlite_sql, converted())
        return cur.rowcount
    return engine.run_atomic(run)


def _trigger_copy(rel, attrs: list, values: str, plain: str) -> dict:
    """COPY FROM into a table with triggers, row by row: `src` makes one COPY row (?1..) a
    row of `names` (defaults evaluated), `w` writes a whole row (exec.trigger_dml)."""
    cols, source = row_insert_source(rel, 0)
    return {"rel": rel.oid, "src": f"SELECT {values}", "names": [a.name for a in attrs], "plain": plain,
            "w": f"INSERT INTO {quote_sqlite_ident(rel.sqlite_name)} ({cols}) {source}"}


def _column_converter(a):
    """Python value -> stored form for one column (typmod coercion first), or None."""
    to_s = sqlite_adapter(a.type_oid)[0]
    typmod, oid = a.typmod, a.type_oid
    if typmod < 0:
        return to_s
    if oid == O.BPCHAR and to_s is None:
        n = typmod - 4

        def pad(v):  # char(n): blank-pad (the common case) without the general path
            return v + " " * (n - len(v)) if len(v) < n else apply_typmod(oid, v, typmod)
        return pad
    if to_s is None:
        return lambda v: apply_typmod(oid, v, typmod)
    return lambda v: to_s(apply_typmod(oid, v, typmod))
