"""The reg* types of one backend: regclass, regtype, regproc, regprocedure, regoper,
regoperator, regnamespace and regrole.

A reg* value is an OID. Its input function finds the object a name denotes in the
backend's catalogs (on the search path, with PostgreSQL's errors: 42P01 for an unknown
relation, 42704 for an unknown type or role, 42883/42725 for an unknown or ambiguous
function or operator); its output function prints the name, schema-qualified when the
bare name would not find the same object, the plain number for an unknown OID and '-'
for 0. Functions and operators are PostgreSQL 15's (pgsvc.sql.catalog.system.procs), so
'int4pl'::regproc and pg_operator.oprcode print as in PostgreSQL.

Where the engine uses this:
  * untyped literals cast to a reg* type resolve at translation (translate.coerce's
    resolve_unknown calls `reg_in`), as PostgreSQL folds them at planning;
  * casts between reg* and string types run the SQLite UDFs pgsvce_regin /
    pgsvce_regout (installed on each connection by `register`, named in the casts
    catalogue, which this module amends when it is imported);
  * result columns of reg* types get `output_converters` (runner.finish_types): the
    values reach the encoders as RegOid (the OID plus its name).
"""

from __future__ import annotations

import json
import re

from pgsvc.cluster.builtin_oids import BUILTIN_SCHEMAS, PG_CATALOG_OID
from pgsvc.errors import SqlError
from pgsvc.sql.catalog import routines
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.catalog.system import information_schema as infoschema
from pgsvc.sql.catalog.system import relations as pg_relations
from pgsvc.sql.catalog.system.pg_catalog_defs import PREDEFINED_ROLES, REL_OIDS
from pgsvc.sql.catalog.system.procs import oper_row, opers_named, proc_row, procs_named
from pgsvc.sql.catalog.system.role_names import role_name_by_oid
from pgsvc.sql.functions import OPERATORS
from pgsvc.sql.functions.casts import CASTS
from pgsvc.sql.functions.context import raise_sql
from pgsvc.sql.functions.signatures import CastSig, OperSig
from pgsvc.sql.quoting import quote_ident, quote_qualified
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.arrays import format_array, parse_array
from pgsvc.sql.types.pg_type import by_name, find_oid, format_type
from pgsvc.sql.types.oids import REG_ARRAYS, REG_OIDS
from pgsvc.sql.types.regoid import RegOid

NAMEDATALEN = 64


# --- names -----------------------------------------------------------------------------

def split_names(text: str, sep: str = ".") -> list[str]:
    """PostgreSQL's SplitIdentifierString: quoted parts keep case ("" is a quote), bare
    parts are down-cased, whitespace around parts is ignored; 42602 otherwise."""
    out: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == '"':
            j, part = i + 1, []
            while True:
                k = text.find('"', j)
                if k < 0:
                    raise _bad_name()
                part.append(text[j:k])
                if k + 1 < n and text[k + 1] == '"':
                    part.append('"')
                    j = k + 2
                    continue
                break
            name, i = "".join(part), k + 1
            if not name:
                raise _bad_name()
        else:
            j = i
            while i < n and text[i] != sep and not text[i].isspace():
                i += 1
            if i == j:
                raise _bad_name()
            name = text[j:i].lower()
        out.append(name[:NAMEDATALEN - 1])
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            return out
        if text[i] != sep:
            raise _bad_name()
        i += 1


def _bad_name() -> SqlError:
    return SqlError("42602", "invalid name syntax")


def _qualify(schema: str, name: str, visible: bool) -> str:
    return quote_ident(name) if visible else quote_qualified(schema, name)


# --- input -----------------------------------------------------------------------------

def reg_in(engine, typoid: int, text: str) -> int:
    """The OID `text` denotes as a value of reg* type `typoid` (regclassin & co.)."""
    if typoid in REG_ARRAYS:  # '{pg_class,pg_am}'::regclass[]: each element as its type reads it
        return parse_array(str(text), lambda item: reg_in(engine, REG_ARRAYS[typoid], item))
    raw = str(text)
    stripped = raw.strip()
    if stripped.isdigit():
        return int(stripped)  # numeric OIDs are taken as they are, as PostgreSQL does
    if stripped == "-" and typoid != O.REGOPERATOR:
        return 0
    return _INPUT[typoid](engine, raw)


def _schema_oid(engine, name: str, missing_ok: bool = False) -> int | None:
    oid = BUILTIN_SCHEMAS.get(name) or engine.catalog.schemas.get(name)
    if oid is None and not missing_ok:
        raise SqlError("3F000", f'schema "{name}" does not exist')
    return oid


