"""A table's SQLite definition, always generated from the catalog: columns with their
storage class and collation, NOT NULL, the CHECK clauses of domain columns, CHECK and
FOREIGN KEY constraints (PRIMARY KEY / UNIQUE are unique indexes named after the
constraint, made by the DDL commands).
"""

from __future__ import annotations

import pglast
from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import deferrable
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.domains import column_check_clauses
from pgsvc.sql.translate.names import ColInfo, RangeEntry
from pgsvc.sql.types.pg_type import find_oid
from pgsvc.sql.types.storage import collation_for

_FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def table_sql(rel: C.Relation, engine, name: str | None = None) -> str:
    parts = []
    set_default = {k for c in rel.constraints if c.contype == "f" and "d" in (c.on_delete, c.on_update) for k in c.keys}
    for a in rel.attrs:
        t = find_oid(a.type_oid)
        col = f"{quote_sqlite_ident(a.name)} {t.storage if t else 'TEXT'}"
        coll = collation_for(a.type_oid)
        if coll:
            col += f" COLLATE {coll}"
        if a.attnum in set_default:  # ON DELETE / UPDATE SET DEFAULT: SQLite writes its own default
            col += _sqlite_default(rel, a, engine)
        if a.notnull:
            col += " NOT NULL"
        if a.generated:
            col += f" GENERATED ALWAYS AS ({generated_sql(rel, a, engine)}) STORED"
        parts.append(col)
    if not parts:
        parts.append('"pgsvc$nocols" INTEGER')  # PostgreSQL allows zero-column tables; SQLite does not
    for a in rel.attrs:
        if a.domain_oid:
            parts.extend(column_check_clauses(engine, a))
    # CHECKs in name order: SQLite reports the first that fails in declaration order, and
    # PostgreSQL checks them sorted by name (relcache's CheckConstraintFetch)
    for c in sorted((c for c in rel.constraints if c.contype == "c"), key=lambda c: c.name.encode()):
        parts.append(f"CONSTRAINT {quote_sqlite_ident(c.name)} CHECK ({check_sql(rel, c.expr, engine)})")
    for c in rel.constraints:
        if c.contype == "f":
            parent = engine.catalog.by_oid[c.frelid]
            fk = ", ".join(quote_sqlite_ident(rel.attr_by_num(k).name) for k in c.keys)
            pk = ", ".join(quote_sqlite_ident(parent.attr_by_num(k).name) for k in c.fkeys)
            deferred = deferrable.initially_deferred(rel, c)
            # RESTRICT is PostgreSQL's NO ACTION that cannot be deferred: checked when the
            # statement ends (DELETE FROM t of a tree of rows referencing each other succeeds),
            # which SQLite's NO ACTION is for an immediate key and its RESTRICT (each row) not
            upd, dele = ("NO ACTION" if a == "r" and not deferred else _FK_ACTIONS[a] for a in (c.on_update, c.on_delete))
            parts.append(f"CONSTRAINT {quote_sqlite_ident(c.name)} FOREIGN KEY ({fk}) REFERENCES "
                         f"{quote_sqlite_ident(parent.sqlite_name)} ({pk}) ON UPDATE {upd} "
                         f"ON DELETE {dele}" + (" DEFERRABLE INITIALLY DEFERRED" if deferred else ""))
    part = P.constraint_text(engine.catalog, rel, plain=True)
    if part:  # a partition's constraint (catalog.partitions; sqlite_errors names the error)
        parts.append(f"CONSTRAINT {quote_sqlite_ident(f'pgsvc$part${rel.oid}')} CHECK ({check_sql(rel, part, engine)})")
    temp = "TEMP " if rel.schema.startswith("pg_temp_") else ""
    return f"CREATE {temp}TABLE {quote_sqlite_ident(name or rel.sqlite_name)} ({', '.join(parts)})"


def _sqlite_default(rel: C.Relation, attr: C.Attr, engine) -> str:
    """The column's default as SQLite's DEFAULT clause (what a SET DEFAULT foreign key action
    writes); 0A000 when SQLite cannot hold it (an expression reading parameters or columns)."""
    if attr.default is None and not attr.domain_oid:
        return ""
    ex = Translator(engine, engine.catalog, []).default_expr(rel, attr)
    if "?" in ex.sql or '"' in ex.sql:
        raise SqlError("0A000", "SET DEFAULT foreign key actions on a column with this default are not supported")
    return f" DEFAULT ({ex.sql})"


