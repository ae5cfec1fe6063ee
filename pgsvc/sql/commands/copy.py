"""COPY: options -> api.CopySpec, COPY ... TO STDOUT (a table or a query), and
COPY ... FROM STDIN's bulk insert (executemany of one prepared INSERT, omitted columns
get their defaults, values coerced to the column types and typmods in Python).
Server-side files and programs are refused (42501 for non-superusers, else 0A000).
"""

from __future__ import annotations

from pglast import ast

from pgsvc.client_encodings import canonical_name
from pgsvc.errors import SqlError
from pgsvc.sql.api import Column, CopySpec, EngineContext
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.commands.columns import to_column
from pgsvc.sql.statement import Result, Statement
from pgsvc.sql.quoting import quote_sqlite_ident, split_top_level
from pgsvc.sql.translate.dml import column_default
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.names import ColInfo, RangeEntry
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
    opts = _options(node)
    if "format" in opts:
        fmt = str(opts["format"]).lower()
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
        elif key in ("format", "freeze", "encoding", "convert_selectively"):
            pass
    if "escape" not in opts and fmt == "csv":
        spec.escape = spec.quote
    _check_modes(fmt, opts, spec)
    return spec


_OPTIONS = ("format", "freeze", "delimiter", "null", "header", "quote", "escape", "force_quote", "force_not_null",
            "force_null", "convert_selectively", "encoding")
_LIST_OPTIONS = ("force_quote", "force_not_null", "force_null", "convert_selectively")


def _options(node: ast.CopyStmt) -> dict:
    """The options as ProcessCopyOptions reads them, in order: an option given twice is
    42601 conflicting or redundant options, an unknown one 42601 not recognized, a bad
    format, column list or encoding 22023, each at the option's position."""
    opts: dict = {}
    for d in node.options or ():
        key, pos = d.defname, location(d)
        if key not in _OPTIONS:
            raise SqlError("42601", f'option "{key}" not recognized', position=pos)
        if key in opts:
            raise SqlError("42601", "conflicting or redundant options", position=pos)
        value = _opt_value(d)
        if key == "format" and str(value).lower() not in ("text", "csv", "binary"):
            raise SqlError("22023", f'COPY format "{value}" not recognized', position=pos)
        listed = isinstance(d.arg, (list, tuple)) or key == "force_quote" and isinstance(d.arg, ast.A_Star) \
            or key == "convert_selectively" and d.arg is None
        if key in _LIST_OPTIONS and not listed:
            raise SqlError("22023", f'argument to option "{key}" must be a list of column names', position=pos)
        if key == "encoding" and canonical_name(str(value)) is None:
            raise SqlError("22023", f'argument to option "{key}" must be a valid encoding name', position=pos)
        opts[key] = value
    return opts


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
    if "force_quote" in opts and spec.direction == "in":
        raise SqlError("0A000", "COPY force quote only available using COPY TO")
    for key, what in (("force_not_null", "force not null"), ("force_null", "force null")):
        if key in opts and spec.direction == "out":
            raise SqlError("0A000", f"COPY {what} only available using COPY FROM")


