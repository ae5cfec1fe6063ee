"""Writing one database's dump: the plain SQL script pg_dump 15 writes.

  header and SET lines (pg_dump's), [the DATABASE entry and \\connect with -C]
  [DROP ...]                           with --clean
  the table of contents (pgsvc.dump.toc, sorted and printed by pgsvc.dump.archive):
  schemas, types, functions, tables / views / sequences, split defaults, data (COPY ...
  FROM stdin; ... \\. or INSERTs), sequence values, constraints, indexes, triggers,
  foreign keys; comments after their objects, ACLs last

The whole dump is read in one REPEATABLE READ, READ ONLY transaction, so it is one
consistent snapshot.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import BinaryIO

from pgsvc import __version__
from pgsvc.client import Connection
from pgsvc.dump import ddl
from pgsvc.dump.acl import grant_statements
from pgsvc.dump.archive import print_archive, sort_entries
from pgsvc.dump.introspect import (Database, Relation,
                                UserType, read_database)
from pgsvc.dump.options import DumpOptions
from pgsvc.dump.order import dependency_order
from pgsvc.dump.quoting import parse_copy_row, quote_literal
from pgsvc.dump.roles import database_config_statements
from pgsvc.dump.routines import Routine, drop_routine, read_routines
from pgsvc.dump.toc import TocBuilder
from pgsvc.sql.quoting import quote_ident

# pg_dump's preamble
SET_LINES = """SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
"""

# The reading session: names come back schema-qualified (empty search_path), dates and
# intervals in the forms every server reads back, floats exact.
SESSION_SETUP = ("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                 "SELECT pg_catalog.set_config('search_path', '', false)",
                 "SET DATESTYLE = ISO", "SET INTERVALSTYLE = POSTGRES", "SET extra_float_digits TO 3")

UNSUPPORTED_KINDS = {"f": "foreign table"}


# how --inserts writes a value of each base type (pg_dump's dumpTableData_insert)
_VALUE_KIND = {20: "number", 21: "number", 23: "number", 26: "number", 700: "number", 701: "number",
               1700: "number", 16: "bool", 1560: "bit", 1562: "bit"}
_NUMBER_CHARS = frozenset("0123456789 +-eE.")


def _insert_value(value: str | None, kind: str) -> str:
    if value is None:
        return "NULL"
    if kind == "number":
        return value if set(value) <= _NUMBER_CHARS else f"'{value}'"
    if kind == "bool":
        return "true" if value == "t" else "false"
    if kind == "bit":
        return f"B'{value}'"
    return quote_literal(value)


class DumpError(Exception):
    """Something the dump cannot write faithfully; the message names it."""


class Script:
    """The output: text statements and raw COPY rows, to one binary stream."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write(text.encode("utf-8"))


def begin_snapshot(conn: Connection) -> None:
    """The reading session's transaction and settings (SESSION_SETUP)."""
    for sql in SESSION_SETUP:
        conn.query(sql)


def dump_database(conn: Connection, stream: BinaryIO, opts: DumpOptions, dbname: str,
                  create: str = "") -> None:
    """One database's script; begin_snapshot(conn) must have run. `create` (-C): the
    DATABASE entry, after which the script connects to the new database and repeats the
    settings, as pg_dump -C writes it."""
    db = read_database(conn, dbname)
    out = Script(stream)
    writer = DatabaseWriter(conn, out, db, opts)
    writer.check_supported()
    out.write("--\n-- PostgreSQL database dump\n--\n\n")
    out.write(f"-- Dumped from database version {conn.server_params.get('server_version', '?')}\n")
    out.write(f"-- Dumped by pgsvc dump {__version__}\n\n")
    out.write(SET_LINES + "\n")
    if create:
        out.write(create + SET_LINES + "\n")
    writer.write_all()
    out.write("--\n-- PostgreSQL database dump complete\n--\n\n")
    conn.query("COMMIT")


