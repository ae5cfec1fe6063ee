"""VARIADIC array arguments to the built-in functions whose variadic parameter is "any"
(concat, concat_ws, format, json[b]_build_object, json[b]_build_array, num_nulls,
num_nonnulls): PostgreSQL passes the array's elements as the arguments, each of the
element type (a NULL array gives NULL). Typed variadics (json_extract_path's text[]) take
the array as it is (translate.funcs.finish_call)."""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import Ex, location
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import find_oid

# name -> (number of fixed arguments before the VARIADIC one, result type)
VARIADIC_ANY = {
    "concat": (0, O.TEXT), "concat_ws": (1, O.TEXT), "format": (1, O.TEXT),
    "json_build_object": (0, O.JSON), "jsonb_build_object": (0, O.JSONB),
    "json_build_array": (0, O.JSON), "jsonb_build_array": (0, O.JSONB),
    "num_nulls": (0, O.INT4), "num_nonnulls": (0, O.INT4),
}


class VariadicMixin:
    def variadic_any_call(self, node: ast.FuncCall, name: str, pos) -> Ex:
        """f(..., VARIADIC array) of a function in VARIADIC_ANY."""
        args = list(node.args or ())
        nfixed, ret = VARIADIC_ANY[name]
        given = [self.expr(a) for a in args[:-1]]
        arr = self.finalize_unknown(self.expr(args[-1]))
        t = find_oid(arr.oid)
        if t is None or t.category != "A" or not t.elem_oid:
            raise SqlError("42804", "VARIADIC argument must be an array", position=_leftmost(args[-1]))
        if len(given) != nfixed:  # format(VARIADIC arr), concat('a', VARIADIC arr)
            types = ", ".join(R.argument_type_name(a.oid) for a in [*given, arr])
            raise SqlError("42883", f"function {name}({types}) does not exist", position=pos,
                           hint="No function matches the given name and argument types. "
                                "You might need to add explicit type casts.")
        if t.elem_oid == O.RECORD and ret != O.TEXT and not name.startswith("num_"):
            raise SqlError("0A000", f"{name}(VARIADIC record[]) is not supported (an array of anonymous "
                           "records as the arguments)", position=pos)
        fixed = [self.coerce(a, O.TEXT) for a in given]
        has_agg = arr.has_agg or any(f.has_agg for f in fixed)
        if name in ("num_nulls", "num_nonnulls"):
            return Ex(f"pgsvc_num_nulls_variadic({arr.sql}, {arr.oid}, {int(name == 'num_nonnulls')})", ret,
                      name=name, has_agg=has_agg)
        if ret != O.TEXT:
            return Ex(f"pgsvc_json_variadic('{name}', {arr.sql}, {arr.oid})", ret, name=name, has_agg=has_agg)
        first = fixed[0].sql if fixed else "NULL"
        return Ex(f"pgsvc_{name}_variadic({first}, {arr.sql}, {t.elem_oid})", O.TEXT, name=name, has_agg=has_agg)


def _leftmost(node) -> int | None:
    """exprLocation: a cast's position is its operand's (x::text points at x)."""
    while isinstance(node, ast.TypeCast) and location(node.arg) is not None:
        node = node.arg
    return location(node)
