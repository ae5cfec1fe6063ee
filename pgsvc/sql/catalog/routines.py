"""User-defined functions and procedures (PostgreSQL's pg_proc rows of a database), and the
registry of the languages their bodies are written in.

Stored form: the hidden table "pgsvc$proc" of each database file (transactional with the
data, shared by every backend on it), one row per routine, columns as pg_proc's:

  oid, nspoid, proname, prokind ('f' function / 'p' procedure), lang (language name),
  prosecdef, proleakproof, proisstrict, proretset, provolatile ('i'/'s'/'v'),
  proparallel ('s'/'r'/'u'), procost, prorows, provariadic, prorettype,
  proargtypes (JSON: the input arguments' types: IN, INOUT, VARIADIC),
  proallargtypes / proargmodes / proargnames (JSON, NULL when PostgreSQL has NULL there),
  proargdefaults (JSON: the PostgreSQL source text of the defaults of the last N inputs),
  prosrc (the AS '...' text), sqlbody (a SQL-standard body, RETURN ... or BEGIN ATOMIC ...
  END, as PostgreSQL source text), proconfig (JSON ["name=value", ...] or NULL)

Owner and ACL are a "pgsvc$acl" row (NULL ACL: PostgreSQL's default, EXECUTE to PUBLIC and
the owner); a comment is a "pgsvc$description" row, as for relations.

The loaded snapshot: `Catalog.routines` (by OID) and `Catalog.routines_named` (by name,
every schema); `Routine` carries what the translator and the executor need.

The language registry (`register_language`, `language_handler`): a language is a name and
an object with the methods of `LanguageHandler`. The SQL layer's own `sql` handler is
registered by pgsvc.sql.exec.sql_language; another language (plpgsql) registers the same
way from its module, imported by the engine. Calls reach a handler only through the engine
(`EngineContext.call_routine`, pgsvc.sql.exec.routines), which applies what every
language shares: STRICT, SECURITY DEFINER, SET, the call depth limit (54001), EXECUTE.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.parse import parse
from pgsvc.sql.types.usertypes import base_of
from pgsvc.sqlite import sqlite3

PROC_TABLE_SQL = (
    'CREATE TABLE IF NOT EXISTS "pgsvc$proc" (oid INTEGER PRIMARY KEY, nspoid INTEGER NOT NULL, '
    'proname TEXT NOT NULL, prokind TEXT NOT NULL, lang TEXT NOT NULL, prosecdef INTEGER NOT NULL, '
    'proleakproof INTEGER NOT NULL, proisstrict INTEGER NOT NULL, proretset INTEGER NOT NULL, '
    'provolatile TEXT NOT NULL, proparallel TEXT NOT NULL, procost REAL NOT NULL, prorows REAL NOT NULL, '
    'provariadic INTEGER NOT NULL, prorettype INTEGER NOT NULL, proargtypes TEXT NOT NULL, '
    'proallargtypes TEXT, proargmodes TEXT, proargnames TEXT, proargdefaults TEXT, prosrc TEXT NOT NULL, '
    'sqlbody TEXT, proconfig TEXT)')

# pg_language OIDs (PostgreSQL 15's: plpgsql is made by initdb's CREATE EXTENSION)
LANGUAGE_OIDS = {"internal": 12, "c": 13, "sql": 14, "plpgsql": 13563}
INPUT_MODES = ("i", "b", "v")


@dataclass
class Routine:
    """One user function or procedure (a pg_proc row)."""

    oid: int
    schema: str
    nspoid: int
    name: str
    kind: str = "f"  # f function, p procedure
    lang: str = "sql"
    secdef: bool = False
    leakproof: bool = False
    strict: bool = False
    retset: bool = False
    volatile: str = "v"
    parallel: str = "u"
    cost: float = 100.0
    rows: float = 0.0
    variadic: int = 0  # provariadic: the VARIADIC argument's element type
    rettype: int = 0
    argtypes: tuple = ()  # proargtypes
    allargtypes: tuple | None = None
    argmodes: tuple | None = None
    argnames: tuple | None = None
    argdefaults: tuple = ()  # source texts, for the last len(argdefaults) inputs
    src: str = ""
    sqlbody: str | None = None
    config: tuple | None = None  # ("name=value", ...)
    owner: int = 10
    acl: list | None = None
    extra: dict = field(default_factory=dict)  # per-backend caches of handlers (not stored)
    # RETURNS [SETOF] tbl: the table's (or view's) row type, whose OID pgsvc takes to be the
    # relation's own (prorettype), or a CREATE TYPE composite (prorettype its pg_type OID):
    # its columns, set when the catalog loads (not stored); [] when the relation is gone
    rowtype: list | None = None
    rowtype_mods: list = field(default_factory=list)  # its columns' typmods
    rowtype_domains: list = field(default_factory=list)  # its columns' domains (0: none)

    # --- the argument list, as PostgreSQL's funcapi reads it --------------------------------

    def all_types(self) -> tuple:
        return self.allargtypes if self.allargtypes is not None else self.argtypes

    def modes(self) -> tuple:
        return self.argmodes if self.argmodes is not None else ("i",) * len(self.argtypes)

    def names(self) -> tuple:
        return self.argnames if self.argnames is not None else ("",) * len(self.all_types())

    def input_names(self) -> list[str]:
        """Names of the input arguments ('' for unnamed), in order."""
        return [n for n, m in zip(self.names(), self.modes()) if m in INPUT_MODES]

    def output_columns(self) -> list[tuple[str, int]]:
        """(name, type) of the OUT, INOUT and TABLE arguments (a record's columns; a domain's
        base type, as values are)."""
        if self.rowtype is not None:
            return list(self.rowtype)
        return [(n, base_of(t)) for n, t, m in zip(self.names(), self.all_types(), self.modes())
                if m in ("o", "b", "t")]

    def returns_table(self) -> bool:
        return "t" in self.modes()

    def identity(self) -> tuple:
        return (self.nspoid, self.name, tuple(self.argtypes))


# --- loading and writing -------------------------------------------------------------------

_COLS = ("oid, nspoid, proname, prokind, lang, prosecdef, proleakproof, proisstrict, proretset, provolatile, "
         "proparallel, procost, prorows, provariadic, prorettype, proargtypes, proallargtypes, proargmodes, "
         "proargnames, proargdefaults, prosrc, sqlbody, proconfig")


def ensure_table(conn: sqlite3.Connection) -> None:
    """A database made before routines gets their (empty) hidden table."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pgsvc$proc'").fetchone() is None:
        conn.execute(PROC_TABLE_SQL)


