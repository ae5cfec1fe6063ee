"""Access privilege inquiry functions (has_table_privilege and its kin, pg_has_role) and
the catalog helpers that print ACLs (relacl / nspacl / datacl in aclitem text form),
current_user / session_user: SQLite UDFs over pgsvc.sql.catalog.authz.

Every PostgreSQL 15 argument form is declared: a role by name or OID (or omitted: the
current role), an object by name (text) or OID, a comma-separated privilege list where
each item may end in WITH GRANT OPTION. Unknown names raise PostgreSQL's errors; unknown
OIDs give NULL, as in PostgreSQL.
"""

from __future__ import annotations

from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID, PUBLIC_SCHEMA_OID
from pgsvc.errors import SqlError
from pgsvc.sql.catalog import acl as A
from pgsvc.sql.catalog import identity
from pgsvc.sql.catalog.authz import authz, public_schema_acl
from pgsvc.sql.catalog.regtypes import reg_in
from pgsvc.sql.catalog.system.pg_catalog_defs import PREDEFINED_ROLES
from pgsvc.sql.catalog.system.role_names import acl_text
from pgsvc.sql.functions import FUNCTIONS
from pgsvc.sql.functions.context import raise_sql
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O

_TABLE = {"select": "r", "insert": "a", "update": "w", "delete": "d", "truncate": "D",
          "references": "x", "trigger": "t"}
_COLUMN = {"select": "r", "insert": "a", "update": "w", "references": "x"}
_SEQUENCE = {"usage": "U", "select": "r", "update": "w"}
_SCHEMA = {"create": "C", "usage": "U"}
_DATABASE = {"create": "C", "connect": "c", "temporary": "T", "temp": "T"}
_FUNCTION = {"execute": "X"}


