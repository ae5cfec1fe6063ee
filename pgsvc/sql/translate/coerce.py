"""Coercion: an Ex to the type its context wants (implicit, assignment or explicit casts
over pgsvc.sql.functions' pg_cast), untyped literals and parameters taking that type, and
PostgreSQL's errors when no cast applies. Mixed into the Translator."""

from __future__ import annotations

from dataclasses import replace

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.regtypes import reg_in
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import Ex, location, sql_literal
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.composite import is_composite
from pgsvc.sql.types.interval import interval_text_for_range
from pgsvc.sql.types.pg_type import INTERVAL_FULL_RANGE, format_type, interval_typmod_parts
from pgsvc.sql.types.textio import decode_text



class CoerceMixin:
    def coerce(self, ex: Ex, target: int, typmod: int = -1, context: str = "i",
               position: int | None = None, what: str | None = None) -> Ex:
        """Coerce ex to target type: context 'i' implicit, 'a' assignment, 'e' explicit."""
        if target == O.UNKNOWN:
            return ex
        if ex.oid == O.UNKNOWN and target == O.INTERVAL and typmod >= 0:
            ranged = self.interval_literal_with_range(ex, typmod)
            if ranged is not None:
                return ranged
            if ex.lit is not None:  # stringTypeDatum with the typmod: INTERVAL '5' HOUR is 5 hours
                ex = replace(ex, lit=interval_text_for_range(ex.lit, interval_typmod_parts(typmod)[0]))
        if target == O.RECORD and ex.oid == O.UNKNOWN and not ex.is_null and ex.lit is not None:
            raise SqlError("0A000", "input of anonymous composite types is not implemented", position=position)
        if ex.oid == O.RECORD and target != O.RECORD:  # ROW(...) to a composite (translate.composites)
            rowed = self.coerce_to_composite(ex, target, context, position)
            if rowed is not None:
                return rowed
        if ex.oid == O.UNKNOWN:
            out = self.resolve_unknown(ex, target)
        elif ex.oid == target:
            out = ex
        else:
            if not R.can_coerce(ex.oid, target, context):
                raise self.mismatch(ex, target, context, position, what)
            src = ex.sql
            if ex.row_types and target in (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME) and not is_composite(ex.oid):
                # an anonymous record (or a %ROWTYPE variable): record_out by its fields' types
                src = f"pgsvc_record_out({ex.sql}, '{','.join(str(t) for t in ex.row_types)}')"
            out = replace(ex, sql=R.cast_template(ex.oid, target).format(src), oid=target,
                          typmod=-1, table_oid=0, attnum=0)
        if typmod >= 0 and (out.typmod != typmod or context == "e"):
            out = replace(out, sql=f"pgsvce_typmod({out.sql}, {target}, {typmod}, {int(context == 'e')})",
                          typmod=typmod)
        return out

    def interval_literal_with_range(self, ex: Ex, typmod: int) -> Ex | None:
        """A literal the statement cache lifted into a parameter, read as an interval with
        fields (a bare '5' counts in the range's last field): decoded from its text with the
        typmod when it runs. A client's own parameter is read without it, as in PostgreSQL."""
        if not ex.param or not self.is_literal_param(ex.param):
            return None
        if interval_typmod_parts(typmod)[0] == INTERVAL_FULL_RANGE:
            return None
        self.set_param_type(ex.param, O.TEXT)
        return replace(ex, sql=f"pgsvc_from_text({ex.sql}, {O.INTERVAL}, {typmod})", oid=O.INTERVAL,
                       typmod=typmod, param=0, lit=None)

    def mismatch(self, ex: Ex, target: int, context: str, position, what) -> SqlError:
        if context == "e":
            return SqlError("42846", f"cannot cast type {format_type(ex.oid, -1)} to {format_type(target, -1)}",
                            position=position)
        if what:
            return SqlError("42804", f'{what} is of type {format_type(target, -1)} but expression is of type '
                            f'{format_type(ex.oid, -1)}', position=position,
                            hint="You will need to rewrite or cast the expression.")
        return SqlError("42804", f"argument of type {format_type(ex.oid, -1)} cannot be coerced to "
                        f"{format_type(target, -1)}", position=position)

    def resolve_unknown(self, ex: Ex, target: int) -> Ex:
        """An untyped literal or parameter takes the type its context wants."""
        if ex.is_null:
            return replace(ex, oid=target)
        if target in O.REG_OIDS or target in O.REG_ARRAYS:
            return self.resolve_unknown_reg(ex, target)
        if ex.param:
            self.set_param_type(ex.param, target)
            return replace(ex, oid=target)
        if ex.lit is not None:
            return replace(ex, sql=sql_literal(self.convert_literal(ex.lit, target)), oid=target, lit=None)
        return replace(ex, oid=target)

    def resolve_unknown_reg(self, ex: Ex, target: int) -> Ex:
        """'name'::regclass (regtype, regproc, ...) finds the object now, as PostgreSQL folds
        the constant at planning; a parameter is read as text and looked up when it runs."""
        if ex.param and self.is_literal_param(ex.param):
            # a lifted literal: the runner looks the name up when it binds the value (and
            # points an error at the literal); the translation stays cacheable
            self.set_param_type(ex.param, target)
            return replace(ex, oid=target)
        if ex.lit is not None:
            value = reg_in(self.engine, target, ex.lit)
            to_s = sqlite_adapter(target)[0] if isinstance(value, list) else None
            return replace(ex, sql=sql_literal(to_s(value) if to_s else value), oid=target, lit=None, param=0)
        if ex.param:
            self.set_param_type(ex.param, O.TEXT)
        return replace(ex, sql=f"pgsvce_regin({ex.sql}, {target})", oid=target, lit=None, param=0)

    def convert_literal(self, text: str, target: int):
        if target in (O.TEXT, O.VARCHAR, O.NAME, O.UNKNOWN):
            return text
        value = decode_text(target, text, self.format_context())
        to_s = sqlite_adapter(target)[0]
        return to_s(value) if to_s else value

    def finalize_unknown(self, ex: Ex) -> Ex:
        """Output of an unresolved unknown: text (PostgreSQL resolves unknown to text)."""
        if ex.oid == O.UNKNOWN:
            return self.resolve_unknown(ex, O.TEXT)
        return ex

    def bool_expr(self, node, what: str) -> Ex:
        ex = self.expr(node)
        if ex.oid == O.BOOL:
            return ex
        if ex.oid == O.UNKNOWN:
            if ex.lit is not None:
                return self.coerce(ex, O.BOOL)
            return self.coerce(ex, O.BOOL)
        raise SqlError("42804", f"argument of {what} must be type boolean, not type {format_type(ex.oid, -1)}",
                       position=location(node))
