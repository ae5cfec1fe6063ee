"""PostgreSQL's anyenum functions: min/max(anyenum), enum_first, enum_last,
enum_range(anyenum) and enum_range(anyenum, anyenum), resolved for the argument's enum
type (pgsvc.sql.translate.resolve asks here before its catalogue).

The arguments of enum_first/enum_last/enum_range(x) only name the enum type, so the
labels are read from the loaded catalog at translation; ALTER TYPE ... ADD/RENAME VALUE
bumps the catalog version, which drops cached translations. Values are the stored forms
of pgsvc.sql.types.usertypes: an enum is its label's sort order, an enum array the JSON
array of sort orders (so SQLite's min/max and comparisons follow the enum's order).
"""

from __future__ import annotations

import json

from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _check_safe_labels(name: str, ut: U.UserType) -> None:
    """Labels added by the open transaction block cannot be returned yet (PostgreSQL's
    check_safe_enum_use); checked when the call is translated, so no cached translation
    keeps the error after COMMIT."""
    labels = [e.label for e in ut.labels]
    if name == "enum_first":
        labels = labels[:1]
    elif name == "enum_last":
        labels = labels[-1:]
    for label in labels:
        U.check_safe(ut.oid, label)


def enum_sig(name: str, args: list[int]) -> FuncSig | None:
    """The signature of an anyenum function for these argument types, else None."""
    typed = {a for a in args if a != O.UNKNOWN}
    if len(typed) != 1 or not U.is_enum(next(iter(typed))):
        return None
    enum = typed.pop()
    ut = U.find(enum)
    orders = [e.sortorder for e in ut.labels]
    if name != "min" and name != "max":
        _check_safe_labels(name, ut)
    if name in ("min", "max") and len(args) == 1:
        return FuncSig(name, (enum,), enum, f"{name}({{0}})", "aggregate")
    if name in ("enum_first", "enum_last") and len(args) == 1:
        if not orders:  # PostgreSQL's error, raised when the call runs
            emit = f"pgsvce_raise('55000', {_literal(f'enum {U.display_name(enum)} contains no values')})"
        else:
            emit = repr(orders[0] if name == "enum_first" else orders[-1])
        return FuncSig(name, (enum,), enum, emit, "scalar", 0, False, "s")
    if name == "enum_range" and len(args) == 1:
        return FuncSig(name, (enum,), ut.array_oid, _literal(json.dumps(orders)), "scalar", 0, False, "s")
    if name == "enum_range" and len(args) == 2:
        # NULL bounds are open ends; lower > upper gives an empty array
        emit = (f"(SELECT coalesce(json_group_array(je.value), '[]') FROM json_each({_literal(json.dumps(orders))})"
                " AS je WHERE ({0} IS NULL OR je.value >= {0}) AND ({1} IS NULL OR je.value <= {1}))")
        return FuncSig(name, (enum, enum), ut.array_oid, emit, "scalar", 0, False, "s")
    return None
