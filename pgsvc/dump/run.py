"""`pgsvc dump` and `pgsvc dumpall`: connect as libpq would, write the script, and turn
every failure into one pg_dump-style message (the CLI prints it after
"pgsvc dump: error: " and exits 1, as pg_dump does)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from pgsvc.client import (ClientError, ConnInfoError, ConnParams, Connection, ServerError, connect,
                          password_from_file, resolve)
from pgsvc.dump.options import DumpOptions
from pgsvc.dump.roles import (membership_statement, read_memberships, read_roles, role_statements,
                              user_config_block)
from pgsvc.dump.script import (SET_LINES, DumpError, begin_snapshot, connect_name, create_database_statements,
                               dump_database)
from pgsvc.sql.quoting import quote_ident


class DumpFailure(Exception):
    """What went wrong, worded for the operator (without the program-name prefix); detail
    is pg_dump's second line ("Query was: ...")."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


@dataclass
class Target:
    host: str | None
    port: str | None
    user: str | None
    dbname: str | None
    password_prompt: bool | None  # -W True, -w False, default None: prompt if a terminal


def check_options(opts: DumpOptions) -> None:
    """pg_dump's refusals of option combinations, in its words."""
    if opts.schema_only and opts.data_only:
        raise DumpFailure("options -s/--schema-only and -a/--data-only cannot be used together")
    if opts.clean and opts.data_only:
        raise DumpFailure("options -c/--clean and -a/--data-only cannot be used together")
    if opts.if_exists and not opts.clean:
        raise DumpFailure("option --if-exists requires option -c/--clean")


def open_connection(target: Target, dbname: str | None = None) -> Connection:
    try:
        params = resolve(target.host, target.port, target.user, dbname or target.dbname)
    except ConnInfoError as e:
        raise DumpFailure(str(e)) from None
    try:
        return connect(params, password_source(params, target.password_prompt))
    except ClientError as e:
        raise DumpFailure(str(e)) from None


def password_source(params: ConnParams, prompt: bool | None) -> Callable[[], str | None]:
    """libpq's order: -W's prompt, PGPASSWORD, ~/.pgpass, then a prompt on a terminal."""
    asked: list[str | None] = []

    def ask() -> str | None:
        if not asked:
            asked.append(getpass.getpass("Password: ") if prompt else None)
        return asked[0]

    def source() -> str | None:
        if prompt:
            return ask()
        found = params.password or password_from_file(params)
        if found is None and prompt is None and sys.stdin.isatty():
            return ask()
        return found

    if prompt:  # pg_dump -W asks before connecting
        ask()
    return source


@contextmanager
def failures_reported():
    try:
        yield
    except ServerError as e:
        raise DumpFailure(f"query failed: {e}", f"Query was: {e.query}" if e.query else None) from None
    except (ClientError, DumpError) as e:
        raise DumpFailure(str(e)) from None


def run_dump(target: Target, opts: DumpOptions, open_stream: Callable[[], BinaryIO]) -> None:
    """The output is opened once the session is set up, as pg_dump opens it (so a server
    that cannot be dumped leaves no file behind)."""
    check_options(opts)
    conn = open_connection(target)
    with conn, failures_reported():
        begin_snapshot(conn)
        with open_stream() as stream:
            create = ""
            if opts.create and opts.clean:
                # the session that creates the database gets the settings too; -c then
                # drops the whole database, so nothing inside it needs dropping
                stream.write((SET_LINES + "\n").encode())
                stream.write(create_database_statements(conn, conn.params.dbname, opts).encode())
                opts = _variant(opts, clean=False, if_exists=False)
            elif opts.create:  # pg_dump -C: the DATABASE entry after the header and settings
                create = create_database_statements(conn, conn.params.dbname, opts, entry=True)
            dump_database(conn, stream, opts, conn.params.dbname, create)
            stream.flush()


@dataclass
class DumpallOptions:
    globals_only: bool = False  # -g: roles only (there are no tablespaces)
    roles_only: bool = False  # -r
    no_role_passwords: bool = False


CLUSTER_HEADER = """--
-- PostgreSQL database cluster dump
--

SET default_transaction_read_only = off;

SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

"""


def run_dumpall(target: Target, opts: DumpOptions, all_opts: DumpallOptions, stream: BinaryIO) -> None:
    check_options(opts)
    conn = open_connection(target, target.dbname or "postgres")
    with conn, failures_reported():
        stream.write(CLUSTER_HEADER.encode())
        if not opts.data_only:
            stream.write(roles_section(conn, opts, all_opts).encode())
        databases = [] if all_opts.globals_only or all_opts.roles_only else list_databases(conn)
    for dbname in databases:
        stream.write(f"--\n-- Database \"{dbname}\" dump\n--\n\n".encode())
        db_conn = open_connection(target, dbname)
        with db_conn, failures_reported():
            begin_snapshot(db_conn)
            if dbname in ("template1", "postgres"):
                # these exist in every cluster: connect to them, never create them
                stream.write(f"\\connect {connect_name(dbname)}\n\n".encode())
                dump_database(db_conn, stream, _variant(opts, create=False), dbname)
            elif opts.clean:
                # --clean drops and re-creates the whole database: nothing in it to drop
                stream.write(create_database_statements(db_conn, dbname, opts).encode())
                dump_database(db_conn, stream, _variant(opts, create=False, clean=False,
                                                        if_exists=False), dbname)
            else:  # as pg_dumpall writes it: pg_dump -C's script
                create = create_database_statements(db_conn, dbname, opts, entry=True)
                dump_database(db_conn, stream, _variant(opts, create=False), dbname, create)
    stream.write(b"--\n-- PostgreSQL database cluster dump complete\n--\n\n")
    stream.flush()


def roles_section(conn: Connection, opts: DumpOptions, all_opts: DumpallOptions) -> str:
    current = conn.scalar("SELECT current_user")
    roles = read_roles(conn, with_passwords=not all_opts.no_role_passwords)
    parts = []
    if opts.clean:
        parts.append("--\n-- Drop roles\n--\n\n")
        parts += [f"DROP ROLE {'IF EXISTS ' if opts.if_exists else ''}{quote_ident(r.name)};\n"
                  for r in roles if r.name != current]
        parts.append("\n")
    parts.append("--\n-- Roles\n--\n\n")
    for role in roles:
        parts += [s + "\n" for s in role_statements(role, current)]
    configs = "".join(user_config_block(role) for role in roles)
    if configs:
        parts.append("\n--\n-- User Configurations\n--\n" + configs)
    members = read_memberships(conn)
    if members:
        parts.append("\n--\n-- Role memberships\n--\n\n")
        parts += [membership_statement(*m) + "\n" for m in members]
    return "".join(parts) + "\n"


def _variant(opts: DumpOptions, **changes) -> DumpOptions:
    return DumpOptions(**{**vars(opts), **changes})


def list_databases(conn: Connection) -> list[str]:
    """Every database that takes connections but template0, template1 first (it is the
    template the others are created from), as pg_dumpall orders them."""
    rows = conn.query("SELECT datname FROM pg_catalog.pg_database WHERE datallowconn "
                      "AND datname <> 'template0' ORDER BY datname <> 'template1', datname").rows
    return [row[0] for row in rows]
