"""DDL of user-defined range types: CREATE TYPE name AS RANGE (subtype = ..., ...).

As in PostgreSQL a range type brings its multirange type (multirange_type_name, else the
name with "range" made "multirange", else name_multirange) and the array types of both;
OIDs are assigned in DefineRange's order: the range's array, the multirange, the
multirange's array, the range. In pgsvc$type the range row's basetype is its subtype and
the multirange row's basetype its range type, the range row's typmod its collation (pgsvc.sql.types.usertypes installs them into
pgsvc.sql.types.ranges). Their constructors, functions and operators are the built-in
ranges' (pgsvc.sql.functions.range_funcs.user_range_catalog).

Subtypes: the integer, float, numeric, string, date and timestamp types. A canonical
function is refused with 0A000 (a range over an integer type is made canonical as
int4range is); subtype_opclass is accepted and not used; subtype_diff is checked as
PostgreSQL checks it and recorded for pg_range.rngsubdiff (its pg_proc OID, as text, in the
range row's default_expr, which only domains use otherwise), not used (pgsvc plans no GiST).
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import routines as CR
from pgsvc.sql.catalog.system.procs import proc_row, procs_named
from pgsvc.sql.translate.typenames import typename_with_domain
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.pg_type import find_oid, format_type
from pgsvc.sql.types.ranges import STRING_SUBTYPES, USER_SUBTYPES, is_range

_COLLATIONS = {"default": 100, "C": 950, "POSIX": 951}
_OPTIONS = ("subtype", "subtype_opclass", "collation", "canonical", "subtype_diff", "multirange_type_name")


def multirange_name(name: str) -> str:
    """makeMultirangeTypeName: the first "range" becomes "multirange", else "_multirange"."""
    at = name.find("range")
    return name[:at] + "multi" + name[at:] if at >= 0 else name + "_multirange"


def _names_of(arg) -> list[str]:
    """A definition's name argument: a TypeName (collation="C"), a list of names or a string."""
    if isinstance(arg, ast.TypeName):
        return [n.sval for n in arg.names]
    if isinstance(arg, (list, tuple)):
        return [n.sval for n in arg]
    return [getattr(arg, "sval", str(arg))]


def _name_of(arg) -> str:
    return _names_of(arg)[-1]


class RangeTypeDdl:
    """CREATE TYPE ... AS RANGE: methods of pgsvc.sql.commands.ddl.Ddl."""

    def create_range(self, node: ast.CreateRangeStmt) -> None:
        schema, name = self.type_schema([n.sval for n in node.typeName])
        self.check_name_free(schema, name)
        opts = {}
        for d in node.params or ():
            key = d.defname.lower()
            if key not in _OPTIONS:
                raise SqlError("42601", f'type attribute "{d.defname}" not recognized')
            if key in opts:
                raise SqlError("42601", "conflicting or redundant options")
            opts[key] = d.arg
        if "subtype" not in opts:
            raise SqlError("42601", 'type attribute "subtype" is required')
        if "canonical" in opts:
            raise SqlError("0A000", "canonical functions of range types are not supported")
        base, _typmod, dom = typename_with_domain(opts["subtype"], None)
        sub = dom or base
        t = find_oid(sub)
        if t is not None and t.category == "P":
            raise SqlError("42804", f"range subtype cannot be {format_type(sub)}")
        if base not in USER_SUBTYPES:
            raise SqlError("0A000", f"range types over {format_type(sub)} are not supported")
        coll = opts.get("collation")
        collation = 100 if base in STRING_SUBTYPES else 0  # pg_range.rngcollation, kept in typmod
        if coll is not None:
            cname = _name_of(coll)
            if cname not in _COLLATIONS:
                raise SqlError("0A000", f'collation "{cname}" is not supported')
            if base not in STRING_SUBTYPES:
                raise SqlError("42809", "range collation specified but subtype does not support collation")
            collation = _COLLATIONS[cname]
        mname_node = opts.get("multirange_type_name")
        if mname_node is not None:
            mschema, mname = self.type_schema(_names_of(mname_node))
        else:
            mschema, mname = schema, multirange_name(name)
        self.check_name_free(mschema, mname)
        range_array, multi, multi_array = C.new_oid(self.conn), C.new_oid(self.conn), C.new_oid(self.conn)
        rng = C.new_oid(self.conn)
        diff = self.subtype_diff(opts["subtype_diff"], sub) if "subtype_diff" in opts else None
        C.insert_type(self.conn, rng, self.cat.schemas[schema], name, "r", range_array, sub, collation,
                      default=None if diff is None else str(diff))
        C.insert_type(self.conn, multi, self.cat.schemas[mschema], mname, "m", multi_array, rng)
        self.record_owner(rng)
        self.record_owner(multi)
        self.refresh()

    def subtype_diff(self, arg, sub: int) -> int:
        """findRangeSubtypeDiffFunction: the function (sub, sub) named, immutable, returning
        double precision; its pg_proc OID."""
        names = _names_of(arg)
        shown = f"{'.'.join(names)}({format_type(sub)}, {format_type(sub)})"
        schema = names[0] if len(names) > 1 else None
        user = [r for r in CR.visible(self.cat, names[-1], schema, self.engine.search_path())
                if tuple(r.argtypes) == (sub, sub) and r.kind == "f"]
        if user:
            if user[0].volatile != "i":
                raise SqlError("42P17", f"range subtype diff function {shown} must be immutable")
            oid, rettype = user[0].oid, user[0].rettype
        else:
            rows = [proc_row(o) for o in procs_named(names[-1])] if schema in (None, "pg_catalog") else []
            row = next((r for r in rows if r is not None and list(r[3]) == [sub, sub]), None)
            if row is None:
                raise SqlError("42883", f"function {shown} does not exist")
            oid, rettype = row[0], row[4]
        if rettype != O.FLOAT8:
            raise SqlError("42P17", f"range subtype diff function {shown} must return type double precision")
        return oid

    def multirange_dependents(self, ut: U.UserType) -> list:
        """What depends on a range type's multirange depends on the range type too; a range
        type over a type (a domain) depends on it."""
        out = [(f"type {other.name}", ut.name, other) for other in U.all_user_types()
               if other.typtype == "r" and other.basetype == ut.oid]
        if ut.typtype == "r":
            out += [dep for other in U.all_user_types() if other.typtype == "m" and other.basetype == ut.oid
                    for dep in self.type_dependents(other)]
        return out

    def delete_range_rows(self, ut: U.UserType) -> None:
        """DROP TYPE of a range type drops its multirange type too; the multirange alone
        cannot be dropped."""
        if ut.typtype == "m":
            rng = U.find(ut.basetype)
            if rng is not None:
                raise SqlError("2BP01", f"cannot drop type {ut.name} because type {rng.name} requires it",
                               hint=f"You can drop type {rng.name} instead.")
        if ut.typtype == "r" and is_range(ut.oid):
            for other in U.all_user_types():
                if other.typtype == "m" and other.basetype == ut.oid:
                    C.delete_type(self.conn, other.oid)