def _relation_names(engine, text: str) -> tuple[str | None, str]:
    names = split_names(text)
    if len(names) > 3:
        raise SqlError("42601", f"improper relation name (too many dotted names): {'.'.join(names)}")
    if len(names) == 3:
        if names[0] != engine.session.database:
            raise SqlError("0A000", f"cross-database references are not implemented: \"{'.'.join(names)}\"")
        names = names[1:]
    return (names[0] if len(names) == 2 else None), names[-1]


def find_relation(engine, schema: str | None, name: str):
    """The relation a (schema, name) finds: pg_catalog's first (searched implicitly, as
    PostgreSQL does), then each schema of the search path in order."""
    if schema is not None:
        _schema_oid(engine, schema)
    rel = pg_relations.find(schema, name)
    if rel is not None:
        return rel
    for s in [schema] if schema is not None else engine.search_path():
        rel = _relation_in(engine, s, name)
        if rel is not None:
            return rel
    return None


def _relation_in(engine, schema: str, name: str):
    if schema == "information_schema":
        return infoschema.find(schema, name)
    if schema in BUILTIN_SCHEMAS:
        return None
    return engine.catalog.lookup(schema, name, [])


def _regclass_in(engine, text: str) -> int:
    schema, name = _relation_names(engine, text)
    rel = find_relation(engine, schema, name)
    if rel is None:
        shown = f"{schema}.{name}" if schema else name
        raise SqlError("42P01", f'relation "{shown}" does not exist')
    return rel.oid


def _regtype_in(engine, text: str) -> int:
    return by_name(text).oid


def _regnamespace_in(engine, text: str) -> int:
    names = split_names(text)
    if len(names) != 1:
        raise _bad_name()
    return _schema_oid(engine, names[0])


def _regrole_in(engine, text: str) -> int:
    names = split_names(text)
    if len(names) != 1:
        raise _bad_name()
    oid = _role_oid(engine, names[0])
    if oid is None:
        raise SqlError("42704", f'role "{names[0]}" does not exist')
    return oid


def _role_oid(engine, name: str) -> int | None:
    role = shared(engine).cat.find_role(name)
    if role is not None:
        return role.oid
    for oid, pname in PREDEFINED_ROLES.items():
        if pname == name:
            return oid
    return None


def _proc_candidates(engine, text: str) -> tuple[str, list[int]]:
    names = split_names(text)
    if len(names) > 2:
        raise SqlError("42601", f"improper qualified name (too many dotted names): {'.'.join(names)}")
    # user routines (catalog.routines) after the built-in functions of pg_catalog
    if len(names) == 2:
        oid = _schema_oid(engine, names[0])
        users = [r.oid for r in routines.visible(engine.catalog, names[1], names[0], [])]
        return names[1], (procs_named(names[1]) if oid == PG_CATALOG_OID else []) + users
    users = [r.oid for r in routines.visible(engine.catalog, names[0], None, engine.search_path())]
    return names[0], procs_named(names[0]) + users


def _regproc_in(engine, text: str) -> int:
    _, found = _proc_candidates(engine, text)
    shown = ".".join(split_names(text))
    if not found:
        raise SqlError("42883", f'function "{shown}" does not exist')
    if len(found) > 1:
        raise SqlError("42725", f'more than one function named "{shown}"')
    return found[0]


def _parse_signature(engine, text: str) -> tuple[str, list[int]]:
    """'name(type, type)' -> (name part, argument type OIDs) as regprocedurein reads it."""
    m = re.fullmatch(r"\s*(.*?)\s*\((.*)\)\s*", text, re.S)
    if m is None:
        raise SqlError("22P02", "expected a left parenthesis")
    args = [a for a in _split_args(m.group(2))]
    return m.group(1), [_regtype_in(engine, a) for a in args]


