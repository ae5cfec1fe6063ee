"""The SQLite functions information_schema's views call (pgsvc.sql.catalog.system.information_schema
serves the views, pgsvc.sql.catalog.system.infoschema_defs defines them): the current
database, type facts (data_type, precision, udt_name, ... as PostgreSQL derives them from
format_type and the typmod), the visibility rule (owner or some privilege, pgsvc.sql.catalog.authz),
ACL rows for the *_privileges views, and the deparsed texts of defaults, checks and views
(pgsvc.sql.pg_functions.describe, as pg_get_expr / pg_get_constraintdef / pg_get_viewdef print
them).
"""

from __future__ import annotations

import json

from pglast import ast, parse_sql
from pglast.visitors import Visitor

from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID
from pgsvc.sql.catalog import acl as A
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.pg_functions import describe as D
from pgsvc.sql.pg_functions.type_funcs import cooked_default, domain_constraintdef
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes
from pgsvc.sql.types.pg_type import find_oid, format_type, numeric_typmod_parts


# --- type facts ----------------------------------------------------------------------------

_INT_PRECISION = {O.INT2: 16, O.INT4: 32, O.INT8: 64, O.FLOAT4: 24, O.FLOAT8: 53}
_CHAR_TYPES = (O.BPCHAR, O.VARCHAR, O.TEXT)
_DATETIMES = (O.TIME, O.TIMETZ, O.TIMESTAMP, O.TIMESTAMPTZ)
MAX_CHAR_OCTETS = 1073741824  # PostgreSQL's 1 GB field limit, the length of an unbounded string
UTF8_MAX_BYTES = 4


def type_fact(field: str, typid, typmod):
    """One information_schema type column for a column of type `typid` with `typmod`.

    A domain reports its base type's facts (with the domain's own typmod) and its own
    schema and name in domain_*; arrays are 'ARRAY', types outside pg_catalog
    'USER-DEFINED' (PostgreSQL's rules)."""
    if typid is None:
        return None
    typid, typmod = int(typid), -1 if typmod is None else int(typmod)
    domain = _user_type(typid)
    if field in ("domain_catalog", "domain_schema", "domain_name"):
        if domain is None or domain.typtype != "d":
            return None
        return {"domain_catalog": _current_database(), "domain_schema": domain.schema,
                "domain_name": domain.name}[field]
    if field == "domain_notnull":  # a NOT NULL domain makes its columns NOT NULL too
        return int(domain is not None and domain.typtype == "d" and domain.notnull)
    if domain is not None and domain.typtype == "d":
        return type_fact(field, domain.basetype, domain.typmod if typmod < 0 else typmod)
    t = find_oid(typid)
    if field == "element_oid":
        return t.elem_oid if t is not None and t.category == "A" and t.elem_oid and t.typlen == -1 else None
    if field in ("udt_schema", "udt_name"):
        if domain is not None:  # an enum (or an array of a user type)
            return domain.schema if field == "udt_schema" else domain.name
        elem_user = _user_type(t.elem_oid) if t is not None and t.category == "A" else None
        if field == "udt_schema":
            return elem_user.schema if elem_user is not None else "pg_catalog"
        return t.name if t is not None else None
    if field == "data_type":
        if t is not None and t.category == "A" and t.elem_oid and t.typlen == -1:
            return "ARRAY"
        if domain is not None or t is None:
            return "USER-DEFINED"
        return format_type(typid, None)
    return _numeric_fact(field, typid, typmod)