class Inquiry:
    """The functions of one engine (registered as UDFs; errors go through raise_sql)."""

    def __init__(self, engine) -> None:
        self.engine = engine

    # -- arguments
    def role(self, who):
        """A role OID from a name/OID argument (None: the current role); NULL for a missing OID."""
        az = authz(self.engine)
        az.fresh()
        if who is None:
            return az.current_oid()
        if isinstance(who, int):
            return who if az.shared().cat.find_role_oid(who) is not None or who in PREDEFINED_ROLES else None
        if str(who) == "public":
            return A.PUBLIC
        found = az.shared().cat.find_role(str(who))
        if found is None:
            oid = next((o for o, n in PREDEFINED_ROLES.items() if n == who), None)
            if oid is None:
                raise SqlError("42704", f'role "{who}" does not exist')
            return oid
        return found.oid

    def relation(self, obj):
        cat = self.engine.catalog
        if isinstance(obj, int):
            return cat.by_oid.get(obj)
        parts = [p.strip('"') if p.startswith('"') else p.lower() for p in str(obj).split(".")]
        rel = cat.lookup(parts[0] if len(parts) == 2 else None, parts[-1], self.engine.search_path())
        if rel is None:
            raise SqlError("42P01", f'relation "{obj}" does not exist')
        return rel

    # -- decisions
    def allows(self, role: int, kind: str, owner: int, acl, privs: str, table: dict) -> bool:
        az = authz(self.engine)
        for letter, option in A.parse_privilege_list(privs, table):
            if role == A.PUBLIC:
                have = A.held(A.effective(acl, kind, owner), set())
                if letter in have and not option:
                    return True
                continue
            have = az.letters_held(role, kind, owner, acl, options=option)
            if letter in have:
                return True
        return False

    def table(self, who, obj, privs):
        role = self.role(who)
        rel = self.relation(obj)
        if role is None or rel is None:
            return None
        return self.allows(role, "sequence" if rel.kind == "S" else "table", rel.owner, rel.acl, privs, _TABLE)

    def sequence(self, who, obj, privs):
        role = self.role(who)
        rel = self.relation(obj)
        if role is None or rel is None:
            return None
        if rel.kind != "S":
            raise SqlError("42809", f'"{rel.name}" is not a sequence')
        return self.allows(role, "sequence", rel.owner, rel.acl, privs, _SEQUENCE)

    def column(self, who, obj, col, privs):
        role = self.role(who)
        rel = self.relation(obj)
        if role is None or rel is None:
            return None
        attr = next((a for a in rel.attrs if a.attnum == col), None) if isinstance(col, int) else rel.attr(str(col))
        if attr is None:
            if isinstance(col, int):
                return None
            raise SqlError("42703", f'column "{col}" of relation "{rel.name}" does not exist')
        # no column ACLs: a column privilege is its table's (PostgreSQL also says yes then)
        return self.allows(role, "sequence" if rel.kind == "S" else "table", rel.owner, rel.acl, privs, _COLUMN)

    def any_column(self, who, obj, privs):
        role = self.role(who)
        rel = self.relation(obj)
        if role is None or rel is None:
            return None
        return self.allows(role, "sequence" if rel.kind == "S" else "table", rel.owner, rel.acl, privs, _COLUMN)

    def schema(self, who, obj, privs):
        role = self.role(who)
        cat = self.engine.catalog
        if isinstance(obj, int):
            name = next((n for n, o in cat.schemas.items() if o == obj), None)
            if name is None:
                return None
        else:
            name = str(obj)
            if name not in cat.schemas and name not in ("pg_catalog", "information_schema"):
                raise SqlError("3F000", f'schema "{name}" does not exist')
        if role is None:
            return None
        if name in ("pg_catalog", "information_schema"):  # {postgres=UC/postgres,=U/postgres}
            boot = BOOTSTRAP_SUPERUSER_OID
            return self.allows(role, "schema", boot, [A.AclItem(boot, boot, "UC"), A.AclItem(A.PUBLIC, boot, "U")],
                               privs, _SCHEMA)
        owner, acl = authz(self.engine).schema_owner_acl(name)
        return self.allows(role, "schema", owner, acl, privs, _SCHEMA)

    def database(self, who, obj, privs):
        role = self.role(who)
        sc = authz(self.engine).shared()
        cat = sc.cat
        db = cat.find_database_oid(obj) if isinstance(obj, int) else cat.find_database(str(obj))
        if db is None:
            if isinstance(obj, int):
                return None
            raise SqlError("3D000", f'database "{obj}" does not exist')
        if role is None:
            return None
        return self.allows(role, "database", db.owner, sc.database_acl(db.oid), privs, _DATABASE)

    def function(self, who, obj, privs):
        role = self.role(who)
        A.parse_privilege_list(privs, _FUNCTION)
        routines = self.engine.catalog.routines
        if not isinstance(obj, int):
            oid = None
            if routines:  # a user routine by its signature, as regprocedure reads it
                try:
                    oid = reg_in(self.engine, O.REGPROCEDURE, str(obj))
                except SqlError:
                    oid = None
            if oid is None:
                name = str(obj).split("(")[0].strip().lower()
                if name not in FUNCTIONS:
                    raise SqlError("42883", f'function "{obj}" does not exist')
            obj = oid
        r = routines.get(obj) if obj is not None else None
        if r is not None and role is not None:  # EXECUTE from the routine's ACL
            return self.allows(role, "function", r.owner, r.acl, privs, _FUNCTION)
        # built-in functions are executable by PUBLIC
        return None if role is None else True

    def has_role(self, who, target, privs):
        role = self.role(who)
        group = self.role(target)
        if role is None or group is None:
            return None
        az = authz(self.engine)
        for item in str(privs).split(","):
            words = item.strip().lower().split()
            admin = words[-3:] in (["with", "admin", "option"], ["with", "grant", "option"])
            base = " ".join(words[:-3] if admin else words)
            if base not in ("member", "usage"):
                raise SqlError("22023", f'unrecognized privilege type: "{item.strip()}"')
            if az.is_superuser(role) or role == group:
                return True
            if admin:
                if az.shared().cat.has_admin_option(role, group):
                    return True
            elif base == "member" and az.is_member_of(role, group):
                return True
            elif base == "usage" and az.has_privs_of(role, group):
                return True
        return False


def schema_acl_text(engine, oid, stored, has_row):
    """nspacl: public without a row of its own has PostgreSQL 15's initial ACL."""
    if not has_row and oid == PUBLIC_SCHEMA_OID:
        return acl_text(engine, public_schema_acl())
    return acl_text(engine, stored)


# acldefault(objtype, owner): (PUBLIC's privileges, the owner's) per object type letter
_ACLDEFAULT = {"c": ("", ""), "r": ("", "arwdDxt"), "s": ("", "rwU"), "d": ("Tc", "CTc"), "f": ("X", "X"),
               "l": ("U", "U"), "L": ("", "rw"), "n": ("", "UC"), "p": ("", "sA"), "t": ("", "C"),
               "F": ("", "U"), "S": ("", "U"), "T": ("U", "U")}


