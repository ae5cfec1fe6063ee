"""PostgreSQL's constraint-violation details, found after the fact.

SQLite reports "UNIQUE constraint failed: public.t.id" without the offending values;
PostgreSQL says 'Key (id)=(1) already exists.' / 'Failing row contains (...)' /
'Key (pid)=(5) is not present in table "p".'. Only on that error path, the engine
re-runs the failed statement inside a savepoint with TEMP triggers that hand the first
violating row's values to the pgsvce_diag() UDF (which then aborts the statement), and rolls
the savepoint back. The hot path pays nothing.
"""

from __future__ import annotations

import json
import os
import urllib.parse

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.partitions import constraint_owner
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.types import sqlite_adapter, text_encoder
from pgsvc.sqlite import sqlite3


def _fmt_values(engine, rel, attnums, values) -> list[str]:
    fmt = engine.fctx.format_context()
    out = []
    for n, v in zip(attnums, values):
        if v is None:
            out.append("null")
            continue
        a = rel.attr_by_num(n)
        from_s = sqlite_adapter(a.type_oid)[1]
        try:
            out.append(text_encoder(a.type_oid, fmt)(from_s(v) if from_s else v))
        except Exception:  # noqa: BLE001 - best effort detail
            out.append(str(v))
    return out


def _json_row(prefix: str, attrs) -> str:
    return "json_array(" + ", ".join(f"{prefix}.{quote_sqlite_ident(a.name)}" for a in attrs) + ")"


def _probe(engine, stmt, values, triggers: list[str]) -> list | None:
    conn = engine.conn
    seqs = engine.sequences
    saved = dict(seqs.advanced), dict(seqs.current)  # the probe's nextval() calls never happened
    conn.execute('SAVEPOINT "pgsvc$diag"')
    seqs.rewind_statement()  # the probe must see the values the failed statement saw
    try:
        for i, body in enumerate(triggers):
            conn.execute(f'CREATE TEMP TRIGGER "pgsvc$diag{i}" {body}')
        engine.diag_value = None
        try:
            conn.execute(stmt.sqlite_sql, values).fetchall()
        except sqlite3.Error:
            pass
        got, engine.diag_value = engine.diag_value, None
        return json.loads(got) if got is not None else None
    finally:
        seqs.advanced, seqs.current = saved
        engine.fctx.pending_error = None
        conn.execute('ROLLBACK TO "pgsvc$diag"')
        conn.execute('RELEASE "pgsvc$diag"')


def _probe_duplicate(engine, stmt, values, table: str, cond: str, keyrow: str):
    """Rerun the statement with triggers that report (pgsvce_diag) the key row of the first
    inserted or updated row that another row x matches on `cond`: the values for the DETAIL."""
    raise_ = f"SELECT pgsvce_diag({keyrow})"
    return _probe(engine, stmt, values, [
        f"BEFORE INSERT ON main.{table} WHEN EXISTS (SELECT 1 FROM main.{table} AS x WHERE {cond}) "
        f"BEGIN {raise_}; END",
        f"BEFORE UPDATE ON main.{table} WHEN EXISTS (SELECT 1 FROM main.{table} AS x WHERE {cond} "
        f"AND x.rowid <> OLD.rowid) BEGIN {raise_}; END"])


def unique_detail(engine, stmt, values, rel, keys: list[int]) -> str | None:
    t = quote_sqlite_ident(rel.sqlite_name)
    cond = " AND ".join(f"x.{quote_sqlite_ident(rel.attr_by_num(k).name)} = NEW.{quote_sqlite_ident(rel.attr_by_num(k).name)}"
                        for k in keys)
    keyrow = "json_array(" + ", ".join(f"NEW.{quote_sqlite_ident(rel.attr_by_num(k).name)}" for k in keys) + ")"
    got = _probe_duplicate(engine, stmt, values, t, cond, keyrow)
    if got is None:
        return None
    names = ", ".join(rel.attr_by_num(k).name for k in keys)
    return f"Key ({names})=({', '.join(_fmt_values(engine, rel, keys, got))}) already exists."


