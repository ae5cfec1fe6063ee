"""Range and multirange algebra as rangetypes.c and multirangetypes.c define it: containment,
overlap, position, adjacency, union, intersection and difference, over the values of
pgsvc.sql.types.ranges (Range) and pgsvc.sql.types.multiranges (a tuple of Ranges).
"""

from __future__ import annotations

from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.types import multiranges as M
from pgsvc.sql.types import ranges as R
from pgsvc.sql.types.ranges import Bound, Range


def contains_elem(r: Range, key: Any) -> bool:
    if r.empty:
        return False
    lo, hi = R.bounds(r)
    if not lo.infinite:
        c = R.cmp_keys(lo.value, key)
        if c > 0 or (c == 0 and not lo.inclusive):
            return False
    if not hi.infinite:
        c = R.cmp_keys(hi.value, key)
        if c < 0 or (c == 0 and not hi.inclusive):
            return False
    return True


def contains(a: Range, b: Range) -> bool:
    if b.empty:
        return True
    if a.empty:
        return False
    la, ua = R.bounds(a)
    lb, ub = R.bounds(b)
    return R.cmp_bounds(la, lb) <= 0 and R.cmp_bounds(ua, ub) >= 0


def overlaps(a: Range, b: Range) -> bool:
    if a.empty or b.empty:
        return False
    la, ua = R.bounds(a)
    lb, ub = R.bounds(b)
    return (R.cmp_bounds(la, lb) >= 0 and R.cmp_bounds(la, ub) <= 0) or \
        (R.cmp_bounds(lb, la) >= 0 and R.cmp_bounds(lb, ua) <= 0)


def before(a: Range, b: Range) -> bool:
    if a.empty or b.empty:
        return False
    return R.cmp_bounds(R.bounds(a)[1], R.bounds(b)[0]) < 0


def after(a: Range, b: Range) -> bool:
    if a.empty or b.empty:
        return False
    return R.cmp_bounds(R.bounds(a)[0], R.bounds(b)[1]) > 0


def overleft(a: Range, b: Range) -> bool:
    if a.empty or b.empty:
        return False
    return R.cmp_bounds(R.bounds(a)[1], R.bounds(b)[1]) <= 0


def overright(a: Range, b: Range) -> bool:
    if a.empty or b.empty:
        return False
    return R.cmp_bounds(R.bounds(a)[0], R.bounds(b)[0]) >= 0


def adjacent(sub: int, a: Range, b: Range) -> bool:
    return M.range_adjacent(sub, a, b)


def union(sub: int, a: Range, b: Range) -> Range:
    if not a.empty and not b.empty and not overlaps(a, b) and not M.range_adjacent(sub, a, b):
        raise SqlError("22000", "result of range union would not be contiguous")
    return M.range_union(sub, a, b)


def intersect(sub: int, a: Range, b: Range) -> Range:
    if a.empty or b.empty or not overlaps(a, b):
        return R.EMPTY_RANGE
    la, ua = R.bounds(a)
    lb, ub = R.bounds(b)
    lower = la if R.cmp_bounds(la, lb) >= 0 else lb
    upper = ua if R.cmp_bounds(ua, ub) <= 0 else ub
    return R.make(sub, lower, upper)


def _flip(b: Bound, lower: bool) -> Bound:
    return Bound(b.value, not b.inclusive, b.infinite, lower)


def minus(sub: int, a: Range, b: Range, strict: bool = True) -> list[Range]:
    """range_minus (strict: a result in two pieces is an error) or range_minus_internal's
    pieces for multiranges."""
    if a.empty or b.empty:
        return [a]
    la, ua = R.bounds(a)
    lb, ub = R.bounds(b)
    c_l1l2, c_l1u2 = R.cmp_bounds(la, lb), R.cmp_bounds(la, ub)
    c_u1l2, c_u1u2 = R.cmp_bounds(ua, lb), R.cmp_bounds(ua, ub)
    if c_l1l2 < 0 and c_u1u2 > 0:
        if strict:
            raise SqlError("22000", "result of range difference would not be contiguous")
        return [R.make(sub, la, _flip(lb, False)), R.make(sub, _flip(ub, True), ua)]
    if c_l1u2 > 0 or c_u1l2 < 0:
        return [a]
    if c_l1l2 >= 0 and c_u1u2 <= 0:
        return [R.EMPTY_RANGE]
    if c_l1l2 <= 0 and c_u1l2 >= 0 and c_u1u2 <= 0:
        return [R.make(sub, la, _flip(lb, False))]
    return [R.make(sub, _flip(ub, True), ua)]


# --- multiranges ---------------------------------------------------------------------

def span(sub: int, m: tuple) -> Range:
    """range_merge(multirange): from the first range's lower bound to the last's upper."""
    if not m:
        return R.EMPTY_RANGE
    return R.make(sub, R.bounds(m[0])[0], R.bounds(m[-1])[1])


def mr_contains_elem(m: tuple, key: Any) -> bool:
    return any(contains_elem(r, key) for r in m)


def mr_contains_range(m: tuple, r: Range) -> bool:
    return r.empty or any(contains(x, r) for x in m)


def mr_contains_mr(a: tuple, b: tuple) -> bool:
    return all(mr_contains_range(a, r) for r in b)


def mr_overlaps(a: tuple, b: tuple) -> bool:
    return any(overlaps(x, y) for x in a for y in b)


def mr_union(sub: int, a: tuple, b: tuple) -> tuple:
    return M.normalize(sub, list(a) + list(b))


def mr_intersect(sub: int, a: tuple, b: tuple) -> tuple:
    return M.normalize(sub, [intersect(sub, x, y) for x in a for y in b])


def mr_minus(sub: int, a: tuple, b: tuple) -> tuple:
    out = []
    for x in a:
        pieces = [x]
        for y in b:
            pieces = [p for piece in pieces for p in minus(sub, piece, y, strict=False) if not p.empty]
        out += pieces
    return M.normalize(sub, out)


def as_multirange(value: Any) -> tuple:
    """A range operand of a multirange operator as a multirange."""
    if isinstance(value, Range):
        return () if value.empty else (value,)
    return value


POSITION = {"<<": before, ">>": after, "&<": overleft, "&>": overright}
