"""pg_trigger_depth(), pg_get_triggerdef(oid [, pretty]) as ruleutils.c's pg_get_triggerdef_worker prints it
(what psql's \\d shows under "Triggers:" and pg_dump writes), and the UDFs behind
pg_trigger's columns (catalog.system.describe_defs): tgargs as PostgreSQL's bytea (each
argument followed by a zero byte) and tgqual.

The WHEN condition is deparsed with OLD and NEW in scope, every column prefixed
(varprefix), as PostgreSQL prints it: `WHEN (new.a > 1)` pretty, `WHEN ((new.a > 1))` not;
a construct the deparser does not model prints as stored (parenthesised when not pretty).
"""

from __future__ import annotations

import json
import re

import pglast

from pgsvc.sql.catalog import routines as CR
from pgsvc.sql.catalog import triggers as TG
from pgsvc.sql.deparse.nodes import RangeEntry
from pgsvc.sql.deparse.printing import relation_name
from pgsvc.sql.deparse.query_text import QueryPrinter
from pgsvc.sql.functions.context import reporting_sql_errors
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.pg_functions.describe import analyzer_for
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.types import oids as O


def triggerdef(engine, oid, pretty) -> str | None:
    if oid is None:
        return None
    t = engine.catalog.triggers.get(int(oid))
    rel = engine.catalog.by_oid.get(t.relid) if t is not None else None
    if rel is None:
        return None
    pretty = bool(pretty)
    events = []
    for e in TG.EVENT_ORDER:
        if t.fires_on(e):
            word = e
            if e == "UPDATE" and t.attr:
                word += " OF " + ", ".join(quote_ident(rel.attr_by_num(n).name) for n in t.attr)
            events.append(word)
    table = relation_name(engine, rel) if pretty else f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"
    out = f"CREATE {'CONSTRAINT ' if t.constraint else ''}TRIGGER {quote_ident(t.name)} {t.timing} " \
          f"{' OR '.join(events)} ON {table} "
    if t.constraint:
        ref = engine.catalog.by_oid.get(t.constrrelid) if t.constrrelid else None
        if ref is not None:  # generate_relation_name: qualified only when not visible
            out += f"FROM {relation_name(engine, ref)} "
        out += f"{'' if t.deferrable else 'NOT '}DEFERRABLE INITIALLY {'DEFERRED' if t.initdeferred else 'IMMEDIATE'} "
    if t.oldtable or t.newtable:
        out += "REFERENCING "
        if t.oldtable:
            out += f"OLD TABLE AS {quote_ident(t.oldtable)} "
        if t.newtable:
            out += f"NEW TABLE AS {quote_ident(t.newtable)} "
    out += "FOR EACH ROW " if t.row else "FOR EACH STATEMENT "
    if t.qual:
        out += f"WHEN ({when_text(engine, rel, t.qual, pretty)}) "
    args = ", ".join("'" + a.replace("'", "''") + "'" for a in t.args)
    return out + f"EXECUTE FUNCTION {function_name(engine, t.funcoid)}({args})"


def when_text(engine, rel, qual: str, pretty: bool) -> str:
    try:
        an = analyzer_for(engine)
        cols = [(a.name, a.type_oid, a.typmod) for a in rel.attrs]
        if rel.attr("tableoid") is None:
            cols.append(("tableoid", O.OID, -1))  # the system column a WHEN may name
        an.levels.append([RangeEntry("old", cols, rel, name="old"), RangeEntry("new", cols, rel, name="new")])
        node = an.coerce(an.expr(pglast.parse_sql(f"SELECT {qual}")[0].stmt.targetList[0].val), O.BOOL)
        p = QueryPrinter(engine, pretty, varprefix=True)
        p.expr(node, False)
        return p.text()
    except Exception:  # noqa: BLE001 - deparsing is best effort: the stored text instead
        return qual if pretty else f"({qual})"


def function_name(engine, oid: int) -> str:
    """generate_function_name for a trigger function (no arguments): bare when the name
    finds it on the search path."""
    r = engine.catalog.routines.get(oid)
    if r is None:
        return TG.BUILTIN_FUNCTIONS.get(oid, str(oid))
    found = [x for x in CR.visible(engine.catalog, r.name, None, engine.search_path()) if not x.argtypes]
    if found and found[0] is r:
        return quote_ident(r.name)
    return f"{quote_ident(r.schema)}.{quote_ident(r.name)}"


def infoschema_part(engine, oid, what: str) -> str | None:
    """information_schema.triggers' action_condition (the WHEN condition) and
    action_statement (from EXECUTE FUNCTION on), cut from pg_get_triggerdef as its view does."""
    text = triggerdef(engine, oid, False)
    if text is None:
        return None
    if what == "condition":
        m = re.match(r".{35,} WHEN \((.+)\) EXECUTE FUNCTION", text, re.S)
        return m.group(1) if m else None
    return text[text.index("EXECUTE FUNCTION"):]


def tgargs(args_json) -> bytes:
    """pg_trigger.tgargs: each argument followed by a zero byte."""
    return b"".join(a.encode() + b"\0" for a in json.loads(args_json or "[]"))


def _install_signatures() -> None:
    ENGINE_FUNCTIONS["pg_trigger_depth"] = [FuncSig("pg_trigger_depth", (), O.INT4, "pgsvce_trigger_depth()",
                                                    "scalar", 0, False, "v")]
    for args, emit in (((O.OID,), "pgsvce_triggerdef({0}, 0)"), ((O.OID, O.BOOL), "pgsvce_triggerdef({0}, {1})")):
        sigs = ENGINE_FUNCTIONS.setdefault("pg_get_triggerdef", [])
        sigs[:] = [s for s in sigs if s.arg_oids != args]
        sigs.append(FuncSig("pg_get_triggerdef", args, O.TEXT, emit, "scalar", 0, False, "s"))


_install_signatures()


def register(conn, engine) -> None:
    conn.create_function("pgsvce_triggerdef", 2, reporting_sql_errors(engine.fctx, lambda o, p: triggerdef(engine, o, p)))
    conn.create_function("pgsvce_tgargs", 1, tgargs, deterministic=True)
    conn.create_function("pgsvce_trigger_depth", 0, lambda: engine.tg_depth)  # exec.triggers
    conn.create_function("pgsvce_is_trigger", 2, reporting_sql_errors(
        engine.fctx, lambda o, w: infoschema_part(engine, o, w)))


__all__ = ["register", "triggerdef", "tgargs"]
