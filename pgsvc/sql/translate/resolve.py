"""PostgreSQL-style resolution of operators, functions and casts over the catalogues
of pgsvc.sql.functions (CASTS, OPERATORS, FUNCTIONS).

Follows PostgreSQL's func_select_candidate / oper_select_candidate in simplified form:
exact match; then one known side and one unknown side resolved as the known type; then
candidates reachable by implicit casts, ranked by exact matches, then preferred types,
then the category of unknown literals (string category preferred).
"""

from __future__ import annotations

from dataclasses import dataclass

from pgsvc.errors import SqlError
from pgsvc.sql import functions as F
from pgsvc.sql.catalog.system import pg15
from pgsvc.sql.functions.range_funcs import user_range_cast, user_range_catalog
from pgsvc.sql.translate.enumfuncs import enum_sig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import find_oid, format_type
from pgsvc.sql.types.usertypes import base_of, is_enum

STRINGS = (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME)


@dataclass(frozen=True, slots=True)
class Cast:
    emit: str
    context: str


def operator_candidates(name: str) -> list[F.OperSig]:
    user = user_range_catalog()[1]  # the database's own range types (CREATE TYPE ... AS RANGE)
    return F.OPERATORS.get(name, []) + user.get(name, []) if user else F.OPERATORS.get(name, [])


def lookup_cast(source: int, target: int) -> F.CastSig | None:
    return F.find_cast(source, target) or user_range_cast(source, target)


def category(oid: int) -> str:
    t = find_oid(oid)
    return t.category if t is not None else "X"


def is_preferred(oid: int) -> bool:
    t = find_oid(oid)
    return bool(t and t.preferred)


def can_coerce_implicit(source: int, target: int) -> bool:
    if source == target or source == O.UNKNOWN:
        return True
    if target in O.ANY_OIDS:
        is_array = category(source) == "A"
        if target in (O.ANYARRAY, O.ANYCOMPATIBLEARRAY):
            return is_array
        if target in (O.ANYNONARRAY, O.ANYCOMPATIBLENONARRAY):
            return not is_array
        return True
    cast = lookup_cast(source, target)
    return cast is not None and cast.context == "i"


def can_coerce(source: int, target: int, context: str) -> bool:
    """context: 'i' implicit, 'a' assignment, 'e' explicit."""
    if source == target or source == O.UNKNOWN:
        return True
    if target in (O.TEXT, O.VARCHAR, O.BPCHAR) and context in ("a", "e"):
        return True  # I/O conversion casts to string types are assignment casts
    if source in STRINGS and context == "e":
        return True  # explicit I/O conversion from text
    cast = lookup_cast(source, target)
    if cast is None:
        return context == "e" and _io_castable(source, target) or context == "a" and (source, target) in _MONEY_ASSIGN
    return {"i": cast.context == "i", "a": cast.context in ("i", "a"), "e": True}[context]


# PostgreSQL's assignment casts to and from money (pgsvce_cast converts them)
_MONEY_ASSIGN = frozenset({(O.NUMERIC, O.MONEY), (O.INT4, O.MONEY), (O.INT8, O.MONEY), (O.MONEY, O.NUMERIC)})


def _io_castable(source: int, target: int) -> bool:
    """An explicit cast pgsvc has no entry for goes through the types' text only where
    PostgreSQL has a cast (money to numeric, int2 to regclass, ...); elsewhere PostgreSQL's
    42846, not a value read from another type's text (20240101::date, 5::interval,
    '101'::varbit::int, '5'::json::int, 1.5::float8::money were answered)."""
    if find_oid(source) is None or find_oid(target) is None:
        return False
    s, t = find_oid(source), find_oid(target)
    if s.category == "A" or t.category == "A" or s.oid >= _FIRST_USER_OID or t.oid >= _FIRST_USER_OID:
        return True  # arrays, user types: as before
    return (source, target) in _pg15_casts()


_FIRST_USER_OID = 16384
_PG15_CASTS: frozenset | None = None


def _pg15_casts() -> frozenset:
    global _PG15_CASTS
    if _PG15_CASTS is None:  # PostgreSQL 15's pg_cast (loaded when first needed: see catalog.system.pg15)
        _PG15_CASTS = frozenset((r[1], r[2]) for r in pg15.data().CASTS)
    return _PG15_CASTS


def cast_template(source: int, target: int) -> str:
    """The SQL template converting a stored value of `source` to `target`."""
    if source == target:
        return "{0}"
    cast = lookup_cast(source, target)
    if cast is not None:
        return cast.emit
    return f"pgsvce_cast({{0}}, {source}, {target})"