def create_database_statements(conn: Connection, dbname: str, opts: DumpOptions, entry: bool = False) -> str:
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
    elif entry:  # pg_dump -C's DATABASE entry
        parts.append(f"--\n-- Name: {dbname}; Type: DATABASE; Schema: -; Owner: {'-' if opts.no_owner else owner}"
                     "\n--\n\n")
    parts.append(f"CREATE DATABASE {name} WITH TEMPLATE = template0 ENCODING = "
                 f"{quote_literal(encoding)} LOCALE_PROVIDER = libc {locale};\n\n")
    if entry and not opts.clean:
        parts.append("\n")
    if not opts.no_owner:
        parts.append(f"ALTER DATABASE {name} OWNER TO {quote_ident(owner)};\n\n")
    parts.append(f"\\connect {connect_name(dbname)}\n\n")
    settings = database_config_statements(conn, dbname)  # pg_dump's DATABASE PROPERTIES
    if settings:
        parts.append("".join(line + "\n" for line in settings) + "\n")
    if not opts.no_privileges:
        parts += [g + "\n" for g in grant_statements("DATABASE", name, owner, acl)]
    return "".join(parts) + ("" if entry else "\n")


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


    # ------------------------------------------------------------ writing

    def write_all(self) -> None:
        """pg_dump's table of contents (pgsvc.dump.toc), sorted and printed as pg_dump does."""
        if self.opts.clean and not self.opts.data_only:
            self.write_drops()
        entries = sort_entries(TocBuilder(self).build())
        print_archive(self.out.write, entries, with_owner=not self.opts.no_owner)

    def write_drops(self) -> None:
        if_exists = "IF EXISTS " if self.opts.if_exists else ""
        drops = []
        for rel in self.of_kind("r"):
            for k in rel.constraints:
                if k.kind == "f":
                    drops.append(ddl.drop_constraint(rel, k) if self.opts.if_exists else
                                 f"ALTER TABLE ONLY {ddl.rel_name(rel)} DROP CONSTRAINT {quote_ident(k.name)};")
        drops += [f"DROP MATERIALIZED VIEW {if_exists}{ddl.rel_name(m)};" for m in self.of_kind("m")]
        drops += [f"DROP VIEW {if_exists}{ddl.rel_name(v)};" for v in reversed(self.views())]
        drops += [f"DROP TABLE {if_exists}{ddl.rel_name(t)};"
                  for t in sorted(self.of_kind("r", "p"), key=self.partition_depth, reverse=True)]
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

    def partition_depth(self, rel: Relation) -> int:
        """How many partitioned tables are above rel (partitions are dropped before them)."""
        depth, parent = 0, rel.parent
        while parent and parent in self.db.relations and depth < 100:
            depth, parent = depth + 1, self.db.relations[parent].parent
        return depth

    def routines(self) -> list[Routine]:
        """Functions and procedures (not with -t, as pg_dump -t)."""
        if self.opts.tables or self.opts.data_only:
            return []
        return [r for r in self.db_routines if self.opts.wants_schema(r.schema)]

    def types(self) -> list[UserType]:
        """Enums and domains (not with -t: pg_dump -t dumps relations only)."""
        if self.opts.tables or self.opts.data_only:
            return []
        return [t for t in self.db.types if self.opts.wants_schema(t.schema)]

    # ------------------------------------------------------------ data

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
        """--inserts / --column-inserts: one INSERT per row as pg_dump's dumpTableData_insert
        writes it: numbers bare (unless NaN or Infinity), booleans true/false, bit strings
        B'...', every other value a string literal; OVERRIDING SYSTEM VALUE for an identity
        ALWAYS column."""
        always = any(c.identity == "a" for c in table.columns)
        columns = f"({', '.join(ddl.copy_columns(table))}) " if self.opts.inserts == "columns" else ""
        head = (f"INSERT INTO {ddl.rel_name(table)} {columns}"
                f"{'OVERRIDING SYSTEM VALUE ' if always else ''}VALUES (")
        # a generated column: DEFAULT in its place with --inserts, left out with --column-inserts
        kinds = [None if g == "s" else _VALUE_KIND.get(int(t), "") for t, g in self.conn.query(
            "SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, a.attgenerated "
            f"FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
            f"WHERE a.attrelid = {table.oid} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum").rows
                 if not (g == "s" and self.opts.inserts == "columns")]

        pending = bytearray()

        def write_rows(chunk: bytes) -> None:
            # a CopyData message need not hold exactly one row: rows end at a raw newline
            # (a newline inside a value is written as \n)
            pending.extend(chunk)
            *rows, rest = pending.split(b"\n")
            pending[:] = rest
            for row in rows:
                values = iter(parse_copy_row(row.decode("utf-8")))
                literals = ", ".join("DEFAULT" if kind is None else _insert_value(next(values), kind)
                                     for kind in kinds)
                self.out.write(f"{head}{literals});\n")

        self.conn.copy_out(self.copy_source(table), write_rows)
        if pending:
            raise DumpError(f'COPY data of table "{table.schema}.{table.name}" ended inside a row')
        self.out.write("\n\n")