def index_unique_detail(engine, stmt, values, rel, keys: list, pred) -> str | None:
    """unique_detail of an index with expression columns or a predicate. keys: per key column
    (SQL over NEW, SQL over the other row x, type OID, PostgreSQL text); pred: (over NEW, over x) or None."""
    t = quote_sqlite_ident(rel.sqlite_name)
    cond = " AND ".join(f"({x}) = ({new})" for new, x, _, _ in keys)
    if pred is not None:
        cond += f" AND ({pred[0]}) AND ({pred[1]})"
    got = _probe_duplicate(engine, stmt, values, t, cond, f"json_array({', '.join(new for new, _, _, _ in keys)})")
    if got is None:
        return None
    fmt = engine.fctx.format_context()
    out = []
    for (_, _, oid, _), v in zip(keys, got):
        from_s = sqlite_adapter(oid)[1]
        try:
            out.append("null" if v is None else text_encoder(oid, fmt)(from_s(v) if from_s else v))
        except Exception:  # noqa: BLE001 - best effort detail
            out.append(str(v))
    return f"Key ({', '.join(k[3] for k in keys)})=({', '.join(out)}) already exists."


def failing_row_detail(engine, stmt, values, rel, condition: str) -> str | None:
    """condition: SQL over NEW."col" that is true for a violating row."""
    t = quote_sqlite_ident(rel.sqlite_name)
    raise_ = f"SELECT pgsvce_diag({_json_row('NEW', rel.attrs)})"
    trig = [f"BEFORE INSERT ON main.{t} WHEN {condition} BEGIN {raise_}; END",
            f"BEFORE UPDATE ON main.{t} WHEN {condition} BEGIN {raise_}; END"]
    got = _probe(engine, stmt, values, trig)
    if got is None:
        return None
    nums = [a.attnum for a in rel.attrs]
    return f"Failing row contains ({', '.join(_fmt_values(engine, rel, nums, got))})."


