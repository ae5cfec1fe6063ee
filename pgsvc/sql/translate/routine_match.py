"""Which user routine a call means (PostgreSQL's FuncnameGetCandidates, MatchNamedCall,
func_select_candidate and enforce_generic_type_consistency for catalog.routines' rows).

Pure functions over argument types: positional, named (`b => 1`) and mixed notation,
DEFAULTs filling the missing trailing inputs, VARIADIC (expanded into the last argument's
array, or the array itself after the VARIADIC keyword), and the polymorphic families
(anyelement/anyarray/anynonarray/anyenum take one type; anycompatible* a common type).
The caller (translate.routines) translates the arguments and coerces them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.routines import INPUT_MODES, Routine
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.composite import is_composite
from pgsvc.sql.types.pg_type import find_oid, format_type
from pgsvc.sql.types.ranges import is_multirange, is_range, key_subtype, multirange_of, range_over, subtype_of
from pgsvc.sql.types.usertypes import base_of

_ELEMENT_FAMILY = (O.ANYELEMENT, O.ANYNONARRAY, O.ANYENUM)
_COMPATIBLE_FAMILY = (O.ANYCOMPATIBLE, O.ANYCOMPATIBLENONARRAY)
POLYMORPHIC = frozenset(O.ANY_OIDS | {O.ANYENUM, O.ANYCOMPATIBLERANGE, O.ANYCOMPATIBLEMULTIRANGE})


@dataclass
class Binding:
    """How the supplied arguments of a call fill one candidate's inputs."""

    routine: Routine
    slots: list  # per supplied argument: the input position it fills (variadic extras: the last)
    declared: list  # per supplied argument: the declared type it is matched against
    defaults: list  # input positions left to their DEFAULT
    expanded: bool  # VARIADIC arguments expanded into the array of the last input


def bind(r: Routine, names: list[str | None], variadic_kw: bool, procedure_call: bool = False) -> Binding | None:
    """The shape of a call against candidate r (names: None for a positional argument), or
    None when the call cannot mean r."""
    types = [base_of(t) for t in r.argtypes]  # a domain argument takes its base type's values
    in_names = r.input_names()
    if procedure_call:  # CALL may name (and must supply) OUT arguments of a procedure
        types, in_names = [base_of(t) for t in r.all_types()], list(r.names())
    n_in, nargs = len(types), len(names)
    n_defaults = len(r.argdefaults)
    npos = sum(1 for n in names if n is None)
    named = names[npos:]
    if named:
        if r.variadic and not variadic_kw:
            return None
        if nargs > n_in or nargs + n_defaults < n_in:
            return None
        slots = list(range(npos))
        for n in named:
            if n not in in_names or in_names.index(n) in slots:
                return None
            slots.append(in_names.index(n))
        missing = [i for i in range(n_in) if i not in slots]
        if any(i < n_in - n_defaults for i in missing):
            return None
        return Binding(r, slots, [types[i] for i in slots], missing, False)
    if r.variadic and not variadic_kw and nargs >= n_in:
        slots = list(range(n_in - 1)) + [n_in - 1] * (nargs - n_in + 1)
        return Binding(r, slots, types[:-1] + [r.variadic] * (nargs - n_in + 1), [], True)
    if variadic_kw and not r.variadic:
        return None
    if nargs > n_in or nargs + n_defaults < n_in:
        return None
    return Binding(r, list(range(nargs)), types[:nargs], list(range(nargs, n_in)), False)


def prefer_unexpanded(bindings: list[Binding]) -> list[Binding]:
    """A VARIADIC candidate whose expansion gives the argument types of a plain candidate
    is dropped for it (FuncnameGetCandidates prefers the one with no variadic arguments)."""
    plain = {tuple(b.declared) for b in bindings if not b.expanded and not b.defaults}
    if not plain:
        return bindings
    return [b for b in bindings if not (b.expanded and tuple(b.declared) in plain)]


