"""Writing one database's dump: the plain SQL script, in pg_dump's order.

  SET lines (only those PostgreSQL 15 and pgsvc both accept)
  [DROP ...]                           with --clean
  CREATE SCHEMA, CREATE SEQUENCE, CREATE TABLE (+ validated CHECKs), OWNED BY, views
  data (COPY ... FROM stdin; ... \\.), sequence values (setval)
  PRIMARY KEY / UNIQUE / EXCLUDE / NOT VALID CHECK, indexes, FOREIGN KEYs, triggers
  ownership, comments and GRANTs beside their objects

Constraints and indexes come after the data, as in pg_dump: loading is faster without
them, and foreign keys then never see a half-loaded parent. The whole dump is read in
one REPEATABLE READ, READ ONLY transaction, so it is one consistent snapshot.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import BinaryIO

from pgsvc import __version__
from pgsvc.client import Connection
from pgsvc.dump import ddl
from pgsvc.dump.acl import grant_statements
from pgsvc.dump.introspect import (PG_CLASS, PG_CONSTRAINT, PG_NAMESPACE, PG_TYPE, Database, Relation,
                                UserType, read_database)
from pgsvc.dump.options import DumpOptions
from pgsvc.dump.order import dependency_order
from pgsvc.dump.quoting import parse_copy_row, quote_literal
from pgsvc.dump.roles import database_config_statements
from pgsvc.dump.routines import PG_PROC, Routine, create_routine, drop_routine, owner_to, read_routines
from pgsvc.dump.triggers import PG_TRIGGER, read_triggers, trigger_statements
from pgsvc.sql.quoting import quote_ident

# pg_dump's preamble, less xmloption and default_table_access_method (pgsvc has neither,
# and the script needs neither)
SET_LINES = """SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;
SET row_security = off;
"""

# The reading session: names come back schema-qualified (empty search_path), dates and
# intervals in the forms every server reads back, floats exact.
SESSION_SETUP = ("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                 "SELECT pg_catalog.set_config('search_path', '', false)",
                 "SET DATESTYLE = ISO", "SET INTERVALSTYLE = POSTGRES", "SET extra_float_digits TO 3")

UNSUPPORTED_KINDS = {"m": "materialized view", "p": "partitioned table", "f": "foreign table"}


class DumpError(Exception):
    """Something the dump cannot write faithfully; the message names it."""


class Script:
    """The output: text statements and raw COPY rows, to one binary stream."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write(text.encode("utf-8"))

    def entry(self, name: str, kind: str, schema: str, owner: str, statements: list[str]) -> None:
        """One object, headed by pg_dump's comment block."""
        if not statements:
            return
        self.write(f"--\n-- Name: {name}; Type: {kind}; Schema: {schema}; Owner: {owner}\n--\n\n")
        self.write("\n\n".join(statements) + "\n\n\n")


def begin_snapshot(conn: Connection) -> None:
    """The reading session's transaction and settings (SESSION_SETUP)."""
    for sql in SESSION_SETUP:
        conn.query(sql)


def dump_database(conn: Connection, stream: BinaryIO, opts: DumpOptions, dbname: str) -> None:
    """One database's script; begin_snapshot(conn) must have run."""
    db = read_database(conn, dbname)
    out = Script(stream)
    writer = DatabaseWriter(conn, out, db, opts)
    writer.check_supported()
    out.write("--\n-- PostgreSQL database dump\n--\n\n")
    out.write(f"-- Dumped from database version {conn.server_params.get('server_version', '?')}\n")
    out.write(f"-- Dumped by pgsvc dump {__version__}\n\n")
    out.write(SET_LINES + "\n")
    writer.write_all()
    out.write("--\n-- PostgreSQL database dump complete\n--\n\n")
    conn.query("COMMIT")