def _tuple(text):
    return None if text is None else tuple(json.loads(text))


def load_routines(conn: sqlite3.Connection, nsp: dict[int, str]) -> dict[int, Routine]:
    """Every routine of the database, by OID (owners and ACLs: database.load_owners)."""
    out: dict[int, Routine] = {}
    try:
        rows = conn.execute(f'SELECT {_COLS} FROM "pgsvc$proc"').fetchall()
    except sqlite3.OperationalError:
        return out  # a file not yet opened by an engine of this version (ensure_table)
    for row in rows:
        (oid, nspoid, name, kind, lang, secdef, leak, strict, retset, vol, par, cost, rows, variadic, rettype,
         argtypes, allargtypes, modes, names, defaults, src, body, config) = row
        r = Routine(oid, nsp.get(nspoid, "public"), nspoid, name, kind, lang, bool(secdef), bool(leak),
                    bool(strict), bool(retset), vol, par, cost, rows, variadic, rettype,
                    tuple(json.loads(argtypes)), _tuple(allargtypes), _tuple(modes), _tuple(names),
                    _tuple(defaults) or (), src, body, _tuple(config))
        out[oid] = r
    return out


def attach_row_types(routines: dict[int, Routine], by_oid: dict, type_oids) -> None:
    """The row type a routine returns when its prorettype is a table's or view's OID (see
    Routine.rowtype): its columns as values are (a domain's base type); [] when that
    relation is gone."""
    for r in routines.values():
        ut = type_oids.get(r.rettype) if r.rettype >= 16384 else None
        if ut is not None and ut.typtype == "c":  # RETURNS a CREATE TYPE composite: its fields
            r.rowtype = [(name, base_of(t)) for name, t, _ in ut.fields]
            r.rowtype_mods = [mod for _, _, mod in ut.fields]
            r.rowtype_domains = [t if getattr(type_oids.get(t), "typtype", "") == "d" else 0 for _, t, _ in ut.fields]
            continue
        if r.rettype < 16384 or r.rettype in type_oids:
            continue
        rel = by_oid.get(r.rettype)
        if rel is None or rel.kind not in ("r", "v"):
            r.rowtype = []
            continue
        r.rowtype = [(a.name, base_of(a.type_oid)) for a in rel.attrs]
        r.rowtype_mods = [a.typmod for a in rel.attrs]
        r.rowtype_domains = [a.domain_oid or 0 for a in rel.attrs]


