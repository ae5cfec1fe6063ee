"""pg_relation_is_updatable(regclass, boolean) and pg_column_is_updatable(regclass, smallint,
boolean), and what information_schema's tables / views / columns read from them: which of
INSERT, UPDATE and DELETE a relation supports (PostgreSQL's relation_is_updatable: a
table all; a view through unconditional DO INSTEAD rules, INSTEAD OF triggers when asked,
and automatic updatability as pgsvc.sql.translate.view_dml decides it, down to its base
relation). The result is PostgreSQL's event mask: 1 << CMD_UPDATE (4), 1 << CMD_INSERT (8),
1 << CMD_DELETE (16).
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import rules as RU
from pgsvc.sql.functions.context import reporting_sql_errors
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.view_dml import base_column, shape_of
from pgsvc.sql.types import oids as O

UPDATE, INSERT, DELETE = 4, 8, 16
ALL_EVENTS = UPDATE | INSERT | DELETE
_BITS = {"UPDATE": UPDATE, "INSERT": INSERT, "DELETE": DELETE}


def relation_events(engine, oid: int, triggers: bool, cols: set | None = None, outer: tuple = ()) -> int:
    rel = engine.catalog.by_oid.get(oid)
    if rel is None:
        return 0
    if rel.kind in ("r", "p"):
        return ALL_EVENTS
    if oid in outer:
        return 0
    events = 0
    for r in RU.rules(rel):
        if r.instead and not r.qual:
            events |= _BITS.get(r.event, 0)
    if events == ALL_EVENTS:
        return events
    if triggers:
        for t in rel.triggers:
            if t.timing == "INSTEAD OF":
                for ev, bit in _BITS.items():
                    if t.fires_on(ev):
                        events |= bit
        if events == ALL_EVENTS:
            return events
    if rel.kind != "v" or not rel.viewdef:
        return events
    try:
        shape = shape_of(Translator(engine, engine.catalog, []), rel, False)
    except SqlError:
        return events
    if shape.detail is not None:
        return events
    base_cols = {a.name for a in shape.base.attrs}
    updatable = {a.attnum: base_column(e, shape.base_names, base_cols)
                 for a, e in zip(rel.attrs, shape.exprs) if a.name not in shape.col_detail}
    if cols is not None:
        updatable = {n: b for n, b in updatable.items() if n in cols}
    auto = DELETE if not updatable else ALL_EVENTS
    if shape.base.kind not in ("r", "p"):
        nums = {a.attnum for a in shape.base.attrs if a.name in set(updatable.values())}
        auto &= relation_events(engine, shape.base.oid, triggers, nums, outer + (oid,))
    return events | auto


def _relation(engine, oid, triggers):
    if oid is None or triggers is None:
        return None
    return relation_events(engine, int(oid), bool(triggers))


def _column(engine, oid, attnum, triggers):
    if oid is None or attnum is None or triggers is None:
        return None
    events = relation_events(engine, int(oid), bool(triggers), {int(attnum)})
    return int(events & (UPDATE | DELETE) == UPDATE | DELETE)


def _check_option(engine, oid):
    rel = engine.catalog.by_oid.get(int(oid)) if oid is not None else None
    option = rel.options.get("check_option") if rel is not None else None
    return option.upper() if option in ("local", "cascaded") else "NONE"


def _instead_of(engine, oid, event):
    rel = engine.catalog.by_oid.get(int(oid)) if oid is not None else None
    found = rel is not None and any(t.timing == "INSTEAD OF" and t.fires_on(event) for t in rel.triggers)
    return "YES" if found else "NO"


def register(conn, engine) -> None:
    conn.create_function("pgsvce_instead_of", 2, lambda o, e: _instead_of(engine, o, e))
    conn.create_function("pgsvce_rel_updatable", 2,
                         reporting_sql_errors(engine.fctx, lambda o, t: _relation(engine, o, t)))
    conn.create_function("pgsvce_col_updatable", 3,
                         reporting_sql_errors(engine.fctx, lambda o, n, t: _column(engine, o, n, t)))
    conn.create_function("pgsvce_view_check_option", 1,
                         reporting_sql_errors(engine.fctx, lambda o: _check_option(engine, o)))


for _name, _args, _ret, _emit in (
        ("pg_relation_is_updatable", (O.REGCLASS, O.BOOL), O.INT4, "pgsvce_rel_updatable({0}, {1})"),
        ("pg_column_is_updatable", (O.REGCLASS, O.INT2, O.BOOL), O.BOOL, "pgsvce_col_updatable({0}, {1}, {2})")):
    _sigs = ENGINE_FUNCTIONS.setdefault(_name, [])
    if not any(s.arg_oids == _args for s in _sigs):
        _sigs.append(FuncSig(_name, _args, _ret, _emit, "scalar", 0, False, "s"))