def create_database_statements(conn: Connection, dbname: str, opts: DumpOptions) -> str:
    """-C: CREATE DATABASE as the source has it (encoding, locale, owner), then \\connect."""
    row = conn.query(
        "SELECT pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, "
        "pg_catalog.pg_get_userbyid(d.datdba), d.datacl FROM pg_catalog.pg_database d "
        f"WHERE d.datname = {quote_literal(dbname)}").rows[0]
    encoding, collate, ctype, owner, acl = row
    name = quote_ident(dbname)
    locale = (f"LOCALE = {quote_literal(collate)}" if collate == ctype
              else f"LC_COLLATE = {quote_literal(collate)} LC_CTYPE = {quote_literal(ctype)}")
    parts = []
    if opts.clean:
        parts.append(f"DROP DATABASE {'IF EXISTS ' if opts.if_exists else ''}{name};\n")
    parts.append(f"CREATE DATABASE {name} WITH TEMPLATE = template0 ENCODING = "
                 f"{quote_literal(encoding)} LOCALE_PROVIDER = libc {locale};\n\n")
    if not opts.no_owner:
        parts.append(f"ALTER DATABASE {name} OWNER TO {quote_ident(owner)};\n\n")
    parts.append(f"\\connect {connect_name(dbname)}\n\n")
    settings = database_config_statements(conn, dbname)  # pg_dump's DATABASE PROPERTIES
    if settings:
        parts.append("".join(line + "\n" for line in settings) + "\n")
    if not opts.no_privileges:
        parts += [g + "\n" for g in grant_statements("DATABASE", name, owner, acl)]
    return "".join(parts) + "\n"


def connect_name(dbname: str) -> str:
    """A database name as psql's \\connect reads it: bare when plain, else a conninfo
    string (dbname='...') in psql's double quotes, as pg_dump writes it."""
    if re.fullmatch(r"[A-Za-z0-9_]+", dbname):
        return dbname
    value = "'" + dbname.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return '-reuse-previous=on "' + ("dbname=" + value).replace('"', '""') + '"'


