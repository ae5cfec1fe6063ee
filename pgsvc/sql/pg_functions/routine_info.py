"""User functions and procedures (catalog.routines) as the catalog functions show them:
the rows of pg_catalog's "pg_proc$user" (pg_proc is the built-in rows and these), and
pg_get_function_arguments / _identity_arguments / _result, pg_get_functiondef and
pg_function_is_visible for a user routine's OID, printed as PostgreSQL 15's ruleutils.c
prints them (print_function_arguments, print_function_rettype, pg_get_functiondef).

A DEFAULT prints as PostgreSQL stores it (coerced to the parameter's type: 'x'::text), by
the deparser (pg_functions.describe.node_default); proargdefaults holds the printed list
("1, 'x'::text"), which pg_get_expr prints back as PostgreSQL prints its List.
"""

from __future__ import annotations

import json

from pglast import ast
from pglast.stream import RawStream

from pgsvc.sql.catalog import routines as CR
from pgsvc.sql.catalog.user_aggregates import aggregate_of
from pgsvc.sql.catalog.system.procs import proc_row, procs_named
from pgsvc.sql.catalog.system.relations import DYNAMIC_ROWS
from pgsvc.sql.catalog.system.role_names import acl_text
from pgsvc.sql.deparse.nodes import RangeEntry
from pgsvc.sql.deparse.query import analyze_select
from pgsvc.sql.deparse.query_text import expr_text, query_text
from pgsvc.sql.pg_functions.describe import analyzer_for, node_default
from pgsvc.sql.types.usertypes import base_of, row_type_oid
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.types.pg_type import format_type

# settings whose value is a list of identifiers (GUC_LIST_QUOTE): SET x TO 'a', 'b'
_LIST_SETTINGS = {"search_path", "temp_tablespaces", "session_preload_libraries", "shared_preload_libraries",
                  "local_preload_libraries"}


def routine(engine, oid) -> CR.Routine | None:
    if oid is None:
        return None
    return engine.catalog.routines.get(int(oid))


def default_texts(engine, r: CR.Routine) -> list[str]:
    first = len(r.argtypes) - len(r.argdefaults)
    return [node_default(engine, text, 0, r.argtypes[first + k], -1) for k, text in enumerate(r.argdefaults)]


def format_arguments(engine, r: CR.Routine, identity: bool = False, table_args: bool = False) -> str:
    """print_function_arguments (print_defaults = not identity)."""
    defaults = [] if identity else default_texts(engine, r)
    n_inputs = len(r.argtypes)
    first_default = n_inputs - len(defaults)
    parts, inputno = [], 0
    for t, m, n in zip(r.all_types(), r.modes(), r.names()):
        isinput = m in CR.INPUT_MODES
        prefix = {"b": "INOUT ", "o": "OUT ", "v": "VARIADIC "}.get(m, "IN " if r.kind == "p" and m == "i" else "")
        if isinput:
            inputno += 1
        if table_args != (m == "t"):
            continue
        text = prefix + (f"{quote_ident(n)} " if n else "") + format_type(t, None)
        if defaults and isinput and inputno > first_default:
            text += " DEFAULT " + defaults[inputno - 1 - first_default]
        parts.append(text)
    return ", ".join(parts)


def format_result(engine, r: CR.Routine) -> str | None:
    """print_function_rettype: TABLE(...), SETOF type, or the type (NULL for a procedure)."""
    if r.kind == "p":
        return None
    if r.returns_table():
        return f"TABLE({format_arguments(engine, r, table_args=True)})"
    return ("SETOF " if r.retset else "") + result_type_name(engine, r)


def result_type_name(engine, r: CR.Routine) -> str:
    """format_type of prorettype; a table's row type is its name (schema-qualified when the
    search path does not find it)."""
    if r.rowtype is not None and r.rettype not in engine.catalog.types:  # (not a CREATE TYPE composite)
        rel = engine.catalog.by_oid.get(r.rettype)
        if rel is None:
            return "???"
        name = quote_ident(rel.name)
        return name if engine.catalog.lookup(None, rel.name, engine.search_path()) is rel else \
            f"{quote_ident(rel.schema)}.{name}"
    return format_type(r.rettype, None)