# --- operator resolution ---------------------------------------------------------

def resolve_operator(name: str, left: int, right: int, position: int | None = None) -> F.OperSig:
    """left is 0 for a prefix operator; O.UNKNOWN for an untyped literal or parameter."""
    enum_op = _enum_operator(name, left, right)
    if enum_op is not None:
        return enum_op
    cands = [c for c in operator_candidates(name) if (c.left_oid == 0) == (left == 0)]
    if left not in (0, O.UNKNOWN) and right != O.UNKNOWN and base_of(left) != base_of(right):
        # (anyarray, anyarray) takes two arrays of one type (int[] = bigint[]: no operator);
        # || is PostgreSQL's anycompatiblearray, which finds the common type
        cands = [c for c in cands if name == "||" or (c.left_oid, c.right_oid) != (O.ANYARRAY, O.ANYARRAY)]
    if not left and right == O.UNKNOWN:
        return _prefix_on_unknown(name, cands, position)
    found = _select(cands, [left, right] if left else [right],
                    lambda c: [c.left_oid, c.right_oid] if left else [c.right_oid])
    if found is None:
        raise _no_operator(name, left, right, position)
    return found


def _prefix_on_unknown(name: str, cands: list, position: int | None) -> F.OperSig:
    """A prefix operator over an untyped literal (- '5'): parse_oper.c's rule for unknown
    inputs: the string category if a candidate takes it, else the one category all
    candidates share (then its preferred type), else the choice is ambiguous."""
    if not cands:
        raise _no_operator(name, 0, O.UNKNOWN, position)
    cats = {category(c.right_oid) for c in cands}
    want = "S" if "S" in cats else cats.pop() if len(cats) == 1 else None
    chosen = [c for c in cands if category(c.right_oid) == want]
    preferred = [c for c in chosen if is_preferred(c.right_oid)]
    chosen = preferred or chosen
    if len(chosen) != 1:
        raise SqlError("42725", f"operator is not unique: {name} unknown", position=position,
                       hint="Could not choose a best candidate operator. You might need to add explicit type casts.")
    return chosen[0]


_ENUM_FUNCTIONS = ("min", "max", "enum_first", "enum_last", "enum_range")  # anyenum (translate.enumfuncs)
_ENUM_COMPARISONS = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}


def _enum_operator(name: str, left: int, right: int) -> F.OperSig | None:
    """PostgreSQL's anyenum comparison operators: both sides of one enum type (an unknown
    side takes it). The stored forms are the labels' sort orders, so SQLite compares them."""
    op = _ENUM_COMPARISONS.get(name)
    if op is None or not left:
        return None
    enum = left if is_enum(left) else right if is_enum(right) else 0
    if not enum or {left, right} - {enum, O.UNKNOWN}:
        return None
    return F.OperSig(name, enum, enum, O.BOOL, f"({{0}} {op} {{1}})")


def _no_operator(name: str, left: int, right: int, position: int | None) -> SqlError:
    if left:
        text = f"operator does not exist: {_tname(left)} {name} {_tname(right)}"
    else:
        text = f"operator does not exist: {name} {_tname(right)}"
    return SqlError("42883", text, position=position,
                    hint="No operator matches the given name and argument types. "
                         "You might need to add explicit type casts.")


def _tname(oid: int) -> str:
    return format_type(oid, -1) if oid != O.UNKNOWN else "unknown"


def argument_type_name(oid: int) -> str:
    """An argument's type as "function ... does not exist" names it (format_type(oid, NULL))."""
    return format_type(oid, None) if oid != O.UNKNOWN else "unknown"


def _select(cands: list, args: list[int], sig_of) -> object | None:
    if not cands:
        return None
    for c in cands:
        if sig_of(c) == args:
            return c
    known = [a for a in args if a != O.UNKNOWN]
    if known and len(set(known)) == 1 and O.UNKNOWN in args:
        # one side unknown: assume it has the known side's type (PostgreSQL's rule 2.a)
        same = [known[0]] * len(args)
        for c in cands:
            if sig_of(c) == same:
                return c
    viable = [c for c in cands if all(a in (s, O.UNKNOWN) or base_of(a) == s if getattr(c, "exact", False)
                                      else can_coerce_implicit(a, s) for a, s in zip(args, sig_of(c)))]
    if not viable:
        return None
    if len(viable) == 1:
        return viable[0]
    return _rank(viable, args, sig_of)