def check_sql(rel: C.Relation, expr: str, engine, prefix: str = "") -> str:
    tr = Translator(engine, engine.catalog, [])
    tr.scope.add(RangeEntry(rel.name, [ColInfo(a.name, a.type_oid, a.typmod, prefix + quote_sqlite_ident(a.name))
                                       for a in rel.attrs]))
    if "pgsvc_hash_partition(" in expr:  # a user hash class's function: IMMUTABLE, callable in a CHECK
        tr.index_expr = True
    node = pglast.parse_sql(f"SELECT {expr}")[0].stmt.targetList[0].val
    ex = tr.bool_expr(node, "CHECK")
    # NULL passes a CHECK in both systems; SQLite fails only on false, like PostgreSQL
    return ex.sql


def generated_sql(rel: C.Relation, attr: C.Attr, engine) -> str:
    """A generated column's expression in SQLite, assigned to the column's type (translated
    as CHECKs are, over the table's own columns)."""
    tr = Translator(engine, engine.catalog, [])
    tr.index_expr = True  # IMMUTABLE user functions as SQLite deterministic calls, as in indexes
    tr.scope.add(RangeEntry(rel.name, [ColInfo(a.name, a.type_oid, a.typmod, quote_sqlite_ident(a.name))
                                       for a in rel.attrs]))
    node = pglast.parse_sql(f"SELECT {attr.default}")[0].stmt.targetList[0].val
    ex = tr.coerce(tr.expr(node), attr.type_oid, attr.typmod, "a", what=f'column "{attr.name}"')
    if tr.volatile or _stable(node) or "pgsvce_fcall(" in ex.sql:  # a user function not IMMUTABLE
        raise SqlError("42P17", "generation expression is not immutable")
    return ex.sql


def _stable(node) -> bool:
    """now(), current_timestamp and the like: stable, not immutable."""
    if isinstance(node, ast.SQLValueFunction):
        return True
    if isinstance(node, ast.FuncCall) and node.funcname[-1].sval in _STABLE_FUNCS:
        return True
    if isinstance(node, ast.Node):
        return any(_stable(getattr(node, k)) for k in node.__slots__)
    if isinstance(node, (list, tuple)):
        return any(_stable(x) for x in node)
    return False


_STABLE_FUNCS = {"now", "statement_timestamp", "transaction_timestamp", "clock_timestamp", "timeofday",
                 "random", "nextval", "currval", "setseed", "gen_random_uuid", "current_setting", "to_char"}


def index_key_sql(rel: C.Relation, key, engine, prefix: str = "") -> tuple[str, int]:
    """An index key's SQLite expression over rel's columns (prefix "NEW." in a trigger) and
    its type: a column, or the PostgreSQL source of an expression column."""
    if isinstance(key, int):
        a = rel.attr_by_num(key)
        return prefix + quote_sqlite_ident(a.name), a.type_oid
    ex = _index_translator(rel, engine, prefix).expr(pglast.parse_sql(f"SELECT {key}")[0].stmt.targetList[0].val)
    return ex.sql, ex.oid


def index_pred_sql(rel: C.Relation, pred: str, engine, prefix: str = "") -> str:
    """A partial index's predicate (PostgreSQL source) as SQLite SQL over rel's columns."""
    node = pglast.parse_sql(f"SELECT {pred}")[0].stmt.targetList[0].val
    return _index_translator(rel, engine, prefix).bool_expr(node, "WHERE").sql


def _index_translator(rel: C.Relation, engine, prefix: str) -> Translator:
    tr = Translator(engine, engine.catalog, [])
    tr.index_expr = True  # IMMUTABLE user functions as SQLite deterministic calls
    tr.scope.add(RangeEntry(rel.name, [ColInfo(a.name, a.type_oid, a.typmod, prefix + quote_sqlite_ident(a.name))
                                       for a in rel.attrs]))
    return tr


def index_sql(rel: C.Relation, engine, sqlite_name: str, unique: bool, keys: list, pred: str | None) -> str:
    """The SQLite CREATE INDEX of a pgsvc index: its key columns or expressions (text ones
    collated as the type's comparisons), and a partial index's predicate."""
    parts = []
    for k in keys:
        sql, oid = index_key_sql(rel, k, engine)
        coll = collation_for(oid)
        parts.append(sql + (f" COLLATE {coll}" if coll else ""))
    where = f" WHERE {index_pred_sql(rel, pred, engine)}" if pred else ""
    return (f"CREATE {'UNIQUE ' if unique else ''}INDEX {quote_sqlite_ident(sqlite_name)} ON "
            f"{quote_sqlite_ident(rel.sqlite_name)} ({', '.join(parts)}){where}")
