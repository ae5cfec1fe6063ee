"""pgsvc's per-database catalog: schemas, relations, columns with PostgreSQL types,
constraints, indexes, sequences, views and comments.

It lives in hidden tables inside each database's SQLite file, so it is transactional
with the data and shared by every backend on that database:

  pgsvc$meta        (key, value)                 next_oid, version (bumped by every DDL)
  pgsvc$namespace   (oid, nspname)               public = 2200
  pgsvc$class       (oid, nspoid, relname, relkind r/v/S/i, sqlite_name, options, viewdef)
  pgsvc$attribute   (relid, attnum, attname, atttypid, atttypmod, attnotnull,
                     default_expr (PostgreSQL source text), identity 'a'/'d'/'', or 's':
                     a generated column STORED, default_expr its generation expression)
  pgsvc$constraint  (oid, conname, contype p/u/c/f, conrelid, conkey JSON, expr (PG source),
                     confrelid, confkey JSON, confupdtype, confdeltype, indexrelid)
  pgsvc$index       (indexrelid, indrelid, indisunique, indisprimary, keys JSON)
  pgsvc$sequence    (relid, typid, start, increment, minvalue, maxvalue, cycle,
                     last_value, is_called, owner_relid, owner_attnum)
  pgsvc$description (objoid, objsubid, description)
  pgsvc$type        (oid, nspoid, typname, typtype d/e/c, typarray, basetype, typmod, typnotnull,
                     default_expr)            domains, enums and composites (pgsvc.sql.types.usertypes;
                                              a composite's basetype is its typrelid: a
                                              pgsvc$class row of relkind 'c' with its attributes)
  pgsvc$enum        (oid, enumtypid, sortorder, label)
  pgsvc$domain_constraint (oid, contypid, conname, expr (PG source using VALUE))
  pgsvc$acl         (objoid, owner, acl)         owner and ACL of a relation or schema
                                                 (pgsvc.sql.catalog.acl's stored form; no row:
                                                 the bootstrap superuser with default
                                                 privileges, public: pg_database_owner)

These rows map one-to-one onto pg_namespace / pg_class / pg_attribute / pg_constraint /
pg_index / pg_sequence / pg_description, so issue #4 can expose the pg_catalog views
from them. User relations are stored in SQLite tables named "<schema>.<relname>"
(the dot keeps them apart from the hidden "pgsvc$..." names; user SQL never names a
SQLite object directly — every name is resolved through this catalog).

The in-memory `Catalog` is a snapshot loaded when `version` changes (checked at each
statement outside a transaction block and at the start of each block).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID, PUBLIC_SCHEMA_OID
from pgsvc.errors import SqlError
from pgsvc.sql.catalog import acl
from pgsvc.sql.catalog import changelog as CL
from pgsvc.sql.catalog import publications as PUB
from pgsvc.sql.catalog import routines as R
from pgsvc.sql.catalog import triggers as TG
from pgsvc.sql.types import usertypes
from pgsvc.sql.types.record_order import register_collations
from pgsvc.sql.types.usertypes import DomainCheck, EnumLabel, UserType
from pgsvc.sqlite import sqlite3

FIRST_OID = 16384

# A table of its own rather than columns of pgsvc$class / pgsvc$namespace: files made
# before ownership existed gain it with one CREATE TABLE (ensure_schema), and their
# rows without an entry keep PostgreSQL's meaning of "owned by the bootstrap superuser,
# default privileges".
ACL_TABLE_SQL = ('CREATE TABLE IF NOT EXISTS "pgsvc$acl" (objoid INTEGER PRIMARY KEY, '
                 'owner INTEGER NOT NULL, acl TEXT)')

SCHEMA_SQL = [
    'CREATE TABLE IF NOT EXISTS "pgsvc$meta" (key TEXT PRIMARY KEY, value INTEGER)',
    'CREATE TABLE IF NOT EXISTS "pgsvc$namespace" (oid INTEGER PRIMARY KEY, nspname TEXT UNIQUE NOT NULL)',
    'CREATE TABLE IF NOT EXISTS "pgsvc$class" (oid INTEGER PRIMARY KEY, nspoid INTEGER NOT NULL, '
    'relname TEXT NOT NULL, relkind TEXT NOT NULL, sqlite_name TEXT, options TEXT, viewdef TEXT, '
    'UNIQUE (nspoid, relname))',
    'CREATE TABLE IF NOT EXISTS "pgsvc$attribute" (relid INTEGER NOT NULL, attnum INTEGER NOT NULL, '
    'attname TEXT NOT NULL, atttypid INTEGER NOT NULL, atttypmod INTEGER NOT NULL DEFAULT -1, '
    'attnotnull INTEGER NOT NULL DEFAULT 0, default_expr TEXT, identity TEXT NOT NULL DEFAULT \'\', '
    'PRIMARY KEY (relid, attnum))',
    'CREATE TABLE IF NOT EXISTS "pgsvc$constraint" (oid INTEGER PRIMARY KEY, conname TEXT NOT NULL, '
    'contype TEXT NOT NULL, conrelid INTEGER NOT NULL, conkey TEXT, expr TEXT, confrelid INTEGER, '
    'confkey TEXT, confupdtype TEXT, confdeltype TEXT, indexrelid INTEGER)',
    'CREATE TABLE IF NOT EXISTS "pgsvc$index" (indexrelid INTEGER PRIMARY KEY, indrelid INTEGER NOT NULL, '
    'indisunique INTEGER NOT NULL, indisprimary INTEGER NOT NULL, keys TEXT NOT NULL)',
    'CREATE TABLE IF NOT EXISTS "pgsvc$sequence" (relid INTEGER PRIMARY KEY, typid INTEGER NOT NULL, '
    'start INTEGER, increment INTEGER, minvalue INTEGER, maxvalue INTEGER, cycle INTEGER, '
    'last_value INTEGER, is_called INTEGER, owner_relid INTEGER, owner_attnum INTEGER)',
    'CREATE TABLE IF NOT EXISTS "pgsvc$description" (objoid INTEGER NOT NULL, objsubid INTEGER NOT NULL, '
    'description TEXT, PRIMARY KEY (objoid, objsubid))',
    ACL_TABLE_SQL,
]

# Added after the first release of the catalog: created on open in older databases too.
USER_TYPE_SQL = [
    'CREATE TABLE IF NOT EXISTS "pgsvc$type" (oid INTEGER PRIMARY KEY, nspoid INTEGER NOT NULL, '
    'typname TEXT NOT NULL, typtype TEXT NOT NULL, typarray INTEGER NOT NULL, basetype INTEGER, '
    'typmod INTEGER NOT NULL DEFAULT -1, typnotnull INTEGER NOT NULL DEFAULT 0, default_expr TEXT, '
    'UNIQUE (nspoid, typname))',
    'CREATE TABLE IF NOT EXISTS "pgsvc$enum" (oid INTEGER PRIMARY KEY, enumtypid INTEGER NOT NULL, '
    'sortorder REAL NOT NULL, label TEXT NOT NULL, UNIQUE (enumtypid, label))',
    'CREATE TABLE IF NOT EXISTS "pgsvc$domain_constraint" (oid INTEGER PRIMARY KEY, '
    'contypid INTEGER NOT NULL, conname TEXT NOT NULL, expr TEXT NOT NULL)',
]
SCHEMA_SQL += USER_TYPE_SQL + [R.PROC_TABLE_SQL, TG.TRIGGER_TABLE_SQL] + PUB.TABLE_SQL + CL.TABLE_SQL


@dataclass
class Attr:
    attnum: int
    name: str
    type_oid: int
    typmod: int = -1
    notnull: bool = False
    default: str | None = None  # PostgreSQL source text of the default expression
    identity: str = ""
    # A column of a domain: type_oid/typmod are the domain's base type and typmod (what
    # expressions and the wire see); the catalog row keeps the domain's OID.
    domain_oid: int = 0
    generated: str = ""  # 's': GENERATED ALWAYS AS (default) STORED (stored as identity 's')


@dataclass
class Constraint:
    oid: int
    name: str
    contype: str  # p u c f
    relid: int
    keys: list[int] = field(default_factory=list)
    expr: str | None = None
    frelid: int = 0
    fkeys: list[int] = field(default_factory=list)
    on_update: str = "a"
    on_delete: str = "a"
    index_oid: int = 0


@dataclass
class Index:
    oid: int
    name: str
    relid: int
    unique: bool
    primary: bool
    keys: list  # attnums (int) or PostgreSQL expression source (str)
    sqlite_name: str


@dataclass
class Relation:
    oid: int
    schema: str
    name: str
    kind: str  # r table, v view, S sequence, i index
    sqlite_name: str
    options: dict = field(default_factory=dict)
    viewdef: str | None = None
    owner: int = BOOTSTRAP_SUPERUSER_OID  # pg_class.relowner (index: its table's owner)
    acl: list | None = None  # pgsvc.sql.catalog.acl items; None = the owner's defaults
    attrs: list[Attr] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    triggers: list[TG.Trigger] = field(default_factory=list)  # in name order (catalog.triggers)

    def attr(self, name: str) -> Attr | None:
        for a in self.attrs:
            if a.name == name:
                return a
        return None

    def attr_by_num(self, attnum: int) -> Attr:
        for a in self.attrs:
            if a.attnum == attnum:
                return a
        raise KeyError(attnum)


class Catalog:
    """A loaded snapshot of the hidden catalog tables, with lookups by (schema, name)."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.schemas: dict[str, int] = {}
        self.schema_owner: dict[str, int] = {}  # only schemas with a pgsvc$acl row
        self.schema_acl: dict[str, list | None] = {}
        self.relations: dict[tuple[str, str], Relation] = {}
        self.by_oid: dict[int, Relation] = {}
        self.constraint_names: dict[tuple[str, str], Constraint] = {}
        self.types: dict[int, UserType] = {}  # domains and enums by OID
        self.routines: dict[int, R.Routine] = {}  # user functions and procedures (catalog.routines)
        self.routines_named: dict[str, list[R.Routine]] = {}
        self.set_returning_names: frozenset[str] = frozenset()  # of routines_named's SETOF/TABLE ones
        self.triggers: dict[int, TG.Trigger] = {}  # by OID (catalog.triggers)
        self.publications: dict[int, PUB.Publication] = {}  # by OID (catalog.publications)

    def lookup(self, schema: str | None, name: str, search_path: list[str]) -> Relation | None:
        if schema is not None:
            return self.relations.get((schema, name))
        for s in search_path:
            rel = self.relations.get((s, name))
            if rel is not None:
                return rel
        return None


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the hidden tables in a new database file (idempotent)."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pgsvc$meta'").fetchone()
    if row is not None:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pgsvc$acl'").fetchone() is None:
            conn.execute(ACL_TABLE_SQL)  # a file from before ownership (see ACL_TABLE_SQL)
        _add_user_type_tables(conn)
        R.ensure_table(conn)
        TG.ensure_table(conn)
        CL.ensure_tables(conn)  # and the publications' (catalog.changelog)
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for stmt in SCHEMA_SQL:
            conn.execute(stmt)
        conn.execute('INSERT OR IGNORE INTO "pgsvc$meta" VALUES (\'next_oid\', ?), (\'version\', 1)', (FIRST_OID,))
        conn.execute('INSERT OR IGNORE INTO "pgsvc$namespace" VALUES (?, \'public\')', (PUBLIC_SCHEMA_OID,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _add_user_type_tables(conn: sqlite3.Connection) -> None:
    """A database made before user types gets their (empty) hidden tables."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pgsvc$domain_constraint'").fetchone():
        return
    for stmt in USER_TYPE_SQL:
        conn.execute(stmt)


def read_version(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT value FROM \"pgsvc$meta\" WHERE key = 'version'").fetchone()[0]


def load(conn: sqlite3.Connection) -> Catalog:
    cat = Catalog(read_version(conn))
    nsp = {oid: name for oid, name in conn.execute('SELECT oid, nspname FROM "pgsvc$namespace"')}
    cat.schemas = {name: oid for oid, name in nsp.items()}
    for oid, nspoid, relname, kind, sqlite_name, options, viewdef in conn.execute(
            'SELECT oid, nspoid, relname, relkind, sqlite_name, options, viewdef FROM "pgsvc$class"'):
        rel = Relation(oid, nsp.get(nspoid, "public"), relname, kind, sqlite_name,
                       json.loads(options) if options else {}, viewdef)
        cat.relations[(rel.schema, relname)] = rel
        cat.by_oid[oid] = rel
    cat.types = load_user_types(conn, nsp)
    for relid, attnum, name, typid, typmod, notnull, default, identity in conn.execute(
            'SELECT relid, attnum, attname, atttypid, atttypmod, attnotnull, default_expr, identity '
            'FROM "pgsvc$attribute" ORDER BY relid, attnum'):
        rel = cat.by_oid.get(relid)
        if rel is not None:
            rel.attrs.append(_attr(cat, attnum, name, typid, typmod, bool(notnull), default, identity))
    for row in conn.execute('SELECT oid, conname, contype, conrelid, conkey, expr, confrelid, confkey, '
                            'confupdtype, confdeltype, indexrelid FROM "pgsvc$constraint" ORDER BY oid'):
        con = Constraint(row[0], row[1], row[2], row[3], json.loads(row[4] or "[]"), row[5], row[6] or 0,
                         json.loads(row[7] or "[]"), row[8] or "a", row[9] or "a", row[10] or 0)
        rel = cat.by_oid.get(con.relid)
        if rel is not None:
            rel.constraints.append(con)
            cat.constraint_names[(rel.schema, con.name)] = con
    for ioid, relid, unique, primary, keys in conn.execute(
            'SELECT indexrelid, indrelid, indisunique, indisprimary, keys FROM "pgsvc$index"'):
        irel = cat.by_oid.get(ioid)
        rel = cat.by_oid.get(relid)
        if irel is not None and rel is not None:
            rel.indexes.append(Index(ioid, irel.name, relid, bool(unique), bool(primary),
                                     json.loads(keys), irel.sqlite_name))
    cat.routines = R.load_routines(conn, nsp)
    R.attach_row_types(cat.routines, cat.by_oid, cat.types)
    cat.routines_named = R.by_name(cat.routines)
    cat.set_returning_names = frozenset(r.name for r in cat.routines.values() if r.retset)
    cat.triggers = TG.load_triggers(conn)
    TG.attach(cat.by_oid, cat.triggers)
    cat.publications = PUB.load(conn)
    load_owners(conn, cat, nsp)
    usertypes.install_row_types([  # every table's and view's row type (pgsvc.sql.types.usertypes)
        UserType(usertypes.row_type_oid(rel.oid), cat.schemas.get(rel.schema, 0), rel.schema, rel.name, "c",
                 rel.oid + usertypes.ROWTYPE_ARRAY_BASE, owner=rel.owner, relid=rel.oid, of_table=True,
                 fields=[(a.name, a.domain_oid or a.type_oid, a.typmod) for a in rel.attrs])
        for rel in cat.by_oid.values() if rel.kind in ("r", "v", "p", "m", "f")])
    register_collations(conn)  # pg_record_<oid>: the order of each composite type (types.record_order)
    return cat


def load_owners(conn: sqlite3.Connection, cat: Catalog, nsp: dict[int, str]) -> None:
    for oid, owner, text in conn.execute('SELECT objoid, owner, acl FROM "pgsvc$acl"'):
        rel = cat.by_oid.get(oid)
        if rel is not None:
            rel.owner, rel.acl = owner, acl.load(text)
        elif oid in nsp:
            cat.schema_owner[nsp[oid]] = owner
            cat.schema_acl[nsp[oid]] = acl.load(text)
        elif oid in cat.routines:
            cat.routines[oid].owner, cat.routines[oid].acl = owner, acl.load(text)
    for rel in cat.by_oid.values():
        for ix in rel.indexes:
            cat.by_oid[ix.oid].owner = rel.owner  # an index belongs to its table's owner


def set_owner_acl(conn: sqlite3.Connection, oid: int, owner: int, acl_items) -> None:
    """Record (or change) an object's owner and ACL (pgsvc.sql.catalog.acl items or None)."""
    conn.execute('INSERT INTO "pgsvc$acl" VALUES (?, ?, ?) ON CONFLICT (objoid) DO UPDATE SET '
                 'owner = excluded.owner, acl = excluded.acl', (oid, owner, acl.dump(acl_items)))


def load_user_types(conn: sqlite3.Connection, nsp: dict[int, str]) -> dict[int, UserType]:
    """Domains and enums, installed as this process's user types (pgsvc.sql.types.usertypes)."""
    types: dict[int, UserType] = {}
    for oid, nspoid, name, typtype, arr, base, typmod, notnull, default, owner in conn.execute(
            'SELECT t.oid, t.nspoid, t.typname, t.typtype, t.typarray, t.basetype, t.typmod, t.typnotnull, '
            f't.default_expr, coalesce(o.owner, {BOOTSTRAP_SUPERUSER_OID}) '
            'FROM "pgsvc$type" t LEFT JOIN "pgsvc$acl" o ON o.objoid = t.oid '
            'ORDER BY t.oid'):
        types[oid] = UserType(oid, nspoid, nsp.get(nspoid, "public"), name, typtype, arr, base or 0,
                              typmod, bool(notnull), default, owner=owner)
        if typtype == "c":  # a composite: basetype holds typrelid, its fields are the relation's
            types[oid].basetype, types[oid].relid = 0, base or 0
    for ut in types.values():
        if ut.typtype == "c":
            ut.fields = list(conn.execute('SELECT attname, atttypid, atttypmod FROM "pgsvc$attribute" '
                                          'WHERE relid = ? ORDER BY attnum', (ut.relid,)))
    for oid, typid, order, label in conn.execute(
            'SELECT oid, enumtypid, sortorder, label FROM "pgsvc$enum" ORDER BY enumtypid, sortorder'):
        if typid in types:
            types[typid].labels.append(EnumLabel(oid, order, label))
    for oid, typid, name, expr in conn.execute(
            'SELECT oid, contypid, conname, expr FROM "pgsvc$domain_constraint" ORDER BY conname, oid'):
        if typid in types:
            types[typid].checks.append(DomainCheck(oid, name, expr))
    usertypes.install(list(types.values()))
    return types


def _attr(cat: Catalog, attnum, name, typid, typmod, notnull, default, identity) -> Attr:
    gen, identity = ("s", "") if identity == "s" else ("", identity)
    dom = cat.types.get(typid)
    if dom is None or dom.typtype != "d":
        return Attr(attnum, name, typid, typmod, notnull, default, identity, generated=gen)
    base, base_typmod = dom.basetype, dom.typmod
    while base in cat.types and cat.types[base].typtype == "d":  # a domain over a domain
        inner = cat.types[base]
        base, base_typmod = inner.basetype, base_typmod if base_typmod >= 0 else inner.typmod
    return Attr(attnum, name, base, base_typmod, notnull, default, identity, typid, gen)


def stored_type(a: Attr) -> tuple[int, int]:
    """(atttypid, atttypmod) as the catalog row keeps them: a domain column's typmod is
    the domain's (pg_type.typtypmod), so the row has -1, as in PostgreSQL."""
    return (a.domain_oid, -1) if a.domain_oid else (a.type_oid, a.typmod)


# --- writers (all run inside the DDL statement's transaction) ------------------------

def bump_version(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE \"pgsvc$meta\" SET value = value + 1 WHERE key = 'version'")
    conn.catalog_changed = True  # the engine's commit tells the other backends (exec.commits)


def new_oid(conn: sqlite3.Connection) -> int:
    oid = conn.execute("SELECT value FROM \"pgsvc$meta\" WHERE key = 'next_oid'").fetchone()[0]
    conn.execute("UPDATE \"pgsvc$meta\" SET value = ? WHERE key = 'next_oid'", (oid + 1,))
    return oid


def sqlite_name_for(schema: str, name: str) -> str:
    return f"{schema}.{name}"


def insert_relation(conn: sqlite3.Connection, cat: Catalog, schema: str, name: str, kind: str,
                    options: dict | None = None, viewdef: str | None = None,
                    sqlite_name: str | None = None, owner: int | None = None) -> int:
    nspoid = cat.schemas.get(schema)
    if nspoid is None:
        raise SqlError("3F000", f'schema "{schema}" does not exist')
    oid = new_oid(conn)
    conn.execute('INSERT INTO "pgsvc$class" VALUES (?, ?, ?, ?, ?, ?, ?)',
                 (oid, nspoid, name, kind, sqlite_name or sqlite_name_for(schema, name),
                  json.dumps(options) if options else None, viewdef))
    if owner is not None:
        set_owner_acl(conn, oid, owner, None)
    return oid


def set_relation_option(conn: sqlite3.Connection, relid: int, key: str, value) -> None:
    """One entry of a relation's options (pgsvc$class.options, a JSON object)."""
    conn.execute('UPDATE "pgsvc$class" SET options = json_set(coalesce(options, \'{}\'), ?, json(?)) WHERE oid = ?',
                 ("$." + key, json.dumps(value), relid))


def insert_attr(conn: sqlite3.Connection, relid: int, a: Attr) -> None:
    conn.execute('INSERT INTO "pgsvc$attribute" VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                 (relid, a.attnum, a.name, *stored_type(a), int(a.notnull), a.default, a.identity or a.generated))


def update_attr(conn: sqlite3.Connection, relid: int, a: Attr) -> None:
    conn.execute('UPDATE "pgsvc$attribute" SET attname = ?, atttypid = ?, atttypmod = ?, attnotnull = ?, '
                 'default_expr = ?, identity = ? WHERE relid = ? AND attnum = ?',
                 (a.name, *stored_type(a), int(a.notnull), a.default, a.identity or a.generated, relid, a.attnum))


def insert_constraint(conn: sqlite3.Connection, c: Constraint) -> None:
    conn.execute('INSERT INTO "pgsvc$constraint" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                 (c.oid, c.name, c.contype, c.relid, json.dumps(c.keys), c.expr, c.frelid or None,
                  json.dumps(c.fkeys), c.on_update, c.on_delete, c.index_oid or None))


def insert_index(conn: sqlite3.Connection, ioid: int, relid: int, unique: bool, primary: bool,
                 keys: list) -> None:
    conn.execute('INSERT INTO "pgsvc$index" VALUES (?, ?, ?, ?, ?)',
                 (ioid, relid, int(unique), int(primary), json.dumps(keys)))


def set_index_keys(conn: sqlite3.Connection, ioid: int, keys: list) -> None:
    """An index's keys after a column rename rewrote its expressions."""
    conn.execute('UPDATE "pgsvc$index" SET keys = ? WHERE indexrelid = ?', (json.dumps(keys), ioid))


def delete_relation(conn: sqlite3.Connection, oid: int) -> None:
    for table, col in (("class", "oid"), ("attribute", "relid"), ("constraint", "conrelid"),
                       ("index", "indexrelid"), ("index", "indrelid"), ("sequence", "relid"),
                       ("description", "objoid"), ("acl", "objoid")):
        conn.execute(f'DELETE FROM "pgsvc${table}" WHERE {col} = ?', (oid,))
    TG.delete_relation_triggers(conn, oid)
    PUB.forget_relation(conn, oid)


def relation_name_taken(cat: Catalog, schema: str, name: str) -> bool:
    return (schema, name) in cat.relations


# --- writers and readers of the DDL commands (pgsvc.sql.commands.ddl, .grants) -------------

def insert_namespace(conn: sqlite3.Connection, name: str) -> int:
    oid = new_oid(conn)
    conn.execute('INSERT INTO "pgsvc$namespace" VALUES (?, ?)', (oid, name))
    return oid


def delete_namespace(conn: sqlite3.Connection, name: str) -> None:
    PUB.forget_schema(conn, name)
    conn.execute('DELETE FROM "pgsvc$namespace" WHERE nspname = ?', (name,))


def delete_acl(conn: sqlite3.Connection, oid: int) -> None:
    conn.execute('DELETE FROM "pgsvc$acl" WHERE objoid = ?', (oid,))


def acl_rows(conn: sqlite3.Connection) -> list[tuple[int, int, str | None]]:
    """(object OID, owner, stored ACL text) of every object with a pgsvc$acl row."""
    return conn.execute('SELECT objoid, owner, acl FROM "pgsvc$acl"').fetchall()


def owner_acl_rows_but_indexes(conn: sqlite3.Connection) -> list[tuple[int, str | None]]:
    """(owner, stored ACL text) of every object but indexes (another database's file too)."""
    return conn.execute('SELECT a.owner, a.acl FROM "pgsvc$acl" a LEFT JOIN "pgsvc$class" c '
                        "ON c.oid = a.objoid WHERE coalesce(c.relkind, '') <> 'i'").fetchall()


def rename_relation(conn: sqlite3.Connection, oid: int, name: str, sqlite_name: str) -> None:
    conn.execute('UPDATE "pgsvc$class" SET relname = ?, sqlite_name = ? WHERE oid = ?', (name, sqlite_name, oid))


def replace_view_definition(conn: sqlite3.Connection, oid: int, viewdef: str, options: dict | None) -> None:
    """CREATE OR REPLACE VIEW: the view's new query and its WITH (...) options."""
    conn.execute('UPDATE "pgsvc$class" SET viewdef = ?, options = ? WHERE oid = ?',
                 (viewdef, json.dumps(options) if options else None, oid))


def set_viewdef(conn: sqlite3.Connection, oid: int, viewdef: str) -> None:
    """The view's stored query alone (a rename rewrote the names in it); options stay."""
    conn.execute('UPDATE "pgsvc$class" SET viewdef = ? WHERE oid = ?', (viewdef, oid))


def delete_attr(conn: sqlite3.Connection, relid: int, attnum: int) -> None:
    conn.execute('DELETE FROM "pgsvc$attribute" WHERE relid = ? AND attnum = ?', (relid, attnum))


def delete_attrs(conn: sqlite3.Connection, relid: int) -> None:
    conn.execute('DELETE FROM "pgsvc$attribute" WHERE relid = ?', (relid,))


def set_column_default(conn: sqlite3.Connection, relid: int, attnum: int, default: str | None) -> None:
    conn.execute('UPDATE "pgsvc$attribute" SET default_expr = ? WHERE relid = ? AND attnum = ?',
                 (default, relid, attnum))


def delete_constraint(conn: sqlite3.Connection, oid: int) -> None:
    conn.execute('DELETE FROM "pgsvc$constraint" WHERE oid = ?', (oid,))


def set_constraint_expr(conn: sqlite3.Connection, oid: int, expr: str) -> None:
    conn.execute('UPDATE "pgsvc$constraint" SET expr = ? WHERE oid = ?', (expr, oid))


def insert_sequence(conn: sqlite3.Connection, relid: int, typid: int, start: int, increment: int,
                    minvalue: int, maxvalue: int, cycle: bool, owner_relid: int | None = None,
                    owner_attnum: int | None = None) -> None:
    """A new sequence (not yet called: last_value is its start), owned by a column or not."""
    conn.execute('INSERT INTO "pgsvc$sequence" VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)',
                 (relid, typid, start, increment, minvalue, maxvalue, int(cycle), start, owner_relid,
                  owner_attnum))


def restart_sequence(conn: sqlite3.Connection, relid: int, value: int | None) -> None:
    """ALTER SEQUENCE ... RESTART [WITH value] (no value: its start)."""
    conn.execute('UPDATE "pgsvc$sequence" SET last_value = coalesce(?, start), is_called = 0 '
                 'WHERE relid = ?', (value, relid))


def set_sequence_option(conn: sqlite3.Connection, relid: int, column: str, value: int) -> None:
    """One of a sequence's increment, start, minvalue, maxvalue."""
    if column not in ("increment", "start", "minvalue", "maxvalue"):
        raise ValueError(column)
    conn.execute(f'UPDATE "pgsvc$sequence" SET {column} = ? WHERE relid = ?', (value, relid))


def set_sequence_owner(conn: sqlite3.Connection, relid: int, owner_relid: int | None,
                       owner_attnum: int | None) -> None:
    """ALTER SEQUENCE ... OWNED BY table.column | NONE."""
    conn.execute('UPDATE "pgsvc$sequence" SET owner_relid = ?, owner_attnum = ? WHERE relid = ?',
                 (owner_relid, owner_attnum, relid))


def restart_owned_sequences(conn: sqlite3.Connection, relid: int) -> None:
    """TRUNCATE ... RESTART IDENTITY: the sequences the table's columns own start over."""
    conn.execute('UPDATE "pgsvc$sequence" SET last_value = start, is_called = 0 '
                 'WHERE owner_relid = ?', (relid,))


def owned_sequences(conn: sqlite3.Connection, relid: int) -> list[int]:
    """The sequences owned by the table's columns (serial, identity)."""
    return [seq for seq, in conn.execute('SELECT relid FROM "pgsvc$sequence" WHERE owner_relid = ?',
                                         (relid,)).fetchall()]


def column_owned_sequences(conn: sqlite3.Connection) -> set[int]:
    """Every sequence a column owns."""
    return {seq for seq, in conn.execute(
        'SELECT relid FROM "pgsvc$sequence" WHERE owner_relid IS NOT NULL').fetchall()}


def delete_description(conn: sqlite3.Connection, oid: int, subid: int) -> None:
    conn.execute('DELETE FROM "pgsvc$description" WHERE objoid = ? AND objsubid = ?', (oid, subid))


def insert_description(conn: sqlite3.Connection, oid: int, subid: int, text: str | None) -> None:
    conn.execute('INSERT INTO "pgsvc$description" VALUES (?, ?, ?)', (oid, subid, text))


def insert_type(conn: sqlite3.Connection, oid: int, nspoid: int, name: str, typtype: str, array_oid: int,
                basetype: int | None = None, typmod: int = -1, notnull: bool = False,
                default: str | None = None) -> None:
    """A domain ('d': its base type, typmod, NOT NULL, default) or an enum ('e')."""
    conn.execute('INSERT INTO "pgsvc$type" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                 (oid, nspoid, name, typtype, array_oid, basetype, typmod, int(notnull), default))


def set_type_default(conn: sqlite3.Connection, oid: int, default: str | None) -> None:
    conn.execute('UPDATE "pgsvc$type" SET default_expr = ? WHERE oid = ?', (default, oid))


def set_type_notnull(conn: sqlite3.Connection, oid: int, notnull: bool) -> None:
    conn.execute('UPDATE "pgsvc$type" SET typnotnull = ? WHERE oid = ?', (int(notnull), oid))


def rename_type(conn: sqlite3.Connection, oid: int, name: str) -> None:
    conn.execute('UPDATE "pgsvc$type" SET typname = ? WHERE oid = ?', (name, oid))


def delete_type(conn: sqlite3.Connection, oid: int) -> None:
    """A domain or enum with its labels, constraints, comment, owner and ACL."""
    for table, col in (("type", "oid"), ("enum", "enumtypid"), ("domain_constraint", "contypid"),
                       ("description", "objoid"), ("acl", "objoid")):
        conn.execute(f'DELETE FROM "pgsvc${table}" WHERE {col} = ?', (oid,))


def insert_domain_constraint(conn: sqlite3.Connection, typid: int, name: str, expr: str) -> None:
    conn.execute('INSERT INTO "pgsvc$domain_constraint" VALUES (?, ?, ?, ?)', (new_oid(conn), typid, name, expr))


def rename_domain_constraint(conn: sqlite3.Connection, oid: int, name: str) -> None:
    conn.execute('UPDATE "pgsvc$domain_constraint" SET conname = ? WHERE oid = ?', (name, oid))


def delete_domain_constraint(conn: sqlite3.Connection, oid: int) -> None:
    conn.execute('DELETE FROM "pgsvc$domain_constraint" WHERE oid = ?', (oid,))


def insert_enum_label(conn: sqlite3.Connection, typid: int, sortorder: float, label: str) -> None:
    conn.execute('INSERT INTO "pgsvc$enum" VALUES (?, ?, ?, ?)', (new_oid(conn), typid, sortorder, label))


def rename_enum_label(conn: sqlite3.Connection, typid: int, old: str, new: str) -> None:
    conn.execute('UPDATE "pgsvc$enum" SET label = ? WHERE enumtypid = ? AND label = ?', (new, typid, old))