def _rank(viable: list, args: list[int], sig_of):
    def exact(c):
        return sum(1 for a, s in zip(args, sig_of(c)) if a == s)
    best = max(exact(c) for c in viable)
    viable = [c for c in viable if exact(c) == best]
    if len(viable) == 1:
        return viable[0]

    def preferred(c):
        # PostgreSQL's rule 4.d counts preferred types of the input's own category: an
        # unknown literal has none (rule 4.e decides for it, preferring strings)
        return sum(1 for a, s in zip(args, sig_of(c))
                   if a != s and a != O.UNKNOWN and is_preferred(s) and category(s) == category(a))
    best = max(preferred(c) for c in viable)
    viable = [c for c in viable if preferred(c) == best]
    if len(viable) == 1:
        return viable[0]
    if O.UNKNOWN in args:
        # unknown inputs: prefer the string category, else the category of the known inputs
        known_cats = {category(a) for a in args if a != O.UNKNOWN}
        for want in (known_cats, {"S"}):
            narrowed = [c for c in viable
                        if all(category(s) in want or a != O.UNKNOWN for a, s in zip(args, sig_of(c)))]
            pref = [c for c in narrowed if all(is_preferred(s) or a != O.UNKNOWN
                                               for a, s in zip(args, sig_of(c)))]
            if len(pref) == 1:
                return pref[0]
            if len(narrowed) == 1:
                return narrowed[0]
    return viable[0]


# --- function resolution ---------------------------------------------------------

def function_candidates(name: str) -> list[F.FuncSig]:
    user = user_range_catalog()[0]
    return F.FUNCTIONS.get(name, []) + user.get(name, []) if user else F.FUNCTIONS.get(name, [])


def resolve_function(name: str, args: list[int], position: int | None = None,
                     extra: dict[str, list[F.FuncSig]] | None = None, only_extra: bool = False) -> F.FuncSig:
    enum_fn = enum_sig(name, args) if name in _ENUM_FUNCTIONS else None
    if enum_fn is not None:
        return enum_fn
    cands = [] if only_extra else list(function_candidates(name))
    if not cands and extra:
        cands = list(extra.get(name, []))
    fitting = []
    for c in cands:
        sig = _expand_variadic(c, len(args))
        if sig is not None:
            fitting.append((c, sig))
    found = _select(fitting, args, lambda pair: pair[1])
    if found is None:
        polymorphic = [c for c, sig in fitting if _polymorphic_match(sig, args)]
        if polymorphic:
            return polymorphic[0]
        argtext = ", ".join(_tname(a) for a in args)
        raise SqlError("42883", f"function {name}({argtext}) does not exist", position=position,
                       hint="No function matches the given name and argument types. "
                            "You might need to add explicit type casts.")
    return found[0]


def _expand_variadic(c: F.FuncSig, n: int) -> list[int] | None:
    fixed = list(c.arg_oids)
    if c.variadic_oid:
        fixed = fixed[:-1]
        if n < len(fixed):
            return None
        return fixed + [c.variadic_oid] * (n - len(fixed))
    return fixed if len(fixed) == n else None


def _polymorphic_match(sig: list[int], args: list[int]) -> bool:
    """(anyarray takes arrays only, anynonarray no array: max(int4range) is no max(anyarray);
    a polymorphic argument itself, as CREATE AGGREGATE checks a transition, fits any)"""
    return all(can_coerce_implicit(a, s) or s in O.ANY_OIDS and (s not in _ARRAY_KIND or a in O.ANY_OIDS)
               for s, a in zip(sig, args))


_ARRAY_KIND = (O.ANYARRAY, O.ANYCOMPATIBLEARRAY, O.ANYNONARRAY, O.ANYCOMPATIBLENONARRAY)


def common_type(oids: list[int], context: str = "CASE", position: int | None = None) -> int:
    """PostgreSQL's select_common_type for UNION/CASE/COALESCE/VALUES/ARRAY."""
    known = [o for o in oids if o != O.UNKNOWN]
    if not known:
        return O.TEXT
    result = known[0]
    for o in known[1:]:
        if o == result:
            continue
        if category(o) != category(result):
            raise SqlError("42804", f"{context} types {_tname(result)} and {_tname(o)} cannot be matched",
                           position=position)
        if not is_preferred(result) and can_coerce_implicit(result, o) and not can_coerce_implicit(o, result):
            result = o
    for o in known:
        if not can_coerce_implicit(o, result):
            raise SqlError("42804", f"{context} types {_tname(result)} and {_tname(o)} cannot be matched",
                           position=position)
    return result
