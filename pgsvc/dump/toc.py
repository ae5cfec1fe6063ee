"""The entries of one database's dump (pgsvc.dump.archive), made as pg_dump 15 makes its
table of contents: one entry per object with pg_dump's tag, type, owner and text; an
object's comments and ACL as entries of their own; serial defaults (a column default
that calls a sequence its own table owns) and identity sequences as the entries pg_dump
splits them into; the dependencies between entries read from pg_depend, as pg_dump reads
them, for the sort.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgsvc.client import Connection
from pgsvc.dump import ddl
from pgsvc.dump.acl import grant_statements, public_schema_grants
from pgsvc.dump.archive import (PRIO_ATTRDEF, PRIO_CONSTRAINT, PRIO_FK_CONSTRAINT, PRIO_FUNC, PRIO_INDEX,
                                PRIO_NAMESPACE, PRIO_SEQUENCE_SET, PRIO_TABLE, PRIO_TABLE_DATA, PRIO_TRIGGER,
                                PRIO_TYPE, Entry, dollar_quote)
from pgsvc.dump.introspect import (PG_CLASS, PG_CONSTRAINT, PG_NAMESPACE, PG_REWRITE, PG_TYPE, Relation,
                                   USER_SCHEMAS, parse_text_array)
from pgsvc.dump.policies import add_policies
from pgsvc.dump.rules import add_rules
from pgsvc.dump.publications import add_replica_identities, publication_entries
from pgsvc.dump.quoting import quote_literal
from pgsvc.dump.triggers import PG_TRIGGER, read_triggers, trigger_statements
from pgsvc.sql.quoting import quote_ident, quote_qualified

PG_PROC, PG_ATTRDEF = 1255, 2604
PRIO_REFRESH_MATVIEW = 45  # pg_dump_sort.c (PostgreSQL 15): a materialized view's REFRESH, last of all
# settings whose value pg_dump splits into a list of literals (variable_is_guc_list_quote)
_LIST_SETTINGS = {"local_preload_libraries", "search_path", "session_preload_libraries",
                  "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories"}


@dataclass
class Func:
    oid: int
    schema: str
    name: str
    kind: str
    args: str  # pg_get_function_arguments
    identity: str  # pg_get_function_identity_arguments
    result: str  # pg_get_function_result
    language: str
    volatile: str
    strict: bool
    secdef: bool
    leakproof: bool
    cost: str
    rows: str
    retset: bool
    parallel: str
    config: list[str]
    src: str
    sqlbody: str | None
    owner: str
    acl: str | None
    argtypes: list[str]  # format_type of each input argument type
    type_oids: list[str]  # its result and argument types' OIDs (row types order it after tables)

    @property
    def keyword(self) -> str:
        return "PROCEDURE" if self.kind == "p" else "FUNCTION"

    @property
    def signature(self) -> str:  # pg_dump's funcsig
        return f"{quote_ident(self.name)}({self.identity})"


def read_funcs(conn: Connection) -> list[Func]:
    types = dict(conn.query("SELECT t.oid, pg_catalog.format_type(t.oid, NULL) FROM pg_catalog.pg_type t").rows)
    rows = conn.query(
        "SELECT p.oid, n.nspname, p.proname, p.prokind, pg_catalog.pg_get_function_arguments(p.oid), "
        "pg_catalog.pg_get_function_identity_arguments(p.oid), pg_catalog.pg_get_function_result(p.oid), "
        "l.lanname, p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.procost, p.prorows, "
        "p.proretset, p.proparallel, p.proconfig, p.prosrc, "
        "CASE WHEN p.prosqlbody IS NOT NULL THEN pg_catalog.pg_get_function_sqlbody(p.oid) END, "
        "pg_catalog.pg_get_userbyid(p.proowner), p.proacl, p.proargtypes, p.prorettype, p.proallargtypes "
        "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
        "JOIN pg_catalog.pg_language l ON l.oid = p.prolang "
        f"WHERE {USER_SCHEMAS} AND p.prokind IN ('f', 'p') ORDER BY p.oid").rows
    out = []
    for r in rows:
        argtypes = [types.get(t, t) for t in (r[21] or "").split()]
        out.append(Func(int(r[0]), r[1], r[2], r[3], r[4] or "", r[5] or "", r[6] or "", r[7], r[8], r[9] == "t",
                        r[10] == "t", r[11] == "t", r[12], r[13], r[14] == "t", r[15], parse_text_array(r[16]),
                        r[17] or "", r[18], r[19], r[20], argtypes,
                        [r[22]] + (r[21] or "").split() + parse_text_array(r[23])))
    return out


def create_func(f: Func) -> str:
    """pg_dump's dumpFunc text."""
    q = f"CREATE {f.keyword} {quote_ident(f.schema)}.{quote_ident(f.name)}({f.args})"
    if f.kind != "p":
        q += f" RETURNS {f.result}"
    q += f"\n    LANGUAGE {quote_ident(f.language)}"
    if f.kind == "w":
        q += " WINDOW"
    q += {"i": " IMMUTABLE", "s": " STABLE"}.get(f.volatile, "")
    q += " STRICT" if f.strict else ""
    q += " SECURITY DEFINER" if f.secdef else ""
    q += " LEAKPROOF" if f.leakproof else ""
    default_cost = "1" if f.language in ("internal", "c") else "100"
    if f.cost not in ("0", default_cost):
        q += f" COST {f.cost}"
    if f.retset and f.rows not in ("0", "1000"):
        q += f" ROWS {f.rows}"
    q += {"s": " PARALLEL SAFE", "r": " PARALLEL RESTRICTED"}.get(f.parallel, "")
    for item in f.config:
        name, _, value = item.partition("=")
        if name.lower() in _LIST_SETTINGS:
            value_text = ", ".join(quote_literal(v.strip().strip('"')) for v in value.split(","))
        else:
            value_text = quote_literal(value)
        q += f"\n    SET {name} TO {value_text}"
    body = f.sqlbody if f.sqlbody is not None else "AS " + dollar_quote(f.src)
    return q + f"\n    {body};\n"