def _split_args(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    elif out:
        raise SqlError("22P02", "expected a type name")
    return out


def _regprocedure_in(engine, text: str) -> int:
    name_text, args = _parse_signature(engine, text)
    _, found = _proc_candidates(engine, name_text)
    for oid in found:
        r = engine.catalog.routines.get(oid)
        if list(r.argtypes if r is not None else proc_row(oid)[3]) == args:
            return oid
    raise SqlError("42883", f'function "{text.strip()}" does not exist')


def _regoper_in(engine, text: str) -> int:
    name = _operator_name(engine, text)
    found = opers_named(name)
    if not found:
        raise SqlError("42883", f"operator does not exist: {text.strip()}")
    if len(found) > 1:
        raise SqlError("42725", f"more than one operator named {text.strip()}")
    return found[0]


def _operator_name(engine, text: str) -> str:
    text = text.strip()
    if "." in text.rstrip("."):
        schema, _, op = text.partition(".")
        if _schema_oid(engine, split_names(schema)[0]) != PG_CATALOG_OID:
            return ""
        return op
    return text


def _regoperator_in(engine, text: str) -> int:
    m = re.fullmatch(r"\s*(.*?)\s*\((.*)\)\s*", text, re.S)
    if m is None:
        raise SqlError("22P02", "expected a left parenthesis")
    args = _split_args(m.group(2))
    if len(args) == 1:
        raise SqlError("42P02", "missing argument", hint="Use NONE to denote the missing argument of a unary "
                       "operator.")
    if len(args) != 2:
        raise SqlError("54023", "too many arguments", hint="Provide two argument types for operator.")
    types = [0 if a.lower() == "none" else by_name(a).oid for a in args]
    name = _operator_name(engine, m.group(1))
    for oid in opers_named(name):
        row = oper_row(oid)
        if (row[5], row[6]) == tuple(types):
            return oid
    raise SqlError("42883", f"operator does not exist: {text.strip()}")


_INPUT = {O.REGCLASS: _regclass_in, O.REGTYPE: _regtype_in, O.REGNAMESPACE: _regnamespace_in,
          O.REGROLE: _regrole_in, O.REGPROC: _regproc_in, O.REGPROCEDURE: _regprocedure_in,
          O.REGOPER: _regoper_in, O.REGOPERATOR: _regoperator_in}


def to_reg(engine, typoid: int, text):
    """to_regclass & co.: the OID, or NULL when nothing (or more than one thing) matches.
    Malformed names still raise, as in PostgreSQL 15."""
    if text is None:
        return None
    try:
        return _INPUT[typoid](engine, str(text))
    except SqlError as e:
        if e.sqlstate in ("42P01", "42704", "42883", "42725", "3F000"):
            return None
        raise


# --- output ----------------------------------------------------------------------------

def reg_out(engine, typoid: int, oid) -> str | None:
    """The text output of OID `oid` as reg* type `typoid` (regclassout & co.)."""
    if oid is None:
        return None
    if typoid in REG_ARRAYS:
        items = json.loads(oid) if isinstance(oid, str) else oid
        return format_array(items, lambda item: reg_out(engine, REG_ARRAYS[typoid], item))
    oid = int(oid)
    if oid == 0:
        return "0" if typoid == O.REGOPER else "-"
    text = _OUTPUT[typoid](engine, oid)
    return text if text is not None else str(oid)


def relation_by_oid(engine, oid: int):
    rel = engine.catalog.by_oid.get(oid)
    if rel is not None:
        return rel
    for name, roid in REL_OIDS.items():
        if roid == oid:
            return pg_relations.relation(name)
    return infoschema.by_oid(oid)


def relation_visible(engine, rel) -> bool:
    try:
        return find_relation(engine, None, rel.name) is rel
    except SqlError:
        return False


def _regclass_out(engine, oid: int) -> str | None:
    rel = relation_by_oid(engine, oid)
    if rel is None:
        return None
    return _qualify(rel.schema, rel.name, relation_visible(engine, rel))


def _regtype_out(engine, oid: int) -> str | None:
    if find_oid(oid) is None:
        # a table's or view's row type (a function's RETURNS [SETOF] tbl) has the relation's OID
        rel = relation_by_oid(engine, oid)
        return _regclass_out(engine, oid) if rel is not None and rel.kind in ("r", "v") else None
    return format_type(oid, None)


def _regnamespace_out(engine, oid: int) -> str | None:
    return namespace_name(engine, oid) and quote_ident(namespace_name(engine, oid))


def namespace_name(engine, oid: int) -> str | None:
    for name, noid in BUILTIN_SCHEMAS.items():
        if noid == oid:
            return name
    for name, noid in engine.catalog.schemas.items():
        if noid == oid:
            return name
    return None


def _regrole_out(engine, oid: int) -> str | None:
    name = role_name_by_oid(engine, oid)
    return None if name is None or name.startswith("unknown (OID=") else quote_ident(name)


def _regproc_out(engine, oid: int) -> str | None:
    r = engine.catalog.routines.get(oid)
    if r is not None:  # a user routine (catalog.routines)
        first = routines.visible(engine.catalog, r.name, None, engine.search_path())
        return _qualify(r.schema, r.name, len(first) == 1 and first[0] is r and not procs_named(r.name))
    row = proc_row(oid)
    if row is None:
        return None
    # qualified unless the bare name finds exactly this function (regprocout)
    return _qualify(row[2], row[1], len(procs_named(row[1])) == 1)


def _regprocedure_out(engine, oid: int) -> str | None:
    r = engine.catalog.routines.get(oid)
    if r is not None:  # format_procedure: qualified when the name and types find another first
        args = ",".join(format_type(a, None) for a in r.argtypes)
        path = engine.search_path()
        seen = next((s for s in path if routines.find_exact(engine.catalog, s, r.name, r.argtypes)), None)
        return f"{_qualify(r.schema, r.name, seen == r.schema)}({args})"
    row = proc_row(oid)
    if row is None:
        return None
    args = ",".join(format_type(a, None) for a in row[3])
    return f"{quote_ident(row[1])}({args})"


def _regoper_out(engine, oid: int) -> str | None:
    row = oper_row(oid)
    if row is None:
        return None
    return row[1] if len(opers_named(row[1])) == 1 else f"pg_catalog.{row[1]}"


def _regoperator_out(engine, oid: int) -> str | None:
    row = oper_row(oid)
    if row is None:
        return None
    left = format_type(row[5], None) if row[5] else "NONE"
    right = format_type(row[6], None) if row[6] else "NONE"
    return f"{row[1]}({left},{right})"


_OUTPUT = {O.REGCLASS: _regclass_out, O.REGTYPE: _regtype_out, O.REGNAMESPACE: _regnamespace_out,
           O.REGROLE: _regrole_out, O.REGPROC: _regproc_out, O.REGPROCEDURE: _regprocedure_out,
           O.REGOPER: _regoper_out, O.REGOPERATOR: _regoperator_out}


def output_converters(engine, columns, convs: list) -> list:
    """runner.finish_types' value converters with reg* columns made RegOid (name resolved
    when the row is fetched, so it follows the catalog and search path of that moment)."""
    out = list(convs)
    for i, col in enumerate(columns):
        typoid = col.type_oid
        if typoid in REG_OIDS:
            out[i] = _scalar_converter(engine, typoid)
        elif typoid in REG_ARRAYS:
            out[i] = _array_converter(engine, REG_ARRAYS[typoid], convs[i])
    return out


def _scalar_converter(engine, typoid: int):
    return lambda v: RegOid(int(v), reg_out(engine, typoid, v))


def _array_converter(engine, typoid: int, base):
    def convert(v):
        value = base(v) if base is not None else v
        return _map_nested(value, lambda x: RegOid(int(x), reg_out(engine, typoid, x)))
    return convert


def _map_nested(value, fn):
    if isinstance(value, list):
        return [_map_nested(x, fn) if x is not None else None for x in value]
    return fn(value)


# --- SQLite UDFs -------------------------------------------------------------------------

def register(conn, engine) -> None:
    """pgsvce_regin(text, typoid) / pgsvce_regout(oid, typoid) for casts between reg* and
    string types evaluated at run time, and to_reg*."""

    def regin(text, typoid):
        if text is None:
            return None
        try:
            value = reg_in(engine, typoid, text)
        except SqlError as err:
            raise_sql(engine.fctx, err)
        return json.dumps(value) if isinstance(value, list) else value

    def toreg(text, typoid):
        try:
            return to_reg(engine, typoid, text)
        except SqlError as err:
            raise_sql(engine.fctx, err)
    conn.create_function("pgsvce_regin", 2, regin)
    conn.create_function("pgsvce_regout", 2, lambda oid, typoid: reg_out(engine, typoid, oid))
    conn.create_function("pgsvce_toreg", 2, toreg)


def _install_casts() -> None:
    """reg* <-> string casts and `reg || text` through the engine (the generic I/O
    conversions print numbers); once, at import."""
    strings = (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME)
    for reg in (*REG_OIDS, *REG_ARRAYS):
        for s in strings:
            CASTS[(reg, s)] = CastSig(reg, s, "a", f"pgsvce_regout({{0}}, {reg})")
            src = "rtrim({0}, ' ')" if s == O.BPCHAR else "{0}"
            CASTS[(s, reg)] = CastSig(s, reg, "e", f"pgsvce_regin({src}, {reg})")
        for other in (O.OID, O.INT4, O.INT8) if reg in REG_OIDS else ():
            CASTS.setdefault((other, reg), CastSig(other, reg, "i", "{0}"))
            CASTS.setdefault((reg, other), CastSig(reg, other, "i" if other == O.OID else "a", "{0}"))
    # oidvector (pg_proc.proargtypes, pg_index.indclass) is an array of oid to PostgreSQL's
    # coercions: proargtypes::regtype[] and ::oid[] keep the stored JSON array as it is
    for arr in (O.ARRAY_OID, *REG_ARRAYS):
        CASTS.setdefault((O.OIDVECTOR, arr), CastSig(O.OIDVECTOR, arr, "i", "{0}"))
    concat = OPERATORS.get("||", [])
    for i, sig in enumerate(concat):
        if sig.left_oid in REG_OIDS and sig.right_oid == O.TEXT:
            concat[i] = OperSig("||", sig.left_oid, O.TEXT, O.TEXT, f"(pgsvce_regout({{0}}, {sig.left_oid}) || {{1}})")
        elif sig.right_oid in REG_OIDS and sig.left_oid == O.TEXT:
            concat[i] = OperSig("||", O.TEXT, sig.right_oid, O.TEXT,
                                f"({{0}} || pgsvce_regout({{1}}, {sig.right_oid}))")


_install_casts()