def by_name(routines: dict[int, Routine]) -> dict[str, list[Routine]]:
    named: dict[str, list[Routine]] = {}
    for r in sorted(routines.values(), key=lambda r: r.oid):
        named.setdefault(r.name, []).append(r)
    return named


def _json(value):
    return None if value is None else json.dumps(list(value))


def _values(r: Routine) -> tuple:
    return (r.oid, r.nspoid, r.name, r.kind, r.lang, int(r.secdef), int(r.leakproof), int(r.strict),
            int(r.retset), r.volatile, r.parallel, r.cost, r.rows, r.variadic, r.rettype, json.dumps(list(r.argtypes)),
            _json(r.allargtypes), _json(r.argmodes), _json(r.argnames), _json(r.argdefaults or None), r.src,
            r.sqlbody, _json(r.config))


def insert_routine(conn: sqlite3.Connection, r: Routine) -> None:
    conn.execute(f'INSERT INTO "pgsvc$proc" ({_COLS}) VALUES ({", ".join("?" * 23)})', _values(r))


def replace_routine(conn: sqlite3.Connection, r: Routine) -> None:
    """CREATE OR REPLACE / ALTER FUNCTION: the row of r.oid rewritten from r."""
    conn.execute('DELETE FROM "pgsvc$proc" WHERE oid = ?', (r.oid,))
    insert_routine(conn, r)


def delete_routine(conn: sqlite3.Connection, oid: int) -> None:
    for table, col in (("proc", "oid"), ("description", "objoid"), ("acl", "objoid")):
        conn.execute(f'DELETE FROM "pgsvc${table}" WHERE {col} = ?', (oid,))


# --- lookups ---------------------------------------------------------------------------------

def visible(cat, name: str, schema: str | None, search_path: list[str]) -> list[Routine]:
    """The routines called `name` a reference finds: in `schema` when qualified, else in the
    schemas of the search path (earlier schemas first)."""
    found = cat.routines_named.get(name)
    if not found:
        return []
    if schema is not None:
        return [r for r in found if r.schema == schema]
    # the temporary schema is never searched for functions (only a pg_temp.f() call finds them)
    rank = {s: i for i, s in enumerate(search_path) if not s.startswith("pg_temp_")}
    return sorted((r for r in found if r.schema in rank), key=lambda r: rank[r.schema])


def find_exact(cat, schema: str, name: str, argtypes: tuple) -> Routine | None:
    for r in cat.routines_named.get(name, ()):
        if r.schema == schema and tuple(r.argtypes) == tuple(argtypes):
            return r
    return None


# --- languages ---------------------------------------------------------------------------------

@dataclass
class RoutineCall:
    """One call of a routine, as the engine hands it to the language's handler.

    args: the input arguments (IN, INOUT, VARIADIC as one array), positional, defaults filled
          in, each in its *stored form* (pgsvc.sql.types.storage; sqlite_adapter(oid) converts
          to and from Python values), of the types `arg_oids` (polymorphic ones resolved).
    ret_oid: the resolved result type (a scalar's; 0 for void and procedures).
    columns: (name, type) of the result's columns when it is a row (OUT/INOUT/TABLE
             arguments, or a column definition list in FROM); empty for a scalar result.
    trigger: for a call of a trigger function, a catalog.triggers.TriggerData (TG_* values,
             OLD/NEW as Python values; that module states what the handler returns), else None.
    inlined: the call stands for one PostgreSQL inlines and folds (constant arguments of a
             one-expression SQL function): its errors' CONTEXT says "during inlining".
    atomic: False when the call may end the transaction (a procedure CALLed, or a DO block
            run, outside a transaction block and outside any function: PostgreSQL's
            non-atomic context, where PL/pgSQL's COMMIT / ROLLBACK are allowed).
    """

    routine: Routine
    arg_oids: tuple
    ret_oid: int
    args: list
    columns: list = field(default_factory=list)
    trigger: Any = None
    inlined: bool = False
    atomic: bool = True