def is_visible(engine, r: CR.Routine) -> bool:
    """FunctionIsVisible: the first routine of that name and input types on the path is this one."""
    path = engine.search_path()
    if r.schema not in path:
        return False
    for s in path[:path.index(r.schema)]:
        if CR.find_exact(engine.catalog, s, r.name, r.argtypes) is not None:
            return False
    return True


def _config_line(item: str) -> str:
    name, _, value = item.partition("=")
    if name in _LIST_SETTINGS:
        values = [v.strip() for v in value.split(",")] if value.strip() else [""]
        values = [v[1:-1].replace('""', '"') if v.startswith('"') and v.endswith('"') else v for v in values]
        shown = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    else:
        shown = "'" + value.replace("'", "''") + "'"
    return f" SET {quote_ident(name)} TO {shown}\n"


def functiondef(engine, r: CR.Routine) -> str:
    """pg_get_functiondef."""
    word = "FUNCTION" if r.kind != "p" else "PROCEDURE"
    out = [f"CREATE OR REPLACE {word} {quote_ident(r.schema)}.{quote_ident(r.name)}("
           f"{format_arguments(engine, r)})\n"]
    if r.kind != "p":
        out.append(f" RETURNS {format_result(engine, r)}\n")
    out.append(f" LANGUAGE {quote_ident(r.lang)}\n")
    opts = {"i": " IMMUTABLE", "s": " STABLE"}.get(r.volatile, "")
    opts += {"s": " PARALLEL SAFE", "r": " PARALLEL RESTRICTED"}.get(r.parallel, "")
    if r.strict:
        opts += " STRICT"
    if r.secdef:
        opts += " SECURITY DEFINER"
    if r.leakproof:
        opts += " LEAKPROOF"
    if r.cost != (1 if r.lang in ("internal", "c") else 100):
        opts += f" COST {r.cost:g}"
    if r.rows > 0 and r.rows != 1000:
        opts += f" ROWS {r.rows:g}"
    if opts:
        out.append(opts + "\n")
    out.extend(_config_line(item) for item in r.config or ())
    if r.sqlbody is not None:
        out.append(sqlbody_text(engine, r))
    else:
        tag = "$function" if r.kind != "p" else "$procedure"
        while tag + "$" in r.src:  # PostgreSQL: "$function" extended by x until it is not in the body
            tag += "x"
        tag += "$"
        out.append(f"AS {tag}{r.src}{tag}")
    out.append("\n")
    return "".join(out)


def sqlbody_text(engine, r: CR.Routine) -> str:
    """print_function_sqlbody: the body analysed and printed by the deparser (the named
    parameters in scope, printed bare); what it cannot print comes out as stored."""
    def make():
        params = [(n, base_of(t), -1) for n, t in zip(r.input_names(), r.argtypes) if n]

        def analyzer(qualified: bool):
            # get_parameter: a parameter prints bare, or as f.x when the query has range
            # entries (a column could have its name)
            an = analyzer_for(engine)
            entry = RangeEntry(r.name if qualified else None, params, name=r.name, params=True)
            an.levels.append([entry])
            return an
        body = CR.parse_sqlbody(r.sqlbody)
        if isinstance(body, ast.ReturnStmt):
            an = analyzer(False)
            return "RETURN " + expr_text(engine, an.finalize(an.expr(body.returnval)), False)
        out = ["BEGIN ATOMIC\n"]
        for s in body:
            if isinstance(s, ast.ReturnStmt):
                an = analyzer(False)
                out.append(" RETURN " + expr_text(engine, an.finalize(an.expr(s.returnval)), False) + ";\n")
            elif isinstance(s, ast.SelectStmt):
                q = analyze_select(analyzer(bool(s.fromClause)), s)
                out.append(query_text(engine, q, False, 1, names_visible=False) + ";\n")
            else:  # (the deparser prints queries only: other statements as pglast prints them)
                out.append(" " + RawStream()(s) + ";\n")
        return "".join(out) + "END"
    try:
        return make()
    except Exception:  # noqa: BLE001 - printing is best effort: the stored text is valid SQL too
        return r.sqlbody


def arg_default(engine, oid, n):
    """pg_get_function_arg_default(oid, n): the default of argument n (1-based, counting
    every argument) as pg_get_expr prints it; NULL for an output argument, one without a
    default, or a function pgsvc has no defaults for (the built-in ones)."""
    r = routine(engine, oid) if oid is not None and n is not None else None
    if r is None:
        return None
    modes, n = r.modes(), int(n)
    if n < 1 or n > len(modes) or modes[n - 1] not in CR.INPUT_MODES:
        return None
    nth_default = sum(1 for m in modes[:n] if m in CR.INPUT_MODES) - 1 - (len(r.argtypes) - len(r.argdefaults))
    if nth_default < 0 or nth_default >= len(r.argdefaults):
        return None
    return default_texts(engine, r)[nth_default]