def _numeric_fact(field: str, typid: int, typmod: int):
    """Lengths, precisions and scales (the *_length, numeric_*, datetime_*, interval_* facts)."""
    if field == "character_maximum_length":
        if typid in (O.BPCHAR, O.VARCHAR):
            return typmod - 4 if typmod >= 4 else None
        if typid in (O.BIT, O.VARBIT):
            return typmod if typmod >= 0 else None
        return None
    if field == "character_octet_length":
        if typid not in _CHAR_TYPES:
            return None
        return MAX_CHAR_OCTETS if typmod < 4 else (typmod - 4) * UTF8_MAX_BYTES
    if field == "numeric_precision":
        if typid in _INT_PRECISION:
            return _INT_PRECISION[typid]
        if typid == O.NUMERIC and typmod >= 4:
            return numeric_typmod_parts(typmod)[0]
        return None
    if field == "numeric_precision_radix":
        return 2 if typid in _INT_PRECISION else 10 if typid == O.NUMERIC else None
    if field == "numeric_scale":
        if typid in (O.INT2, O.INT4, O.INT8):
            return 0
        if typid == O.NUMERIC and typmod >= 4:
            return numeric_typmod_parts(typmod)[1]
        return None
    if field == "datetime_precision":
        if typid == O.DATE:
            return 0
        if typid in _DATETIMES:
            return typmod if typmod >= 0 else 6
        if typid == O.INTERVAL:
            precision = typmod & 0xFFFF if typmod >= 0 else 0xFFFF
            return 6 if precision == 0xFFFF else precision
        return None
    if field == "interval_type":
        if typid != O.INTERVAL or typmod < 0:
            return None
        # the fields as format_type spells them: interval day to second(2) -> DAY TO SECOND(2)
        text = format_type(typid, typmod)[len("interval"):]
        if text.startswith("("):  # interval(3): a precision, no fields
            text = text[text.index(")") + 1:]
        return text.strip().upper() or None
    raise ValueError(f"unknown type fact {field}")


def _user_type(typid: int):
    """A domain or enum of the database (pgsvc.sql.types.usertypes), or None."""
    return usertypes.find(typid)


_ENGINE = None


def _current_database():
    return _ENGINE.session.database if _ENGINE is not None else None


# --- expressions ---------------------------------------------------------------------------

def expr_columns(expr) -> str | None:
    """The column names a CHECK expression (PostgreSQL source text) refers to, as JSON."""
    if expr is None:
        return None
    names: list[str] = []

    class Refs(Visitor):
        def visit_ColumnRef(self, ancestors, node):
            last = node.fields[-1]
            if isinstance(last, ast.String) and last.sval not in names:
                names.append(last.sval)

    Refs()(parse_sql(f"SELECT {expr}"))
    return json.dumps(names)


# --- visibility ----------------------------------------------------------------------------