def _coercible(arg: int, decl: int) -> bool:
    if decl == O.ANYENUM:
        return arg == O.UNKNOWN or R.category(arg) == "E"
    if decl == O.ANYRANGE:
        return arg == O.UNKNOWN or is_range(arg)
    if decl == O.ANYMULTIRANGE:
        return arg == O.UNKNOWN or is_multirange(arg)
    if decl == O.ANYCOMPATIBLERANGE:
        return arg == O.UNKNOWN or is_range(arg)
    if decl == O.ANYCOMPATIBLEMULTIRANGE:
        return arg == O.UNKNOWN or is_multirange(arg)
    if arg == O.RECORD and is_composite(base_of(decl)):  # ROW(...) to a composite (can_coerce_type)
        return True
    return R.can_coerce_implicit(arg, decl)


def resolve_polymorphic(declared: list[int], args: list[int]) -> tuple[int, int] | None:
    """(anyelement's type, anycompatible's type) for these arguments (0 where the family is
    not used or only unknowns were given), or None when they are inconsistent."""
    elem = 0
    compat: list[int] = []
    compat_unknown = False
    compat_range = 0  # anycompatiblerange's subtype: anycompatible's type, the others coerced to it
    for d, a in zip(declared, args):
        if a == O.UNKNOWN:
            compat_unknown = compat_unknown or d in _COMPATIBLE_FAMILY or d == O.ANYCOMPATIBLEARRAY
            continue
        if d in _ELEMENT_FAMILY or d in (O.ANYARRAY, O.ANYRANGE, O.ANYMULTIRANGE):
            t = a
            if d in (O.ANYRANGE, O.ANYMULTIRANGE):  # anyelement is the range's subtype
                if not (is_range(a) if d == O.ANYRANGE else is_multirange(a)):
                    return None
                t = key_subtype(subtype_of(a))
            elif d == O.ANYARRAY:
                info = find_oid(a)
                if info is None or info.category != "A" or not info.elem_oid:
                    return None
                t = info.elem_oid
            elif d == O.ANYNONARRAY and R.category(a) == "A":
                return None
            if elem and elem != t:
                return None
            elem = t
        elif d in _COMPATIBLE_FAMILY:
            compat.append(a)
        elif d == O.ANYCOMPATIBLEARRAY:
            info = find_oid(a)
            if info is None or info.category != "A" or not info.elem_oid:
                return None
            compat.append(info.elem_oid)
        elif d in (O.ANYCOMPATIBLERANGE, O.ANYCOMPATIBLEMULTIRANGE):
            if not (is_range(a) if d == O.ANYCOMPATIBLERANGE else is_multirange(a)):
                return None
            t = key_subtype(subtype_of(a))
            if compat_range and compat_range != t:
                return None
            compat_range = t
    common = O.TEXT if compat_unknown else 0  # only untyped literals: text, as PostgreSQL resolves them
    if compat_range:
        if not all(c == compat_range or R.can_coerce_implicit(c, compat_range) for c in compat):
            return None
        return elem, compat_range
    if compat:
        try:
            common = R.common_type(compat, "")
        except SqlError:
            return None
    return elem, common


def actual_type(decl: int, poly: tuple[int, int]) -> int:
    """A declared (possibly polymorphic) type with the call's polymorphic types put in."""
    elem, common = poly
    base = elem if decl in _ELEMENT_FAMILY + (O.ANYARRAY, O.ANYRANGE, O.ANYMULTIRANGE) else common \
        if decl in _COMPATIBLE_FAMILY + (O.ANYCOMPATIBLEARRAY, O.ANYCOMPATIBLERANGE, O.ANYCOMPATIBLEMULTIRANGE) else 0
    if decl not in POLYMORPHIC or decl == O.ANY_:
        return decl
    if not base:
        return O.UNKNOWN
    if decl in (O.ANYARRAY, O.ANYCOMPATIBLEARRAY):
        info = find_oid(base)
        return info.array_oid if info is not None and info.array_oid else O.UNKNOWN
    if decl in (O.ANYRANGE, O.ANYMULTIRANGE, O.ANYCOMPATIBLERANGE, O.ANYCOMPATIBLEMULTIRANGE):
        rng = range_over(base)  # the range type over anyelement's (anycompatible's) type
        return O.UNKNOWN if not rng else rng if decl in (O.ANYRANGE, O.ANYCOMPATIBLERANGE) else multirange_of(rng)
    return base