def _check_force_columns(spec: CopySpec, rel, attrs: list) -> None:
    """BeginCopyFrom / BeginCopyTo: the FORCE_* columns must be the table's (42703) and
    among the columns copied (42P10)."""
    lists = (("FORCE_QUOTE", spec.force_quote),) if spec.direction == "out" else \
        (("FORCE_NOT_NULL", spec.force_not_null), ("FORCE_NULL", spec.force_null))
    for what, names in lists:
        for name in names:
            if name == "*" and what == "FORCE_QUOTE":
                continue
            a = rel.attr(name)
            if a is None:
                raise SqlError("42703", f'column "{name}" of relation "{rel.name}" does not exist')
            if a not in attrs:
                raise SqlError("42P10", f'{what} column "{a.name}" not referenced by COPY')


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
    if rel.kind == "v" and node.is_from:
        if any(t.timing == "INSTEAD OF" and t.fires_on("INSERT") for t in rel.triggers):
            raise SqlError("0A000", f'COPY into view "{rel.name}" through its INSTEAD OF INSERT trigger '
                                    "is not supported", hint="Use INSERT statements instead.")
        raise SqlError("42809", f'cannot copy to view "{rel.name}"',
                       hint="To enable copying to a view, provide an INSTEAD OF INSERT trigger.")
    if rel.kind == "v":
        raise SqlError("42809", f'cannot copy from view "{rel.name}"', hint="Try the COPY (SELECT ...) TO variant.")
    if rel.kind != "r":
        raise SqlError("42809", f'"{rel.name}" is not a table')
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
            if a in attrs:
                raise SqlError("42701", f'column "{a.name}" specified more than once')
            if a.generated:
                raise SqlError("42P10", f'column "{a.name}" is a generated column',
                               detail="Generated columns cannot be used in COPY.")
            attrs.append(a)
    else:
        attrs = [a for a in rel.attrs if not a.generated]  # COPY leaves generated columns out
    cols = [to_column(ColInfo(a.name, a.type_oid, a.typmod, "", rel.oid, a.attnum)) for a in attrs]
    stmt = Statement(text, "COPY", None)
    stmt.copy = build_spec(node, cols)
    _check_force_columns(stmt.copy, rel, attrs)
    if node.is_from:
        stmt.copy.relname = rel.name
    stmt.cacheable = False
    if node.is_from:
        tr.writes = True
        rest = [a for a in rel.attrs if a not in attrs and column_default(a) is not None]
        defaults = [tr.default_expr(rel, a).sql for a in rest]
        names = ", ".join(quote_sqlite_ident(a.name) for a in attrs + rest)
        values = ", ".join([f"?{i + 1}" for i in range(len(attrs))] + defaults)
        stmt.sqlite_sql = f"INSERT INTO {quote_sqlite_ident(rel.sqlite_name)} ({names}) VALUES ({values})"
        stmt.extra["attrs"] = attrs
        if node.whereClause is not None:
            if P.partkey(rel) is not None:
                raise SqlError("0A000", "COPY FROM ... WHERE into a partitioned table is not supported")
            values = _where_source(tr, rel, attrs + rest, values, node.whereClause)
            stmt.sqlite_sql = f"INSERT INTO {quote_sqlite_ident(rel.sqlite_name)} ({names}) {values}"
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


_WHERE = "COPY FROM WHERE conditions"


def _where_source(tr, rel, written: list, values: str, where) -> str:
    """COPY FROM ... WHERE: a SELECT of the row (?1.. and the defaults, as `values` lists
    them for the columns `written`) that yields it only when the condition holds, the
    condition reading the table's columns as the row has them (CopyFrom: defaults first,
    then the WHERE, then BEFORE ROW triggers). transformExpr's EXPR_KIND_COPY_WHERE
    refusals: subqueries, window functions, aggregates, set-returning functions."""
    _check_where_tree(where)
    parts = split_top_level(values)
    sa = tr.new_alias(rel.name)
    index = {a.attnum: i for i, a in enumerate(written)}
    inner = ", ".join(f"{p} AS c{i}" for i, p in enumerate(parts))
    cols = [ColInfo(a.name, a.type_oid, a.typmod, f"{sa}.c{index[a.attnum]}" if a.attnum in index else "NULL",
                    rel.oid, a.attnum) for a in rel.attrs]
    tr.scope.add(RangeEntry(rel.name, cols, rel))
    saved, tr.agg_forbidden = tr.agg_forbidden, _WHERE
    try:
        cond = tr.bool_expr(where, "WHERE").sql
    except SqlError as e:
        if e.message.startswith("set-returning function"):
            raise SqlError("0A000", f"set-returning functions are not allowed in {_WHERE}",
                           position=e.position) from None
        raise
    finally:
        tr.agg_forbidden = saved
    out = ", ".join(f"{sa}.c{i}" for i in range(len(parts)))
    return f"SELECT {out} FROM (SELECT {inner}) AS {sa} WHERE {cond}"


def _check_where_tree(node) -> None:
    def visit(n):
        if isinstance(n, ast.SubLink):
            raise SqlError("0A000", "cannot use subquery in COPY FROM WHERE condition", position=location(n))
        if isinstance(n, ast.FuncCall) and n.over is not None:
            raise SqlError("42P20", f"window functions are not allowed in {_WHERE}", position=location(n))
        if isinstance(n, ast.Node):
            for attr in n:
                visit(getattr(n, attr))
        elif isinstance(n, (list, tuple)):
            for x in n:
                visit(x)
    visit(node)




def _trigger_copy(rel, attrs: list, values: str, plain: str) -> dict:
    """COPY FROM into a table with triggers, row by row: `src` makes one COPY row (?1..) a
    row of `names` (defaults evaluated; none when a WHERE leaves the row out), `w` writes a
    whole row (exec.trigger_dml)."""
    cols, source = row_insert_source(rel, 0)
    src = values if values.startswith("SELECT ") else f"SELECT {values}"
    return {"rel": rel.oid, "src": src, "names": [a.name for a in attrs], "plain": plain,
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