class TocBuilder:
    """The entries of one database: from a DatabaseWriter's reading (pgsvc.dump.script)."""

    def __init__(self, writer) -> None:
        self.w = writer
        self.opts = writer.opts
        self.comments: dict[tuple[int, int], list[tuple[int, str]]] = writer.comments
        self.entries: list[Entry] = []
        self.keys: dict[tuple[int, int], tuple] = {}  # (classid, oid) -> entry key, for pg_depend
        self.separate_defaults: set[tuple[int, int]] = set()

    # ------------------------------------------------------------ helpers
    def add(self, e: Entry, *catalog: tuple[int, int]) -> Entry:
        self.entries.append(e)
        for c in catalog:
            self.keys[c] = e.key
        return e

    def comment(self, e: Entry, classoid: int, oid: int, what: str, tag: str, subid: int = 0) -> None:
        if self.opts.no_comments:
            return
        for sub, text in self.comments.get((classoid, oid), []):
            if sub == subid:
                e.comments.append(Entry(0, "", "", tag, "COMMENT", e.owner, ddl.comment_on(what, text) + "\n",
                                        ("comment",) + e.key + (subid,), header_schema=e.header_schema
                                        if e.header_schema is not None else e.schema))

    def acl(self, e: Entry, kind: str, tag: str, target: str, owner: str, acl: str | None,
            statements: list[str] | None = None) -> None:
        if self.opts.no_privileges:
            return
        stmts = statements if statements is not None else grant_statements(kind, target, owner, acl)
        if stmts:
            e.acls.append(Entry(0, "", "", f"{kind} {tag}", "ACL", owner, "\n".join(stmts) + "\n",
                                ("acl",) + e.key, header_schema=e.header_schema
                                if e.header_schema is not None else e.schema))

    # ------------------------------------------------------------ objects
    def build(self) -> list[Entry]:
        definitions = not self.opts.data_only
        if definitions:
            self.schemas()
            self.types()
            self.functions()
        self.relations(definitions)
        if definitions:
            self.post_data()
            self.publications()
            add_replica_identities(self.w.conn, self.entries)
            tables = {r.oid: r for r in self.w.selected if r.kind in ("r", "p")}
            for e in add_policies(self.w.conn, self.entries, tables):  # row-level security (dump.policies)
                self.add(e)
            ruled = {r.oid: r for r in self.w.selected if r.kind in ("r", "p", "v")}
            for e in add_rules(self.w.conn, ruled):  # CREATE RULE's rules (dump.rules)
                self.add(e)
        self.dependencies()
        return self.entries

    def schemas(self) -> None:
        if self.opts.tables:
            return
        for s in self.w.db.schemas:
            if not self.opts.wants_schema(s.name):
                continue
            if s.name == "public":  # made by every database: only a changed ACL is dumped
                e = self.add(Entry(PRIO_NAMESPACE, "", s.name, s.name, "SCHEMA", s.owner, None,
                                   (PG_NAMESPACE, s.oid), header_schema="-"), (PG_NAMESPACE, s.oid))
                self.acl(e, "SCHEMA", "public", "public", s.owner, s.acl, public_schema_grants(s.acl))
                continue
            name = quote_ident(s.name)
            e = self.add(Entry(PRIO_NAMESPACE, "", s.name, s.name, "SCHEMA", s.owner, f"CREATE SCHEMA {name};\n",
                               (PG_NAMESPACE, s.oid), owner_stmt=f"ALTER SCHEMA {name} OWNER TO {quote_ident(s.owner)};",
                               header_schema="-"), (PG_NAMESPACE, s.oid))
            self.comment(e, PG_NAMESPACE, s.oid, f"SCHEMA {name}", f"SCHEMA {name}")
            self.acl(e, "SCHEMA", name, name, s.owner, s.acl)

    def types(self) -> None:
        for t in self.w.types():
            keyword, name = ddl.type_keyword(t), ddl.type_name(t)
            e = self.add(Entry(PRIO_TYPE, t.schema, t.name, t.name, keyword, t.owner, ddl.create_type(t) + "\n",
                               (PG_TYPE, t.oid), owner_stmt=f"ALTER {keyword} {name} OWNER TO {quote_ident(t.owner)};"),
                         (PG_TYPE, t.oid), *[(PG_CONSTRAINT, k.oid) for k in t.checks])
            self.comment(e, PG_TYPE, t.oid, f"{keyword} {name}", f"{keyword} {quote_ident(t.name)}")
            for k in t.checks:
                self.comment(e, PG_CONSTRAINT, k.oid, f"CONSTRAINT {quote_ident(k.name)} ON DOMAIN {name}",
                             f"CONSTRAINT {quote_ident(k.name)} ON DOMAIN {quote_ident(t.name)}")
            self.acl(e, "TYPE" if keyword == "TYPE" else "DOMAIN", quote_ident(t.name), name, t.owner, t.acl)

    def functions(self) -> None:
        if self.opts.tables:
            return
        # a row type's relation (PostgreSQL: pg_type.typrelid; pgsvc gives a table's row type
        # the table's own OID): a function taking or returning it follows the relation
        rowtypes = {str(r.oid): r.oid for r in self.w.db.relations.values()}
        rowtypes.update({t: int(rel) for t, rel in self.w.conn.query(
            "SELECT t.oid, t.typrelid FROM pg_catalog.pg_type t WHERE t.typrelid <> 0").rows})
        for f in read_funcs(self.w.conn):
            if not self.opts.wants_schema(f.schema):
                continue
            target = f"{quote_ident(f.schema)}.{f.signature}"
            e = self.add(Entry(PRIO_FUNC, f.schema, f.name, f"{f.name}({', '.join(f.argtypes)})", f.keyword, f.owner,
                               create_func(f), (PG_PROC, f.oid), tie=(len(f.argtypes), tuple(f.argtypes)),
                               owner_stmt=f"ALTER {f.keyword} {target} OWNER TO {quote_ident(f.owner)};"),
                         (PG_PROC, f.oid))
            e.deps |= {(PG_CLASS, rowtypes[t]) for t in f.type_oids if t in rowtypes}
            self.comment(e, PG_PROC, f.oid, f"{f.keyword} {target}", f"{f.keyword} {f.signature}")
            self.acl(e, f.keyword, f.signature, target, f.owner, f.acl)
        self.aggregates()

    def aggregates(self) -> None:
        """CREATE AGGREGATE as dumpAgg writes it (SFUNC, STYPE, INITCOND, FINALFUNC)."""
        for oid, schema, name, args, owner, acl, sfunc, stype, initval, finalfn in self.w.conn.query(
                "SELECT p.oid, n.nspname, p.proname, pg_catalog.pg_get_function_arguments(p.oid), "
                "pg_catalog.pg_get_userbyid(p.proowner), p.proacl, a.aggtransfn, "
                "pg_catalog.format_type(a.aggtranstype, NULL), a.agginitval, a.aggfinalfn "
                "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                "JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid "
                f"WHERE {USER_SCHEMAS} AND p.prokind = 'a' ORDER BY p.oid").rows:
            if not self.opts.wants_schema(schema):
                continue
            signature = f"{quote_ident(name)}({args})"
            target = f"{quote_ident(schema)}.{signature}"
            body = [f"SFUNC = {sfunc}", f"STYPE = {stype}"]
            body += [f"INITCOND = {quote_literal(initval)}"] if initval is not None else []
            body += [f"FINALFUNC = {finalfn}"] if finalfn and finalfn != "-" else []
            text = f"CREATE AGGREGATE {target} (\n" + ",\n".join("    " + b for b in body) + "\n);\n"
            argtypes = tuple(a.strip() for a in args.split(",")) if args else ()
            e = self.add(Entry(PRIO_FUNC + 1, schema, name, f"{name}({args})", "AGGREGATE", owner, text,
                               (PG_PROC, int(oid)), tie=(len(argtypes), argtypes),
                               owner_stmt=f"ALTER AGGREGATE {target} OWNER TO {quote_ident(owner)};"),
                         (PG_PROC, int(oid)))
            self.comment(e, PG_PROC, int(oid), f"AGGREGATE {target}", f"AGGREGATE {signature}")
            self.acl(e, "FUNCTION", signature, target, owner, acl)

    def relations(self, definitions: bool) -> None:
        w = self.w
        identity = {seq.oid: seq for seq in w.of_kind("S") if seq.sequence.identity_of is not None}
        owned = {(seq.sequence.owned_by[0], seq.oid) for seq in w.of_kind("S") if seq.sequence.owned_by}
        dumped = {r.oid: r for r in w.selected}
        for rel in w.selected:
            if definitions:
                if rel.kind == "S":
                    self.sequence(rel, dumped, rel.oid in identity)
                else:
                    self.table(rel, owned)
                if rel.parent and rel.parent in dumped and rel.partbound:
                    parent = dumped[rel.parent]
                    self.add(Entry(PRIO_TABLE + 1, rel.schema, rel.name, rel.name, "TABLE ATTACH", rel.owner,
                                   ddl.attach_partition(parent, rel) + "\n", ("attach", rel.oid),
                                   deps={(PG_CLASS, rel.oid), (PG_CLASS, parent.oid)}))
            if rel.kind == "r" and not self.opts.schema_only:
                self.table_data(rel)
            if rel.kind == "m" and not self.opts.schema_only:
                self.matview_data(rel)
            if rel.kind == "S" and not self.opts.schema_only:
                self.add(Entry(PRIO_SEQUENCE_SET, rel.schema, rel.name, rel.name, "SEQUENCE SET", rel.owner,
                               ddl.setval(rel) + "\n", ("seqset", rel.oid), deps={(PG_CLASS, rel.oid)}))

    def table(self, rel: Relation, owned: set) -> None:
        name = ddl.rel_name(rel)
        serial = {c.name for c in rel.columns if c.default is not None and rel.kind in ("r", "p")
                  and any(_calls_sequence(c.default, self.w.db.relations[s]) for t, s in owned if t == rel.oid)}
        if rel.kind == "v":
            text = ddl.create_view(rel) + "\n"
            for stmt in ddl.view_column_defaults(rel):
                text += "\n" + stmt + "\n"
        elif rel.kind == "m":  # its rows come back with REFRESH at the end (matview_data)
            text = f"CREATE MATERIALIZED VIEW {name} AS\n{rel.view_def.rstrip().rstrip(';')}\n  WITH NO DATA;\n"
        else:
            columns = [_plain(c, c.name in serial) for c in rel.columns]
            text = ddl.create_table(_with_columns(rel, columns), {}) + "\n"
        desc = {"v": "VIEW", "m": "MATERIALIZED VIEW"}.get(rel.kind, "TABLE")
        e = self.add(Entry(PRIO_TABLE, rel.schema, rel.name, rel.name, desc, rel.owner, text, (PG_CLASS, rel.oid),
                           owner_stmt=f"ALTER TABLE {name} OWNER TO {quote_ident(rel.owner)};",
                           no_access_method=rel.kind == "p"),
                     (PG_CLASS, rel.oid), (PG_REWRITE, rel.oid),
                     *[(PG_CONSTRAINT, k.oid) for k in rel.constraints if ddl.inline_check(k)])
        self.comment(e, PG_CLASS, rel.oid, f"{desc} {name}", f"{desc} {quote_ident(rel.name)}")
        for c in rel.columns:
            self.comment(e, PG_CLASS, rel.oid, f"COLUMN {name}.{quote_ident(c.name)}",
                         f"COLUMN {quote_ident(rel.name)}.{quote_ident(c.name)}", c.attnum)
        for k in rel.constraints:
            if ddl.inline_check(k):
                self.comment(e, PG_CONSTRAINT, k.oid, f"CONSTRAINT {quote_ident(k.name)} ON {name}",
                             f"CONSTRAINT {quote_ident(k.name)} ON {quote_ident(rel.name)}")
        self.acl(e, "TABLE", quote_ident(rel.name), name, rel.owner, rel.acl)
        for c in rel.columns:
            if c.name in serial:
                self.add(Entry(PRIO_ATTRDEF, rel.schema, rel.name, f"{rel.name} {c.name}", "DEFAULT", rel.owner,
                               f"ALTER TABLE ONLY {name} ALTER COLUMN {quote_ident(c.name)} SET DEFAULT {c.default};\n",
                               ("attrdef", rel.oid, c.attnum), tie=(c.attnum,), deps={(PG_CLASS, rel.oid)}))
                self.separate_defaults.add((rel.oid, c.attnum))

    def sequence(self, rel: Relation, dumped: dict, is_identity: bool) -> None:
        name, seq = ddl.rel_name(rel), rel.sequence
        if is_identity:
            table = self.w.db.relations[seq.identity_of[0]]
            column = next(c for c in table.columns if c.name == seq.identity_of[1])
            when = "ALWAYS" if column.identity == "a" else "BY DEFAULT"
            options = "\n".join(ddl.sequence_options(seq, "    ", with_type=False))
            text = (f"ALTER TABLE {ddl.rel_name(table)} ALTER COLUMN {quote_ident(column.name)} ADD GENERATED "
                    f"{when} AS IDENTITY (\n    SEQUENCE NAME {name}\n{options}\n);\n")
            e = self.add(Entry(PRIO_TABLE, rel.schema, rel.name, rel.name, "SEQUENCE", rel.owner, text,
                               (PG_CLASS, rel.oid)), (PG_CLASS, rel.oid))
        else:
            e = self.add(Entry(PRIO_TABLE, rel.schema, rel.name, rel.name, "SEQUENCE", rel.owner,
                               ddl.create_sequence(rel) + "\n", (PG_CLASS, rel.oid),
                               owner_stmt=f"ALTER TABLE {name} OWNER TO {quote_ident(rel.owner)};"), (PG_CLASS, rel.oid))
            if seq.owned_by is not None and seq.owned_by[0] in dumped:
                table = self.w.db.relations[seq.owned_by[0]]
                e.comments.append(Entry(0, "", "", rel.name, "SEQUENCE OWNED BY", rel.owner,
                                        ddl.owned_by(rel, table, seq.owned_by[1]) + "\n", ("ownedby", rel.oid),
                                        header_schema=rel.schema))
        self.comment(e, PG_CLASS, rel.oid, f"SEQUENCE {name}", f"SEQUENCE {quote_ident(rel.name)}")
        self.acl(e, "SEQUENCE", quote_ident(rel.name), name, rel.owner, rel.acl)

    def table_data(self, rel: Relation) -> None:
        def write() -> None:
            if self.opts.inserts:
                self.w.write_inserts(rel)
            else:
                self.w.write_copy(rel)
        deps = {(PG_CLASS, rel.oid)}
        if self.opts.data_only:  # pg_dump -a orders the data by foreign keys
            deps |= {("data", k.references) for k in rel.constraints if k.kind == "f" and k.references != rel.oid}
        self.add(Entry(PRIO_TABLE_DATA, rel.schema, rel.name, rel.name, "TABLE DATA", rel.owner, "",
                       ("data", rel.oid), deps=deps, data=write))

    def matview_data(self, rel: Relation) -> None:
        """A populated materialized view: REFRESH after everything else, as pg_dump writes it."""
        if self.w.conn.scalar(f"SELECT relispopulated FROM pg_catalog.pg_class WHERE oid = {rel.oid}") != "t":
            return
        self.add(Entry(PRIO_REFRESH_MATVIEW, rel.schema, rel.name, rel.name, "MATERIALIZED VIEW DATA", rel.owner,
                       f"REFRESH MATERIALIZED VIEW {ddl.rel_name(rel)};\n", ("refresh", rel.oid),
                       deps={(PG_CLASS, rel.oid)}))

    def post_data(self) -> None:
        relations = self.w.db.relations
        for rel in self.w.of_kind("r", "p", "m"):
            name = ddl.rel_name(rel)
            parent = relations.get(rel.parent) if rel.parent else None
            for k in rel.constraints:
                if parent is not None and k.kind in ("p", "u") and \
                        any(pk.kind == k.kind and pk.definition == k.definition for pk in parent.constraints):
                    continue  # the partitioned table's key makes it (ddl.add_constraint)
                if k.kind in ("p", "u", "x") or k.kind == "f" or (k.kind == "c" and not k.validated):
                    fk = k.kind == "f"
                    desc = "FK CONSTRAINT" if fk else "CHECK CONSTRAINT" if k.kind == "c" else "CONSTRAINT"
                    e = self.add(Entry(PRIO_FK_CONSTRAINT if fk else PRIO_CONSTRAINT, rel.schema, k.name,
                                       f"{rel.name} {k.name}", desc, rel.owner, ddl.add_constraint(rel, k) + "\n",
                                       (PG_CONSTRAINT, k.oid), deps={(PG_CLASS, rel.oid)}), (PG_CONSTRAINT, k.oid))
                    self.comment(e, PG_CONSTRAINT, k.oid, f"CONSTRAINT {quote_ident(k.name)} ON {name}",
                                 f"CONSTRAINT {quote_ident(k.name)} ON {quote_ident(rel.name)}")
            for index in rel.indexes:
                # a partitioned table's index is made on its partitions too (read_indexes skips theirs)
                definition = index.definition.replace(" ON ONLY ", " ON ", 1) if rel.kind == "p" else index.definition
                e = self.add(Entry(PRIO_INDEX, rel.schema, index.name, index.name, "INDEX", rel.owner,
                                   definition + ";\n", (PG_CLASS, index.oid), deps={(PG_CLASS, rel.oid)}),
                             (PG_CLASS, index.oid))
                self.comment(e, PG_CLASS, index.oid, f"INDEX {quote_qualified(rel.schema, index.name)}",
                             f"INDEX {quote_ident(index.name)}")
        tables = {r.oid for r in self.w.of_kind("r", "p")}
        for index_oid, con_oid, index_name in self.w.conn.query(
                "SELECT k.conindid, k.oid, c.relname FROM pg_catalog.pg_constraint k "
                "JOIN pg_catalog.pg_class c ON c.oid = k.conindid WHERE k.contype IN ('p', 'u', 'x')").rows:
            con = (PG_CONSTRAINT, int(con_oid))
            owner = next((e for e in self.entries if e.key == con), None)
            if owner is None or (PG_CLASS, int(index_oid)) in self.keys:
                continue
            self.keys[(PG_CLASS, int(index_oid))] = con
            # the constraint's index: no text of its own, but its comment sorts as an index
            e = self.add(Entry(PRIO_INDEX, owner.schema, index_name, index_name, "INDEX", owner.owner, None,
                               ("conindex", int(index_oid)), deps={con}))
            self.comment(e, PG_CLASS, int(index_oid), f"INDEX {quote_qualified(owner.schema, index_name)}",
                         f"INDEX {quote_ident(index_name)}")
        dumped = {r.oid: r for r in self.w.selected}
        for t in read_triggers(self.w.conn):
            rel = dumped.get(t.relid)
            if rel is None or (rel.kind == "r" and rel.oid not in tables):
                continue
            text = "\n\n".join(trigger_statements(t, ddl.rel_name(rel))) + "\n"
            e = self.add(Entry(PRIO_TRIGGER, rel.schema, t.name, f"{rel.name} {t.name}", "TRIGGER", rel.owner,
                               text, (PG_TRIGGER, t.oid), deps={(PG_CLASS, rel.oid)}), (PG_TRIGGER, t.oid))
            self.comment(e, PG_TRIGGER, t.oid, f"TRIGGER {quote_ident(t.name)} ON {ddl.rel_name(rel)}",
                         f"TRIGGER {quote_ident(t.name)} ON {quote_ident(rel.name)}")

    def publications(self) -> None:
        """Publications and their tables and schemas: with the whole database only, as
        pg_dump (pgsvc.dump.publications)."""
        if self.opts.tables or self.opts.schemas:
            return
        tables = {r.oid: r for r in self.w.selected if r.kind in ("r", "p")}
        for e in publication_entries(self.w.conn, tables, {s.oid: s.name for s in self.w.db.schemas}):
            self.add(e, e.key)
            if e.desc == "PUBLICATION":
                self.comment(e, e.key[0], e.key[1], f"PUBLICATION {quote_ident(e.tag)}",
                             f"PUBLICATION {quote_ident(e.tag)}")

    # ------------------------------------------------------------ dependencies
    def dependencies(self) -> None:
        """pg_depend's rows between dumped objects, as pg_dump's getDependencies adds them."""
        by_key = {e.key: e for e in self.entries}
        attrdefs = {int(oid): (int(rel), int(num)) for oid, rel, num in self.w.conn.query(
            "SELECT oid, adrelid, adnum FROM pg_catalog.pg_attrdef").rows}
        rules = {int(oid): int(rel) for oid, rel in self.w.conn.query(
            "SELECT oid, ev_class FROM pg_catalog.pg_rewrite").rows}
        # a composite type's relation stands for the type (pg_dump reverses their 'i' row,
        # so the type follows its attributes' types)
        composites = {int(rel): int(oid) for oid, rel in self.w.conn.query(
            "SELECT t.oid, t.typrelid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_class c ON c.oid = t.typrelid "
            "WHERE t.typtype = 'c' AND c.relkind = 'c'").rows}

        def key_of(classid: int, oid: int):
            if classid == PG_ATTRDEF and oid in attrdefs:
                rel, num = attrdefs[oid]
                if (rel, num) in self.separate_defaults:
                    return ("attrdef", rel, num)
                return self.keys.get((PG_CLASS, rel))
            if classid == PG_REWRITE and oid in rules:
                return self.keys.get((PG_CLASS, rules[oid]))
            if classid == PG_CLASS and oid in composites:
                return self.keys.get((PG_TYPE, composites[oid]))
            return self.keys.get((classid, oid))
        for classid, objid, refclassid, refobjid, _deptype in self.w.conn.query(
                "SELECT classid, objid, refclassid, refobjid, deptype FROM pg_catalog.pg_depend "
                "WHERE deptype <> 'p' AND deptype <> 'e'").rows:
            obj, ref = key_of(int(classid), int(objid)), key_of(int(refclassid), int(refobjid))
            if obj is not None and ref is not None and obj != ref and obj in by_key:
                by_key[obj].deps.add(ref)
        for (relid, attnum) in self.separate_defaults:  # the table no longer needs its default first
            table = by_key.get((PG_CLASS, relid))
            if table is not None:
                table.deps.discard(("attrdef", relid, attnum))


def _calls_sequence(default: str, seq: Relation) -> bool:
    return default.startswith("nextval(") and quote_literal(ddl.rel_name(seq)) + "::regclass)" in default


def _plain(c, without_default: bool):
    """A column as CREATE TABLE writes it: identity and a serial default come later."""
    return type(c)(c.attnum, c.name, c.type, c.not_null, None if without_default else c.default, "",
                   c.generated, c.collation)


def _with_columns(rel: Relation, columns) -> Relation:
    copy = Relation(rel.oid, rel.schema, rel.name, rel.kind, rel.owner, rel.acl, rel.persistence, rel.options,
                    columns, rel.constraints, rel.indexes, rel.sequence, rel.view_def, rel.depends_on,
                    rel.partkey, rel.partbound, rel.parent)
    return copy


__all__ = ["TocBuilder", "create_func", "read_funcs"]