def output_columns_for(r, arg_oids) -> list[tuple[str, int]]:
    """(name, type) of a routine's OUT / TABLE arguments for a call with these argument
    types: polymorphic ones resolved from the inputs, as PostgreSQL's
    resolve_polymorphic_tupdesc does."""
    cols = r.output_columns()
    if not any(t in POLYMORPHIC for _, t in cols):
        return cols
    poly = resolve_polymorphic(list(r.argtypes), list(arg_oids)) or (0, 0)
    return [(n, actual_type(t, poly)) for n, t in cols]


def viable(b: Binding, args: list[int]) -> bool:
    if not all(_coercible(a, d) for a, d in zip(args, b.declared)):
        return False
    return resolve_polymorphic(b.declared, args) is not None


def choose(bindings: list[Binding], args: list[int]) -> list[Binding]:
    """The best candidates (func_select_candidate): exact matches, then the most exact
    positions, then preferred types, then the unknowns' category. More than one left is
    an ambiguous call."""
    exact = [b for b in bindings if list(b.declared) == args]
    if exact:
        return exact
    cands = [b for b in bindings if viable(b, args)]
    if len(cands) <= 1:
        return cands

    def exact_count(b):
        return sum(1 for a, d in zip(args, b.declared) if a == d)
    best = max(exact_count(b) for b in cands)
    cands = [b for b in cands if exact_count(b) == best]
    if len(cands) == 1:
        return cands

    def preferred(b):
        return sum(1 for a, d in zip(args, b.declared) if a != d and a != O.UNKNOWN and R.is_preferred(d))
    best = max(preferred(b) for b in cands)
    cands = [b for b in cands if preferred(b) == best]
    if len(cands) == 1 or O.UNKNOWN not in args:
        return cands
    for i, a in enumerate(args):
        if a != O.UNKNOWN:
            continue
        cats = {R.category(b.declared[i]) for b in cands if b.declared[i] not in POLYMORPHIC}
        want = "S" if "S" in cats else (cats.pop() if len(cats) == 1 else None)
        if want is None:
            continue
        narrowed = [b for b in cands if b.declared[i] in POLYMORPHIC or R.category(b.declared[i]) == want]
        pref = [b for b in narrowed if b.declared[i] in POLYMORPHIC or R.is_preferred(b.declared[i])]
        cands = pref if len(pref) == 1 else narrowed
        if len(cands) == 1:
            return cands
    return cands


def call_text(name: str, names: list[str | None], args: list[int]) -> str:
    """f(integer, b => text): a call's signature as PostgreSQL's errors print it."""
    parts = []
    for n, a in zip(names, args):
        t = R.argument_type_name(a)
        parts.append(f"{n} => {t}" if n is not None else t)
    return f"{name}({', '.join(parts)})"


def no_such_function(name: str, names, args, position, procedure: bool = False) -> SqlError:
    word = "procedure" if procedure else "function"
    return SqlError("42883", f"{word} {call_text(name, names, args)} does not exist", position=position,
                    hint=f"No {word} matches the given name and argument types. "
                         "You might need to add explicit type casts.")


def not_unique(name: str, names, args, position, procedure: bool = False) -> SqlError:
    word = "procedure" if procedure else "function"
    return SqlError("42725", f"{word} {call_text(name, names, args)} is not unique", position=position,
                    hint=f"Could not choose a best candidate {word}. You might need to add explicit type casts.")


def signature_text(r: Routine, qualify: bool = False) -> str:
    """f(integer, text): a routine's identity as PostgreSQL's messages print it
    (format_procedure; qualified when not visible)."""
    types = ",".join(format_type(t, None) for t in r.argtypes)
    name = r.name if not qualify else f"{r.schema}.{r.name}"
    return f"{name}({types})"


def input_modes(r: Routine) -> list[str]:
    return [m for m in r.modes() if m in INPUT_MODES]