def acldefault(engine, objtype, owner):
    """PostgreSQL's acldefault(): the ACL an object of this kind has while its own is NULL
    (aclitem texts, as every ACL column here)."""
    if objtype is None or owner is None:
        return None
    try:
        public, own = _ACLDEFAULT[str(objtype)[:1]]
    except KeyError:
        raise_sql(engine.fctx, SqlError("XX000", f"unrecognized object type abbreviation: {str(objtype)[:1]}"))
    items = ([A.AclItem(A.PUBLIC, int(owner), public)] if public else []) + (
        [A.AclItem(int(owner), int(owner), own)] if own else [])
    return acl_text(engine, items)


# --- registration ----------------------------------------------------------------------------

_FORMS = {  # function -> (Inquiry method, object argument types)
    "has_table_privilege": ("table", (O.TEXT, O.OID)),
    "has_sequence_privilege": ("sequence", (O.TEXT, O.OID)),
    "has_any_column_privilege": ("any_column", (O.TEXT, O.OID)),
    "has_schema_privilege": ("schema", (O.TEXT, O.OID)),
    "has_database_privilege": ("database", (O.TEXT, O.OID)),
    "has_function_privilege": ("function", (O.TEXT, O.OID)),
    "pg_has_role": ("has_role", (O.NAME, O.OID)),
}


def _udf(engine, fn):
    def call(*args):
        try:
            out = fn(*args)
        except SqlError as err:
            raise_sql(engine.fctx, err)
        return None if out is None else int(out)
    return call


def register(conn, engine) -> None:
    inq = Inquiry(engine)
    for name, (method, _objs) in _FORMS.items():
        fn = getattr(inq, method)
        conn.create_function(f"pgsvce_{name}_2", 2, _udf(engine, lambda o, p, fn=fn: fn(None, o, p)))
        conn.create_function(f"pgsvce_{name}_3", 3, _udf(engine, fn))
    conn.create_function("pgsvce_has_column_privilege_3", 3,
                         _udf(engine, lambda o, c, p: inq.column(None, o, c, p)))
    conn.create_function("pgsvce_has_column_privilege_4", 4, _udf(engine, inq.column))
    conn.create_function("pgsvce_current_user", 0, lambda: _name(engine, "current"))
    conn.create_function("pgsvce_session_user", 0, lambda: _name(engine, "session"))
    conn.create_function("pgsvce_acl_text", 1, lambda stored: acl_text(engine, stored))
    conn.create_function("pgsvce_acldefault", 2, lambda kind, owner: acldefault(engine, kind, owner))
    conn.create_function("pgsvce_nspacl_text", 3,
                         lambda oid, stored, has_row: schema_acl_text(engine, oid, stored, has_row))


def _name(engine, which: str) -> str:
    try:
        return identity.current_user(engine) if which == "current" else identity.session_user(engine)
    except SqlError:
        return engine.session.user


def _declare() -> None:
    """Signatures for the translator (ENGINE_FUNCTIONS: resolved before the catalogue),
    once, at import."""

    def add(name, args, emit):
        sigs = ENGINE_FUNCTIONS.setdefault(name, [])
        if not any(s.arg_oids == tuple(args) for s in sigs):
            sigs.append(FuncSig(name, tuple(args), O.BOOL, emit, "scalar", 0, True, "s"))

    for name, (_method, objs) in _FORMS.items():
        for obj in objs:
            add(name, (obj, O.TEXT), f"pgsvce_{name}_2({{0}}, {{1}})")
            for who in (O.NAME, O.OID):
                add(name, (who, obj, O.TEXT), f"pgsvce_{name}_3({{0}}, {{1}}, {{2}})")
    ENGINE_FUNCTIONS.setdefault("acldefault", []).append(
        FuncSig("acldefault", (O.CHAR, O.OID), O.ARRAY_TEXT, "pgsvce_acldefault({0}, {1})", "scalar", 0, True, "s"))
    for obj in (O.TEXT, O.OID):
        for col in (O.TEXT, O.INT2):
            add("has_column_privilege", (obj, col, O.TEXT), "pgsvce_has_column_privilege_3({0}, {1}, {2})")
            for who in (O.NAME, O.OID):
                add("has_column_privilege", (who, obj, col, O.TEXT),
                    "pgsvce_has_column_privilege_4({0}, {1}, {2}, {3})")


_declare()