class LanguageHandler(Protocol):
    """What a language provides (register it with `register_language(name, handler)`).

    validate(engine, routine)  at CREATE [OR REPLACE] FUNCTION/PROCEDURE (when
        check_function_bodies is on): raise SqlError for a body that cannot run (syntax,
        unknown relation, return type mismatch: PostgreSQL's errors).
    call(engine, call)  run the routine once (STRICT, SECURITY DEFINER, SET and the depth
        limit are already applied by the engine). Returns, in stored forms:
          a scalar function: the value (None for NULL);
          a function returning a row (OUT/INOUT arguments, a column definition list): a
            tuple of the columns' values, or None for a NULL row;
          a set-returning function (SETOF / TABLE): a list of rows, each a tuple (one
            element for SETOF of a scalar type);
          a procedure: a tuple of its INOUT/OUT arguments' values, or None when it has none.
        Errors are SqlError; the handler adds its CONTEXT line(s) (e.g. 'SQL function "f"
        statement 1') to err.context, innermost first, one per line.
    may_write(engine, routine) -> bool  whether a call may change data (asked when a
        statement calling it is translated: that statement then runs as a writer, with the
        writer lock and a transaction; a call that writes under a reader fails).
    """

    def validate(self, engine, routine: Routine) -> None: ...

    def call(self, engine, call: RoutineCall) -> Any: ...

    def may_write(self, engine, routine: Routine) -> bool: ...


_LANGUAGES: dict[str, LanguageHandler] = {}


def register_language(name: str, handler: LanguageHandler) -> None:
    _LANGUAGES[name] = handler


def language_handler(name: str) -> LanguageHandler:
    handler = _LANGUAGES.get(name)
    if handler is None:
        if name in LANGUAGE_OIDS:
            raise SqlError("0A000", f"functions in language {name} are not supported")
        raise SqlError("42704", f'language "{name}" does not exist',
                       hint="Use CREATE EXTENSION to load the language into the database.")
    return handler


def has_language(name: str) -> bool:
    return name in _LANGUAGES


# --- bodies ----------------------------------------------------------------------------------

# A SQL-standard body is parsed as the end of this statement: positions in its nodes are
# len(BODY_PREFIX) past their position in the body's text.
BODY_PREFIX = "CREATE FUNCTION pgsvc$body() RETURNS void LANGUAGE sql "


def parse_sqlbody(text: str):
    """RETURN expr -> a ReturnStmt; BEGIN ATOMIC ... END -> the list of its statements."""
    body = parse(BODY_PREFIX + text)[0].stmt.sql_body
    return body if isinstance(body, ast.ReturnStmt) else list(body[0] or ()) if body else []


def body_statements(r: Routine) -> list:
    """The statements of a LANGUAGE sql body as pglast nodes (parsed once per loaded
    routine): a SQL-standard body's (RETURN is one ReturnStmt), else prosrc's. A node's
    location counts from the start of prosrc (of BODY_PREFIX + sqlbody)."""
    cached = r.extra.get("statements")
    if cached is not None:
        return cached
    if r.sqlbody is not None:
        body = parse_sqlbody(r.sqlbody)
        stmts = [body] if isinstance(body, ast.ReturnStmt) else body
    else:
        stmts = [raw.stmt for raw in parse(r.src)]
    r.extra["statements"] = stmts
    return stmts


def body_error(r: Routine, err: SqlError, where: str | None) -> SqlError:
    """An error in analysing a body (its position is in the body's text): PostgreSQL's
    internal query and position for a prosrc body, and the CONTEXT line
    'SQL function "f" <where>' (none when where is None)."""
    if err.position:
        if r.sqlbody is None and r.src:
            err.internal_position, err.internal_query = err.position, r.src
        err.position = None
    if where is not None:
        line = f'SQL function "{r.name}"' + (f" {where}" if where else "")
        err.context = f"{err.context}\n{line}" if err.context else line
    return err
