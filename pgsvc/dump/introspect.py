"""Reading one database's schema from the catalogs, over the protocol, with plain SQL —
as pg_dump does, so the same queries read pgsvc and PostgreSQL 15.

Only standard pg_catalog relations and functions are used (format_type, pg_get_expr,
pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef, pg_get_userbyid), so what the
script says about an object is what the server itself says. Catalog OIDs are written as
numbers (1259 pg_class, 2606 pg_constraint, 2615 pg_namespace, 2618 pg_rewrite) rather
than 'pg_class'::regclass: they are fixed in PostgreSQL and need no cast support.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pgsvc.client import Connection
from pgsvc.sql.quoting import quote_ident, quote_qualified

PG_TYPE, PG_CLASS, PG_CONSTRAINT, PG_NAMESPACE, PG_REWRITE = 1247, 1259, 2606, 2615, 2618

# System schemas are the server's, never the dump's.
USER_SCHEMAS = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"

RELKINDS = {"r": "TABLE", "v": "VIEW", "S": "SEQUENCE", "m": "MATERIALIZED VIEW",
            "p": "TABLE", "f": "FOREIGN TABLE", "i": "INDEX"}


@dataclass
class Column:
    attnum: int
    name: str
    type: str  # format_type(atttypid, atttypmod)
    not_null: bool
    default: str | None  # pg_get_expr(adbin, adrelid)
    identity: str  # 'a' ALWAYS, 'd' BY DEFAULT, '' none
    generated: str  # 's' STORED, '' none
    collation: str | None = None  # qualified name, when not the type's default


@dataclass
class Constraint:
    oid: int
    name: str
    kind: str  # p u c f x
    definition: str  # pg_get_constraintdef
    validated: bool
    references: int = 0  # confrelid: the table a FOREIGN KEY points at


@dataclass
class Index:
    oid: int
    name: str
    definition: str  # pg_get_indexdef


@dataclass
class Sequence:
    type: str  # format_type(seqtypid, NULL)
    start: int
    increment: int
    maximum: int
    minimum: int
    cache: int
    cycle: bool
    last_value: int | None = None
    is_called: bool = False
    owned_by: tuple[int, str] | None = None  # (table oid, column) of OWNED BY
    identity_of: tuple[int, str] | None = None  # the identity column it serves


@dataclass
class Relation:
    oid: int
    schema: str
    name: str
    kind: str  # relkind
    owner: str
    acl: str | None  # relacl, aclitem[] text
    persistence: str  # p permanent, u unlogged
    options: list[str] = field(default_factory=list)  # reloptions
    columns: list[Column] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    sequence: Sequence | None = None
    view_def: str | None = None  # pg_get_viewdef
    depends_on: set[int] = field(default_factory=set)  # relation oids a view reads
    partkey: str | None = None  # pg_get_partkeydef of a partitioned table
    partbound: str | None = None  # a partition's bound (FOR VALUES ... / DEFAULT)
    parent: int = 0  # a partition's partitioned table


@dataclass
class Schema:
    oid: int
    name: str
    owner: str
    acl: str | None


@dataclass
class UserType:
    """An enum (kind 'e'), a domain ('d') or a composite type ('c'): the user-defined
    types pgsvc has."""
    oid: int
    schema: str
    name: str
    kind: str
    owner: str
    acl: str | None
    labels: list[str] = field(default_factory=list)  # an enum's, in sort order
    base: str = ""  # a domain's: format_type(typbasetype, typtypmod)
    not_null: bool = False
    default: str | None = None
    checks: list[Constraint] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)  # a composite type's, "name type [COLLATE c]"
    range_options: list[str] = field(default_factory=list)  # a range type's, "subtype = ...", ...


@dataclass
class Comment:
    classoid: int
    objoid: int
    subid: int
    text: str


@dataclass
class Database:
    name: str
    schemas: list[Schema]
    relations: dict[int, Relation]
    comments: list[Comment]
    types: list[UserType] = field(default_factory=list)  # in creation (OID) order


def read_database(conn: Connection, name: str) -> Database:
    relations = {rel.oid: rel for rel in read_relations(conn)}
    read_columns(conn, relations)
    read_constraints(conn, relations)
    read_indexes(conn, relations)
    read_sequences(conn, relations)
    read_sequence_owners(conn, relations)
    read_views(conn, relations)
    return Database(name, read_schemas(conn), relations, read_comments(conn), read_types(conn))


def _bool(text: str | None) -> bool:
    return text == "t"


def read_schemas(conn: Connection) -> list[Schema]:
    rows = conn.query(
        "SELECT n.oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), n.nspacl "
        f"FROM pg_catalog.pg_namespace n WHERE {USER_SCHEMAS} ORDER BY n.nspname").rows
    return [Schema(int(oid), name, owner, acl) for oid, name, owner, acl in rows]


def read_relations(conn: Connection) -> list[Relation]:
    rows = conn.query(
        "SELECT c.oid, n.nspname, c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner), "
        "c.relacl, c.relpersistence, c.reloptions, "
        "CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, "
        "CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, "
        "CASE WHEN c.relispartition THEN (SELECT i.inhparent FROM pg_catalog.pg_inherits i "
        "WHERE i.inhrelid = c.oid) END "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.relkind IN ('r', 'v', 'S', 'm', 'p', 'f') AND {USER_SCHEMAS} "
        "AND c.relpersistence <> 't' ORDER BY n.nspname, c.relname").rows
    return [Relation(int(oid), schema, name, kind, owner, acl, persistence, parse_text_array(options),
                     partkey=partkey, partbound=partbound, parent=int(parent or 0))
            for oid, schema, name, kind, owner, acl, persistence, options, partkey, partbound, parent in rows]


def read_columns(conn: Connection, relations: dict[int, Relation]) -> None:
    rows = conn.query(
        "SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, cn.nspname, co.collname "
        "FROM pg_catalog.pg_attribute a "
        "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        # a collation other than the type's own, as COLLATE says it
        "LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation "
        "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
        f"WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'p', 'm') AND {USER_SCHEMAS} "
        "ORDER BY a.attrelid, a.attnum").rows
    for relid, attnum, name, type_name, not_null, default, identity, generated, coll_schema, coll in rows:
        rel = relations.get(int(relid))
        if rel is not None:
            rel.columns.append(Column(int(attnum), name, type_name, _bool(not_null), default, identity or "",
                                      generated or "", quote_qualified(coll_schema, coll) if coll else None))


def read_constraints(conn: Connection, relations: dict[int, Relation]) -> None:
    rows = conn.query(
        "SELECT k.conrelid, k.oid, k.conname, k.contype, pg_catalog.pg_get_constraintdef(k.oid), "
        "k.convalidated, k.confrelid FROM pg_catalog.pg_constraint k "
        "JOIN pg_catalog.pg_class c ON c.oid = k.conrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE k.contype IN ('p', 'u', 'c', 'f', 'x') AND {USER_SCHEMAS} "
        "ORDER BY k.conrelid, k.conname").rows
    for relid, oid, name, kind, definition, validated, references in rows:
        rel = relations.get(int(relid))
        if rel is not None:
            rel.constraints.append(Constraint(int(oid), name, kind, definition, _bool(validated),
                                              int(references or 0)))


def read_indexes(conn: Connection, relations: dict[int, Relation]) -> None:
    """Indexes other than those that implement a PRIMARY KEY, UNIQUE or EXCLUDE
    constraint: the constraint's ALTER TABLE makes those; and other than a partitioned
    index's partitions: the partitioned table's CREATE INDEX makes those."""
    rows = conn.query(
        "SELECT i.indrelid, i.indexrelid, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid) "
        "FROM pg_catalog.pg_index i "
        "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace "
        f"WHERE {USER_SCHEMAS} AND NOT ic.relispartition AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k "
        "WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')) "
        "ORDER BY ic.relname").rows
    for relid, oid, name, definition in rows:
        rel = relations.get(int(relid))
        if rel is not None:
            rel.indexes.append(Index(int(oid), name, definition))


def read_sequences(conn: Connection, relations: dict[int, Relation]) -> None:
    rows = conn.query(
        "SELECT s.seqrelid, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, "
        "s.seqmax, s.seqmin, s.seqcache, s.seqcycle FROM pg_catalog.pg_sequence s").rows
    for relid, type_name, start, increment, maximum, minimum, cache, cycle in rows:
        rel = relations.get(int(relid))
        if rel is not None:
            rel.sequence = Sequence(type_name, int(start), int(increment), int(maximum), int(minimum),
                                    int(cache), _bool(cycle))
    for rel in relations.values():
        if rel.kind == "S" and rel.sequence is not None:
            last, called = conn.query(
                f"SELECT last_value, is_called FROM {quote_qualified(rel.schema, rel.name)}").rows[0]
            rel.sequence.last_value, rel.sequence.is_called = int(last), _bool(called)


def read_sequence_owners(conn: Connection, relations: dict[int, Relation]) -> None:
    """OWNED BY (a serial's 'a' dependency) and identity sequences ('i')."""
    rows = conn.query(
        "SELECT d.objid, d.refobjid, a.attname, d.deptype FROM pg_catalog.pg_depend d "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        f"WHERE d.classid = {PG_CLASS} AND d.refclassid = {PG_CLASS} AND d.deptype IN ('a', 'i')").rows
    for seqid, relid, column, deptype in rows:
        seq = relations.get(int(seqid))
        if seq is None or seq.sequence is None or int(relid) not in relations:
            continue
        if deptype == "i":
            seq.sequence.identity_of = (int(relid), column)
        else:
            seq.sequence.owned_by = (int(relid), column)


def read_views(conn: Connection, relations: dict[int, Relation]) -> None:
    for rel in relations.values():
        if rel.kind in ("v", "m"):
            rel.view_def = conn.scalar(f"SELECT pg_catalog.pg_get_viewdef({rel.oid}::pg_catalog.oid)")
    # which relations each view's rewrite rule reads: views are created after them
    rows = conn.query(
        "SELECT DISTINCT r.ev_class, d.refobjid FROM pg_catalog.pg_depend d "
        "JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid "
        f"WHERE d.classid = {PG_REWRITE} AND d.refclassid = {PG_CLASS} AND d.refobjid <> r.ev_class").rows
    for view, used in rows:
        rel = relations.get(int(view))
        if rel is not None and int(used) in relations:
            rel.depends_on.add(int(used))


def read_types(conn: Connection) -> list[UserType]:
    """Enums with their labels, domains with their base type, NOT NULL, default and
    CHECKs. OID order is creation order: a domain comes after the type it is over."""
    rows = conn.query(
        "SELECT t.oid, n.nspname, t.typname, t.typtype, pg_catalog.pg_get_userbyid(t.typowner), t.typacl, "
        "pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault, t.typrelid "
        "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
        f"WHERE t.typtype IN ('e', 'd', 'c', 'r') AND {USER_SCHEMAS} AND (t.typtype <> 'c' OR "
        "(SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c') ORDER BY t.oid").rows
    types = {int(r[0]): UserType(int(r[0]), r[1], r[2], r[3], r[4], r[5], base=r[6] if r[3] == "d" else "",
                                 not_null=_bool(r[7]), default=r[8]) for r in rows}
    if not types:
        return []
    relids = {int(r[9]): int(r[0]) for r in rows if r[3] == "c"}
    if relids:
        for relid, name, type_name, coll_schema, coll in conn.query(
                "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), cn.nspname, "
                "co.collname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
                "LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation "
                "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace "
                f"WHERE a.attrelid IN ({', '.join(map(str, relids))}) AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY a.attrelid, a.attnum").rows:
            collate = f" COLLATE {quote_qualified(coll_schema, coll)}" if coll else ""
            types[relids[int(relid)]].attributes.append(f"{quote_ident(name)} {type_name}{collate}")
    for typid, sub, multi, coll_schema, coll, canonical, diff in conn.query(
            "SELECT r.rngtypid, pg_catalog.format_type(r.rngsubtype, NULL), "
            "pg_catalog.format_type(r.rngmultitypid, NULL), cn.nspname, co.collname, r.rngcanonical, r.rngsubdiff "
            "FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype "
            "LEFT JOIN pg_catalog.pg_collation co ON co.oid = r.rngcollation AND r.rngcollation <> st.typcollation "
            "LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace").rows:
        if int(typid) in types:  # dumpRangeType's options
            opts = types[int(typid)].range_options
            opts += [f"subtype = {sub}", f"multirange_type_name = {multi}"]
            if coll:
                opts.append(f"collation = {quote_qualified(coll_schema, coll)}")
            opts += [f"{key} = {fn}" for key, fn in (("canonical", canonical), ("subtype_diff", diff))
                     if fn and fn != "-"]
    for typid, label in conn.query("SELECT e.enumtypid, e.enumlabel FROM pg_catalog.pg_enum e "
                                   "ORDER BY e.enumtypid, e.enumsortorder").rows:
        if int(typid) in types:
            types[int(typid)].labels.append(label)
    for typid, oid, name, definition, validated in conn.query(
            "SELECT k.contypid, k.oid, k.conname, pg_catalog.pg_get_constraintdef(k.oid), k.convalidated "
            "FROM pg_catalog.pg_constraint k WHERE k.contypid <> 0 ORDER BY k.contypid, k.conname").rows:
        if int(typid) in types:
            types[int(typid)].checks.append(Constraint(int(oid), name, "c", definition, _bool(validated)))
    return list(types.values())


def read_comments(conn: Connection) -> list[Comment]:
    rows = conn.query(
        "SELECT d.classoid, d.objoid, d.objsubid, d.description FROM pg_catalog.pg_description d "
        f"WHERE d.classoid IN ({PG_TYPE}, {PG_CLASS}, {PG_CONSTRAINT}, {PG_NAMESPACE}, 1255, 2620, 6104) "
        "ORDER BY d.classoid, d.objoid, d.objsubid").rows
    return [Comment(int(c), int(o), int(s), text) for c, o, s, text in rows]


def parse_text_array(text: str | None) -> list[str]:
    """A one-dimensional text[] in its output form ({a,"b c"}) as a list."""
    if not text or text == "{}":
        return []
    items, current, quoted, escaped = [], [], False, False
    for ch in text[1:-1]:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items