class DatabaseWriter:
    def __init__(self, conn: Connection, out: Script, db: Database, opts: DumpOptions) -> None:
        self.conn, self.out, self.db, self.opts = conn, out, db, opts
        self.comments: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
        if not opts.no_comments:
            for c in db.comments:
                self.comments[(c.classoid, c.objoid)].append((c.subid, c.text))
        self.selected = self._select()
        self.db_routines = read_routines(conn)
        self.identity = {seq.sequence.identity_of: seq for seq in self.db.relations.values()
                         if seq.sequence is not None and seq.sequence.identity_of is not None}

    # ------------------------------------------------------------ what is dumped

    def _select(self) -> list[Relation]:
        rels = self.db.relations.values()
        chosen = {r.oid for r in rels if self.opts.wants_table(r.schema, r.name)}
        # a chosen table brings the sequences it owns (serial, identity), as pg_dump -t does
        for r in rels:
            if r.sequence is not None:
                owner = r.sequence.owned_by or r.sequence.identity_of
                if owner is not None and owner[0] in chosen:
                    chosen.add(r.oid)
        return [r for r in rels if r.oid in chosen]

    def of_kind(self, *kinds: str) -> list[Relation]:
        return [r for r in self.selected if r.kind in kinds]

    def check_supported(self) -> None:
        for rel in self.selected:
            if rel.kind in UNSUPPORTED_KINDS:
                raise DumpError(f"cannot dump {UNSUPPORTED_KINDS[rel.kind]} \"{rel.schema}.{rel.name}\": "
                                "pgsvc dump writes tables, views and sequences only")

    def schemas(self):
        if self.opts.tables or self.opts.data_only:
            return []
        # public exists wherever the script is loaded: it is never created
        return [s for s in self.db.schemas if s.name != "public" and self.opts.wants_schema(s.name)]

    def views(self) -> list[Relation]:
        """Views after the views they read; otherwise in creation (OID) order, which is
        already a valid order unless CREATE OR REPLACE made a view read a newer one."""
        views = {r.oid: r for r in sorted(self.of_kind("v"), key=lambda r: r.oid)}
        order = dependency_order(list(views), lambda oid: views[oid].depends_on)
        return [views[oid] for oid in order]

    def tables_in_load_order(self) -> list[Relation]:
        """Tables after the tables their foreign keys reference."""
        tables = {r.oid: r for r in self.of_kind("r")}
        order = dependency_order(list(tables), lambda oid: {
            k.references for k in tables[oid].constraints if k.kind == "f"})
        return [tables[oid] for oid in order]

    # ------------------------------------------------------------ writing

    def write_all(self) -> None:
        if self.opts.clean and not self.opts.data_only:
            self.write_drops()
        if not self.opts.data_only:
            self.write_definitions()
        if not self.opts.schema_only:
            self.write_data()
        if not self.opts.data_only:
            self.write_constraints_and_indexes()
            self.write_triggers()

    def write_drops(self) -> None:
        if_exists = "IF EXISTS " if self.opts.if_exists else ""
        drops = []
        for rel in self.of_kind("r"):
            for k in rel.constraints:
                if k.kind == "f":
                    drops.append(ddl.drop_constraint(rel, k) if self.opts.if_exists else
                                 f"ALTER TABLE ONLY {ddl.rel_name(rel)} DROP CONSTRAINT {quote_ident(k.name)};")
        drops += [f"DROP VIEW {if_exists}{ddl.rel_name(v)};" for v in reversed(self.views())]
        drops += [f"DROP TABLE {if_exists}{ddl.rel_name(t)};" for t in self.of_kind("r")]
        for seq in self.of_kind("S"):
            if seq.sequence.identity_of is None:
                # an owned sequence went with its table: IF EXISTS whatever the option says
                owned = seq.sequence.owned_by is not None
                drops.append(f"DROP SEQUENCE {'IF EXISTS ' if owned else if_exists}{ddl.rel_name(seq)};")
        drops += [drop_routine(r, bool(if_exists)) for r in reversed(self.routines())]
        drops += [f"DROP {ddl.type_keyword(t)} {if_exists}{ddl.type_name(t)};" for t in reversed(self.types())]
        drops += [f"DROP SCHEMA {if_exists}{quote_ident(s.name)};" for s in self.schemas()]
        if drops:
            self.out.write("\n".join(drops) + "\n\n")

    def write_definitions(self) -> None:
        for schema in self.schemas():
            stmts = [ddl.create_schema(schema)]
            stmts += [] if self.opts.no_owner else [ddl.schema_owner_to(schema)]
            stmts += self.comment_statements(PG_NAMESPACE, schema.oid, f"SCHEMA {quote_ident(schema.name)}")
            stmts += self.grants("SCHEMA", quote_ident(schema.name), schema.owner, schema.acl)
            self.out.entry(schema.name, "SCHEMA", "-", schema.owner, stmts)
        for t in self.types():
            self.out.entry(t.name, ddl.type_keyword(t), t.schema, t.owner, self.type_statements(t))
        for r in self.routines():  # (defaults and CHECKs may call them)
            if not r.sqlbody and not r.rowtype_of:
                self.out.entry(r.label, r.keyword, r.schema, r.owner, self.routine_statements(r))
        for seq in self.of_kind("S"):
            if seq.sequence.identity_of is None:
                self.out.entry(seq.name, "SEQUENCE", seq.schema, seq.owner,
                               [ddl.create_sequence(seq)] + self.owner_and_comments(seq))
        for table in self.of_kind("r"):
            idents = {col: seq for (relid, col), seq in self.identity.items() if relid == table.oid}
            stmts = [ddl.create_table(table, idents)] + self.owner_and_comments(table)
            for seq in idents.values():  # an identity sequence's owner is its table's
                stmts += self.owner_and_comments(seq, with_owner=False)
            self.out.entry(table.name, "TABLE", table.schema, table.owner, stmts)
        dumped = {r.oid for r in self.selected}
        for seq in self.of_kind("S"):
            owner = seq.sequence.owned_by
            # (a sequence picked by -t without its table keeps no OWNED BY: the table is not made)
            if owner is not None and seq.sequence.identity_of is None and owner[0] in dumped:
                table = self.db.relations[owner[0]]
                self.out.entry(seq.name, "SEQUENCE OWNED BY", seq.schema, seq.owner,
                               [ddl.owned_by(seq, table, owner[1])])
        for r in self.routines():  # a SQL-standard body is analysed at once: after the tables (and
            # a function of a table's row type; of a view's: after the views)
            if (r.sqlbody or r.rowtype_of == "r") and r.rowtype_of != "v":
                self.out.entry(r.label, r.keyword, r.schema, r.owner, self.routine_statements(r))
        for view in self.views():
            stmts = [ddl.create_view(view)] + ddl.view_column_defaults(view) + self.owner_and_comments(view)
            self.out.entry(view.name, "VIEW", view.schema, view.owner, stmts)
        for r in self.routines():
            if r.rowtype_of == "v":
                self.out.entry(r.label, r.keyword, r.schema, r.owner, self.routine_statements(r))

    def routines(self) -> list[Routine]:
        """Functions and procedures (not with -t, as pg_dump -t)."""
        if self.opts.tables or self.opts.data_only:
            return []
        return [r for r in self.db_routines if self.opts.wants_schema(r.schema)]

    def routine_statements(self, r: Routine) -> list[str]:
        stmts = [create_routine(r)] + ([] if self.opts.no_owner else [owner_to(r)])
        stmts += self.comment_statements(PG_PROC, r.oid, f"{r.keyword} {r.signature}")
        return stmts + self.grants(r.keyword, r.signature, r.owner, r.acl)

    def types(self) -> list[UserType]:
        """Enums and domains (not with -t: pg_dump -t dumps relations only)."""
        if self.opts.tables or self.opts.data_only:
            return []
        return [t for t in self.db.types if self.opts.wants_schema(t.schema)]

    def type_statements(self, t: UserType) -> list[str]:
        keyword, name = ddl.type_keyword(t), ddl.type_name(t)
        stmts = [ddl.create_type(t)]
        if not self.opts.no_owner:
            stmts.append(f"ALTER {keyword} {name} OWNER TO {quote_ident(t.owner)};")
        stmts += self.comment_statements(PG_TYPE, t.oid, f"{keyword} {name}")
        for k in t.checks:
            stmts += self.comment_statements(PG_CONSTRAINT, k.oid,
                                             f"CONSTRAINT {quote_ident(k.name)} ON DOMAIN {name}")
        return stmts + self.grants(keyword, name, t.owner, t.acl)

    def owner_and_comments(self, rel: Relation, with_owner: bool = True) -> list[str]:
        """ALTER ... OWNER TO, the comments on the relation and its columns, its GRANTs."""
        stmts = [ddl.owner_to(rel)] if with_owner and not self.opts.no_owner else []
        what = ddl.OWNER_KEYWORD[rel.kind]
        columns = {c.attnum: c.name for c in rel.columns}
        for subid, text in self.comments.get((PG_CLASS, rel.oid), []):
            if subid == 0:
                stmts.append(ddl.comment_on(f"{what} {ddl.rel_name(rel)}", text))
            elif subid in columns:
                stmts.append(ddl.comment_on(f"COLUMN {ddl.rel_name(rel)}.{quote_ident(columns[subid])}", text))
        kind = "SEQUENCE" if rel.kind == "S" else "TABLE"
        stmts += self.grants(kind, ddl.rel_name(rel), rel.owner, rel.acl)
        # comments on CHECK constraints made with the table
        for k in rel.constraints:
            if ddl.inline_check(k):
                stmts += self.constraint_comments(rel, k)
        return stmts

    def grants(self, kind: str, target: str, owner: str, acl: str | None) -> list[str]:
        return [] if self.opts.no_privileges else grant_statements(kind, target, owner, acl)

    def comment_statements(self, classoid: int, oid: int, what: str) -> list[str]:
        return [ddl.comment_on(what, text) for subid, text in self.comments.get((classoid, oid), [])
                if subid == 0]

    def constraint_comments(self, rel: Relation, k) -> list[str]:
        return self.comment_statements(PG_CONSTRAINT, k.oid,
                                       f"CONSTRAINT {quote_ident(k.name)} ON {ddl.rel_name(rel)}")

    # ------------------------------------------------------------ data

    def write_data(self) -> None:
        for table in self.tables_in_load_order():
            self.out.write(f"--\n-- Data for Name: {table.name}; Type: TABLE DATA; Schema: {table.schema}; "
                           f"Owner: {table.owner}\n--\n\n")
            if self.opts.inserts:
                self.write_inserts(table)
            else:
                self.write_copy(table)
        for seq in self.of_kind("S"):
            self.out.entry(seq.name, "SEQUENCE SET", seq.schema, seq.owner, [ddl.setval(seq)])

    def copy_source(self, table: Relation) -> str:
        return f"COPY {ddl.rel_name(table)} ({', '.join(ddl.copy_columns(table))}) TO stdout"

    def write_copy(self, table: Relation) -> None:
        """The server's COPY text rows go into the script byte for byte: COPY FROM reads
        back exactly what COPY TO wrote, whatever the values hold."""
        columns = ", ".join(ddl.copy_columns(table))
        self.out.write(f"COPY {ddl.rel_name(table)} ({columns}) FROM stdin;\n")
        self.conn.copy_out(self.copy_source(table), self.out.stream.write)
        self.out.write("\\.\n\n\n")

    def write_inserts(self, table: Relation) -> None:
        """--inserts: one INSERT per row, values as string literals (every type reads its
        text form from a literal); identity ALWAYS columns keep their values."""
        always = any(c.identity == "a" for c in table.columns)
        head = (f"INSERT INTO {ddl.rel_name(table)} ({', '.join(ddl.copy_columns(table))})"
                f"{' OVERRIDING SYSTEM VALUE' if always else ''} VALUES (")

        pending = bytearray()

        def write_rows(chunk: bytes) -> None:
            # a CopyData message need not hold exactly one row: rows end at a raw newline
            # (a newline inside a value is written as \n)
            pending.extend(chunk)
            *rows, rest = pending.split(b"\n")
            pending[:] = rest
            for row in rows:
                values = parse_copy_row(row.decode("utf-8"))
                literals = ", ".join("NULL" if v is None else quote_literal(v) for v in values)
                self.out.write(f"{head}{literals});\n")

        self.conn.copy_out(self.copy_source(table), write_rows)
        if pending:
            raise DumpError(f'COPY data of table "{table.schema}.{table.name}" ended inside a row')
        self.out.write("\n\n")

    # ------------------------------------------------------------ after the data

    def write_triggers(self) -> None:
        """Triggers of the dumped tables and views, last (pg_dump's post-data section)."""
        dumped = {r.oid: r for r in self.selected}
        for t in read_triggers(self.conn):
            rel = dumped.get(t.relid)
            if rel is None:
                continue
            stmts = trigger_statements(t, ddl.rel_name(rel))
            stmts += self.comment_statements(PG_TRIGGER, t.oid, f"TRIGGER {quote_ident(t.name)} ON {ddl.rel_name(rel)}")
            self.out.entry(f"{rel.name} {t.name}", "TRIGGER", rel.schema, rel.owner, stmts)

    def write_constraints_and_indexes(self) -> None:
        tables = self.of_kind("r")
        for table in tables:
            for k in table.constraints:
                if k.kind in ("p", "u", "x") or (k.kind == "c" and not k.validated):
                    self.out.entry(f"{table.name} {k.name}", "CONSTRAINT", table.schema, table.owner,
                                   [ddl.add_constraint(table, k)] + self.constraint_comments(table, k))
        for table in tables:
            for index in table.indexes:
                stmts = [index.definition + ";"]
                stmts += self.comment_statements(PG_CLASS, index.oid,
                                                 f"INDEX {quote_ident(table.schema)}.{quote_ident(index.name)}")
                self.out.entry(index.name, "INDEX", table.schema, table.owner, stmts)
        for table in tables:
            for k in table.constraints:
                if k.kind == "f":
                    self.out.entry(f"{table.name} {k.name}", "FK CONSTRAINT", table.schema, table.owner,
                                   [ddl.add_constraint(table, k)] + self.constraint_comments(table, k))