def sqlbody_of(engine, oid):
    """pg_get_function_sqlbody(oid): NULL for a routine without a SQL-standard body."""
    r = routine(engine, oid)
    return sqlbody_text(engine, r) if r is not None and r.sqlbody is not None else None


DYNAMIC_ROWS["pg_proc$user"] = lambda engine: proc_rows(engine)
DYNAMIC_ROWS["pg_aggregate$user"] = lambda engine: aggregate_rows(engine)


def aggregate_rows(engine) -> list[tuple]:
    """The rows of "pg_aggregate$user": CREATE AGGREGATE's (catalog.user_aggregates)."""
    out = []
    for r in sorted(engine.catalog.routines.values(), key=lambda r: r.oid):
        agg = aggregate_of(engine.conn, r) if r.kind == "a" else None
        if agg is not None:
            out.append((r.oid, "n", 0, agg.transfn_oid or _builtin_oid(agg.transfn, [agg.transtype, *r.argtypes]),
                        agg.finalfn_oid or _builtin_oid(agg.finalfn, [agg.transtype]), 0, 0, 0, 0, 0, 0, 0, 0,
                        "r", "r", 0, agg.transtype, 0, 0, 0, agg.initval, None))
    return out


def _builtin_oid(fn: tuple | None, arg_oids: list[int]) -> int:
    """The pg_proc OID of a built-in transition or final function (the aggregate's row
    names it by name: user functions have their OIDs there): PostgreSQL 15's function of
    that name taking these types, else the only one of that name and number of arguments."""
    if fn is None or fn[0] not in (None, "pg_catalog"):
        return 0
    rows = [proc_row(o) for o in procs_named(fn[1])]
    rows = [row for row in rows if row is not None and len(row[3]) == len(arg_oids)]
    exact = [row for row in rows if list(row[3]) == list(arg_oids)]
    found = exact or (rows if len(rows) == 1 else [])
    return found[0][0] if found else 0


def proc_rows(engine) -> list[tuple]:
    """The rows of "pg_proc$user" (pg_proc's columns, stored forms)."""
    out = []
    for r in sorted(engine.catalog.routines.values(), key=lambda r: r.oid):
        defaults = default_texts(engine, r) if r.argdefaults else None
        out.append((r.oid, r.name, r.nspoid, r.owner, CR.LANGUAGE_OIDS.get(r.lang, 0), r.cost, r.rows, r.variadic,
                    0, r.kind, int(r.secdef), int(r.leakproof), int(r.strict), int(r.retset), r.volatile,
                    r.parallel, len(r.argtypes), len(r.argdefaults), pg_rettype(engine, r), json.dumps(list(r.argtypes)),
                    _arr(r.allargtypes), _arr(r.argmodes), _arr(r.argnames),
                    ", ".join(defaults) if defaults else None, None, r.src, None, r.sqlbody,
                    _arr(r.config), acl_text(engine, r.acl)))
    return out


def pg_rettype(engine, r: CR.Routine) -> int:
    """pg_proc.prorettype: a table's or view's row type (stored as the relation's OID) as
    its pg_type row's OID."""
    rel = engine.catalog.by_oid.get(r.rettype) if r.rowtype is not None else None
    return row_type_oid(rel.oid) if rel is not None and rel.kind in ("r", "v") else r.rettype


def _arr(values):
    return None if values is None else json.dumps(list(values))


def arguments_or(engine, oid, builtin, identity: bool = False):
    r = routine(engine, oid)
    return format_arguments(engine, r, identity) if r is not None else builtin(oid, identity)


def result_or(engine, oid, builtin):
    r = routine(engine, oid)
    return format_result(engine, r) if r is not None else builtin(oid)


def functiondef_or(engine, oid, builtin):
    r = routine(engine, oid)
    return functiondef(engine, r) if r is not None else builtin(oid)


def visible_or(engine, oid, builtin):
    r = routine(engine, oid)
    return int(is_visible(engine, r)) if r is not None else builtin(oid)


__all__ = ["proc_rows"]