class Visibility:
    """PostgreSQL's rule for information_schema rows: the current role has the privileges
    of the object's owner (pg_has_role(owner, 'USAGE'): through INHERIT membership; always
    for superusers), or holds some privilege on the object (pgsvc.sql.catalog.authz decides)."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def authz(self):
        a = authz(self.engine)
        a.fresh()
        return a

    def has_role(self, role) -> bool:
        a = self.authz()
        return a.has_privs_of(a.current_oid(), int(role))

    def owns(self, relid) -> bool:
        rel = self.engine.catalog.by_oid.get(int(relid))
        return rel is not None and self.has_role(rel.owner)

    def rel_visible(self, relid, letters: str) -> bool:
        """Owner, or any of `letters` (pgsvc.sql.catalog.acl codes) held on the relation."""
        rel = self.engine.catalog.by_oid.get(int(relid))
        if rel is None:
            return False
        if rel.schema.startswith("pg_temp_") and rel.schema != self.engine.temp_schema:
            return False  # another session's temporary relation (pg_is_other_temp_schema)
        a = self.authz()
        me = a.current_oid()
        if a.has_privs_of(me, rel.owner):
            return True
        return a.relation_allows(me, rel, letters, any_of=True)

    def schema_visible(self, name, owner) -> bool:
        a = self.authz()
        me = a.current_oid()
        return a.has_privs_of(me, int(owner)) or a.schema_allows(me, name, "U") or a.schema_allows(me, name, "C")


def relation_grants(engine, relid, column_level: bool = False) -> str | None:
    """The privileges granted on a table or view, one [grantor, grantee, privilege,
    grantable] per privilege of each ACL item (the owner's defaults when it has no ACL), as
    JSON for the *_privileges views. An item is grantable with its grant option, or when
    its grantee has the privileges of the owner (PostgreSQL's rule). column_level: only
    the privileges columns have (SELECT, INSERT, UPDATE, REFERENCES)."""
    rel = engine.catalog.by_oid.get(int(relid))
    if rel is None or rel.kind not in ("r", "v"):
        return None
    a = Visibility(engine).authz()
    out = []
    for item in A.effective(rel.acl, "table", rel.owner):
        for letter in item.privs:
            if column_level and letter not in "arwx":
                continue
            grantable = letter in item.goptions or (item.grantee != A.PUBLIC
                                                    and a.has_privs_of(item.grantee, rel.owner))
            out.append([item.grantor, item.grantee, A.WORDS[letter], int(grantable)])
    return json.dumps(out)


def _b(v: bool) -> int:
    return 1 if v else 0


def register(conn, engine) -> None:
    """The SQLite functions the views call (Engine.open_connection)."""
    global _ENGINE
    _ENGINE = engine
    vis = Visibility(engine)
    conn.create_function("pgsvce_is_catalog", 0, lambda: engine.session.database)
    conn.create_function("pgsvce_is_type", 3, type_fact, deterministic=True)
    conn.create_function("pgsvce_is_expr_columns", 1, expr_columns, deterministic=True)
    conn.create_function("pgsvce_is_rel_visible", 2, lambda oid, letters: _b(vis.rel_visible(oid, letters)))
    conn.create_function("pgsvce_is_owner", 1, lambda oid: _b(vis.owns(oid)))
    conn.create_function("pgsvce_is_schema_visible", 2, lambda name, owner: _b(vis.schema_visible(name, owner)))
    conn.create_function("pgsvce_is_enabled_role", 1, lambda oid: _b(vis.has_role(oid)))
    # types' owner: the bootstrap superuser for built-in types and (as pgsvc records no
    # other) for the database's domains and enums
    conn.create_function("pgsvce_is_type_usable", 1, lambda oid: _b(vis.has_role(BOOTSTRAP_SUPERUSER_OID)))
    conn.create_function("pgsvce_is_grants", 2, lambda oid, cols: relation_grants(engine, oid, bool(cols)))
    conn.create_function("pgsvce_is_default", 4, lambda relid, text, typid, typmod:
                         column_default(engine, relid, text, typid, typmod))
    conn.create_function("pgsvce_is_domain_default", 1, lambda typid: domain_default(engine, typid))
    conn.create_function("pgsvce_is_check_clause", 1, lambda oid: check_clause(engine, oid))
    conn.create_function("pgsvce_is_viewdef", 1, lambda oid: view_definition(engine, oid))


def column_default(engine, relid, text, typid, typmod):
    """columns.column_default: pg_get_expr(adbin, adrelid), the default as PostgreSQL
    stores (coerced to the column's type) and prints it (pgsvc.sql.pg_functions.describe)."""
    if text is None:
        return None
    return D.get_expr(engine, D.node_default(engine, text, relid, typid, typmod), relid, False)


def domain_default(engine, typid):
    """domains.domain_default: pg_type.typdefault."""
    ut = usertypes.find(int(typid))
    return cooked_default(ut, engine) if ut is not None else None


def check_clause(engine, oid):
    """check_constraints.check_clause: pg_get_constraintdef without its leading 'CHECK '
    (a table's CHECK constraint, else a domain's)."""
    text = D.constraintdef(engine, oid, False) or domain_constraintdef(engine, oid, False)
    return text[len("CHECK "):] if text is not None else None


def view_definition(engine, oid):
    """views.view_definition: pg_get_viewdef(oid)."""
    return D.viewdef(engine, oid, False)