def foreign_key_error(engine, stmt, values, rel):
    """Which foreign key failed, and its PostgreSQL message and detail (or None)."""
    cat = engine.catalog
    checks = []  # (constraint, child, parent, mode)
    for c in rel.constraints:
        if c.contype == "f":
            checks.append((c, rel, cat.by_oid[c.frelid], "child"))
    for other in cat.by_oid.values():
        for c in other.constraints:
            if c.contype == "f" and c.frelid == rel.oid:
                checks.append((c, other, rel, "parent"))
    checks += _cascaded_checks(cat, rel)
    for con, child, parent, mode in checks:
        ccols = [child.attr_by_num(k).name for k in con.keys]
        pcols = [parent.attr_by_num(k).name for k in con.fkeys]
        if mode in ("child", "set default"):
            t, p = quote_sqlite_ident(child.sqlite_name), quote_sqlite_ident(parent.sqlite_name)
            notnull = " AND ".join(f"NEW.{quote_sqlite_ident(c)} IS NOT NULL" for c in ccols)
            match = " AND ".join(f"x.{quote_sqlite_ident(pc)} = NEW.{quote_sqlite_ident(cc)}" for cc, pc in zip(ccols, pcols))
            row = "json_array(" + ", ".join(f"NEW.{quote_sqlite_ident(c)}" for c in ccols) + ")"
            cond = f"{notnull} AND NOT EXISTS (SELECT 1 FROM main.{p} AS x WHERE {match})"
            trig = [f"BEFORE INSERT ON main.{t} WHEN {cond} BEGIN SELECT pgsvce_diag({row}); END",
                    f"BEFORE UPDATE ON main.{t} WHEN {cond} BEGIN SELECT pgsvce_diag({row}); END"]
            got = _probe(engine, stmt, values, trig)
            if got is not None and mode == "set default" and _committed_key(engine, parent, pcols, got):
                # the default is the key of a row this statement deletes (RI_FKey_setdefault_del's
                # check that follows): reported as the NO ACTION check of that row
                return SqlError("23503", f'update or delete on table "{parent.name}" violates foreign key '
                                f'constraint "{con.name}" on table "{child.name}"',
                                detail=f'Key ({", ".join(pcols)})=({", ".join(_fmt_values(engine, child, con.keys, got))}) '
                                       f'is still referenced from table "{child.name}".', constraint=con.name,
                                schema=child.schema, table=child.name)
            if got is not None:
                vals = _fmt_values(engine, child, con.keys, got)
                return SqlError("23503", f'insert or update on table "{child.name}" violates foreign key '
                                f'constraint "{con.name}"',
                                detail=f'Key ({", ".join(ccols)})=({", ".join(vals)}) is not present in table '
                                       f'"{parent.name}".', constraint=con.name, schema=child.schema,
                                table=child.name)
        else:
            p, t = quote_sqlite_ident(parent.sqlite_name), quote_sqlite_ident(child.sqlite_name)
            match = " AND ".join(f"x.{quote_sqlite_ident(cc)} = OLD.{quote_sqlite_ident(pc)}" for cc, pc in zip(ccols, pcols))
            row = "json_array(" + ", ".join(f"OLD.{quote_sqlite_ident(c)}" for c in pcols) + ")"
            cond = f"EXISTS (SELECT 1 FROM main.{t} AS x WHERE {match})"
            # the referencing rows block what the key's NO ACTION / RESTRICT actions cover
            # (ON DELETE SET NULL with ON UPDATE NO ACTION: an update of the key fails)
            trig = [f"BEFORE {event} ON main.{p} WHEN {cond} BEGIN SELECT pgsvce_diag({row}); END"
                    for event, action in (("DELETE", con.on_delete), ("UPDATE", con.on_update))
                    if action in ("a", "r")]
            if trig:
                got = _probe(engine, stmt, values, trig)
                if got is not None:
                    vals = _fmt_values(engine, parent, con.fkeys, got)
                    # a partition's copy of its partitioned table's key: PostgreSQL names that table
                    child = constraint_owner(engine.catalog, child, con.name, "f")
                    return SqlError("23503", f'update or delete on table "{parent.name}" violates foreign key '
                                    f'constraint "{con.name}" on table "{child.name}"',
                                    detail=f'Key ({", ".join(pcols)})=({", ".join(vals)}) is still referenced '
                                           f'from table "{child.name}".', constraint=con.name,
                                    schema=child.schema, table=child.name)  # the constraint's table
    return None


def _cascaded_checks(cat, rel) -> list:
    """The foreign key checks of the tables the statement's ON DELETE / ON UPDATE actions
    reach beyond rel: rows deleted or re-keyed by CASCADE may still be referenced from
    further tables ("parent" checks there), rows SET NULL / SET DEFAULT must still match
    their other keys ("child" checks)."""
    reached, todo, out, seen = {rel.oid}, [rel.oid], [], set()
    while todo:
        parent_oid = todo.pop()
        for child in cat.by_oid.values():
            for c in child.constraints:
                if c.contype != "f" or c.frelid != parent_oid or (c.on_delete, c.on_update) == ("a", "a") \
                        or {c.on_delete, c.on_update} <= {"a", "r"}:
                    continue
                if "c" in (c.on_delete, c.on_update) and child.oid not in reached:
                    reached.add(child.oid)
                    todo.append(child.oid)
                    out += [(k, other, child, "parent") for other in cat.by_oid.values() for k in other.constraints
                            if k.contype == "f" and k.frelid == child.oid]
                if {"n", "d"} & {c.on_delete, c.on_update} and child.oid not in seen:
                    seen.add(child.oid)
                    out += [(k, child, cat.by_oid[k.frelid], "set default" if k is c else "child")
                            for k in child.constraints if k.contype == "f"]
    return out


def foreign_key_violation(engine, fks, validating: bool = False) -> SqlError | None:
    """The first row that violates one of the foreign keys fks ((table, constraint) pairs) as
    PostgreSQL reports it, or None: PRAGMA foreign_key_check on their tables (a COMMIT that
    SQLite refused for a deferred key, or SET CONSTRAINTS ... IMMEDIATE). A row whose key was
    committed as it is lost its referenced row in this transaction: PostgreSQL's "update or
    delete" form, else (and when validating a new key's rows) its "insert or update" form."""
    conn = engine.conn
    by_table: dict[int, list] = {}
    for rel, con in fks:
        by_table.setdefault(rel.oid, []).append(con)
    for relid, cons in by_table.items():
        child = engine.catalog.by_oid[relid]
        t = quote_sqlite_ident(child.sqlite_name)
        found = conn.execute(f"PRAGMA foreign_key_check({t})").fetchall()
        if not found:
            continue
        listed: dict[int, list] = {}
        for fkid, _seq, parent_name, col, *_ in conn.execute(f"PRAGMA foreign_key_list({t})"):
            listed.setdefault(fkid, [parent_name, []])[1].append(col)
        for _t, rowid, _p, fkid in found:
            parent_name, cols = listed.get(fkid, (None, []))
            con = next((c for c in cons if [child.attr_by_num(k).name for k in c.keys] == cols
                        and engine.catalog.by_oid[c.frelid].sqlite_name == parent_name), None)
            if con is None:
                continue
            parent = engine.catalog.by_oid[con.frelid]
            key = ", ".join(quote_sqlite_ident(c) for c in cols)
            got = list(conn.execute(f"SELECT {key} FROM {t} WHERE rowid = ?", (rowid,)).fetchone())
            vals = ", ".join(_fmt_values(engine, child, con.keys, got))
            fields = {"constraint": con.name, "schema": child.schema, "table": child.name}
            if not validating and _committed_row(engine, child, cols, rowid, got):
                pcols = ", ".join(parent.attr_by_num(k).name for k in con.fkeys)
                return SqlError("23503", f'update or delete on table "{parent.name}" violates foreign key '
                                f'constraint "{con.name}" on table "{child.name}"',
                                detail=f'Key ({pcols})=({vals}) is still referenced from table "{child.name}".',
                                **fields)
            return SqlError("23503", f'insert or update on table "{child.name}" violates foreign key constraint '
                            f'"{con.name}"', detail=f'Key ({", ".join(cols)})=({vals}) is not present in table '
                            f'"{parent.name}".', **fields)
    return None


def _committed_key(engine, rel, cols, values) -> bool:
    """Whether rel held a row with these key values when the statement began (its last
    committed state, read as _committed_row reads it)."""
    return _committed_row(engine, rel, cols, None, values)


def _committed_row(engine, rel, cols, rowid, values) -> bool:
    """Whether the row rowid of rel holds these key values in the last committed state (read
    through a connection of its own: the database is in WAL mode); a temporary table's rows
    are never committed for another connection."""
    if rel.schema.startswith("pg_temp"):
        return False
    path = getattr(engine.session, "database_path", None)
    if not path:
        return False
    try:
        other = sqlite3.connect("file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        match = " AND ".join(f"{quote_sqlite_ident(c)} IS ?" for c in cols)
        if rowid is None:  # (_committed_key: any row)
            return other.execute(f"SELECT 1 FROM {quote_sqlite_ident(rel.sqlite_name)} WHERE {match}",
                                 tuple(values)).fetchone() is not None
        return other.execute(f"SELECT 1 FROM {quote_sqlite_ident(rel.sqlite_name)} WHERE rowid = ? AND {match}",
                             (rowid, *values)).fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        other.close()
