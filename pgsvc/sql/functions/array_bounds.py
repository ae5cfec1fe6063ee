"""Array UDFs that depend on lower bounds (types.arrays: a stored array whose lower bounds are
not all 1 carries them in a leading '/*lb,...*/' comment): subscripts and slices relative to
the bounds, element assignment extending a one-dimensional array either way (NULL-filled,
as array_set_element), concatenation keeping the left operand's bounds (array_cat),
append/prepend, array_fill with lower bounds.
"""

from __future__ import annotations

import json
from decimal import Decimal

from pgsvc.errors import SqlError
from pgsvc.sql.types.arrays import dimensions, flatten, join_stored, reshape, split_stored
from pgsvc.sql.types.storage import dump_stored

MAX_ITEMS = 134217727  # MaxArraySize


def load(text: str) -> tuple[tuple[int, ...], list]:
    """A stored array's lower bounds (one per dimension) and its nested items."""
    lbounds, body = split_stored(text)
    items = json.loads(body, parse_float=Decimal)
    return lbounds or (1,) * len(dimensions(items)), items


def dump(items: list, lbounds) -> str:
    return join_stored(lbounds, dump_stored(items))


def array_flat(a):
    """A multidimensional array's elements in storage order, as a flat JSON array (unnest)."""
    return None if a is None else dump_stored(flatten(load(a)[1]))


def array_build(*subs):
    """ARRAY[a1, a2, ...] of arrays (ExecEvalArrayExpr's multidimensional case): one more
    dimension counted from 1, the sub-arrays' own bounds inside; all of one shape and bounds
    (NULL ones count as empty), all empty making an empty array."""
    loaded = [load(a) if a is not None else ((), []) for a in subs]
    full = [(lb, items) for lb, items in loaded if items]
    if not full:
        return "[]"
    shape = (full[0][0], dimensions(full[0][1]))
    if len(full) != len(loaded) or any((lb, dimensions(items)) != shape for lb, items in full):
        raise SqlError("2202E", "multidimensional arrays must have array expressions with matching dimensions")
    if len(shape[1]) >= 6:
        raise SqlError("54000", f"number of array dimensions ({len(shape[1]) + 1}) exceeds the maximum allowed (6)")
    return dump([items for _, items in full], (1,) + tuple(shape[0]))


def _subscript_error() -> SqlError:
    return SqlError("2202E", "array subscript out of range")


def array_path(a, *idxs):
    """The JSON path ('$[i][j]') of a[i][j] relative to the array's bounds; NULL when a
    subscript is NULL or outside them (a[i] then reads NULL, as in PostgreSQL)."""
    if a is None or any(i is None for i in idxs):
        return None
    lbounds, items = load(a)
    dims = dimensions(items)
    if len(idxs) != len(dims):
        return None
    offs = [int(i) - lb for i, lb in zip(idxs, lbounds)]
    if any(not 0 <= o < n for o, n in zip(offs, dims)):
        return None
    return "$" + "".join(f"[{o}]" for o in offs)


def array_slice(a, bounds, lower):
    """a[l:u][...] (bounds: [[l, u], ...], '*' for an omitted bound): each dimension clamped to
    the array's; the result counts from 1 (an empty one when any range is empty); NULL
    bounds give NULL. int2vector/oidvector (lower 0) have no stored bounds."""
    if a is None or bounds is None:
        return None
    pairs = json.loads(bounds)
    if any(x is None for pair in pairs for x in pair):
        return None
    lbounds, items = load(a)
    if int(lower) == 0:
        lbounds = (0,) * len(lbounds)
    dims = dimensions(items)
    if len(pairs) > len(dims):
        return "[]"
    ranges = []
    for k, (lo, hi) in enumerate(pairs):
        lb = lbounds[k]
        first = 0 if lo == "*" else max(int(lo) - lb, 0)
        last = dims[k] - 1 if hi == "*" else min(int(hi) - lb, dims[k] - 1)
        if first > last:
            return "[]"
        ranges.append((first, last))

    def cut(v, k):
        if k == len(ranges):
            return v
        first, last = ranges[k]
        return [cut(x, k + 1) for x in v[first:last + 1]]
    return dump_stored(cut(items, 0))


def array_get(a, idxs):
    """The element a[i][j] (idxs a JSON array) as json_extract reads it, for an assignment to
    a part of it (a[i].f := x); NULL outside the array."""
    if a is None:
        return None
    path = array_path(a, *json.loads(idxs))
    if path is None:
        return None
    _, items = load(a)
    for o in path[2:-1].split("]["):
        items = items[int(o)]
    if isinstance(items, list):
        return dump_stored(items)
    return float(items) if isinstance(items, Decimal) else items


def array_put(a, idxs, value):
    """a[i][j] := value (value: a one-element JSON array holding the element's stored form):
    array_set_element. A NULL or empty array becomes one holding just that element (its
    bounds the subscripts); a one-dimensional array extends either way, NULL-filled; a
    multi-dimensional one must contain the position."""
    subs = json.loads(idxs)
    if any(i is None for i in subs):
        raise SqlError("22004", "array subscript in assignment must not be null")
    (elem,) = json.loads(value, parse_float=Decimal)
    subs = [int(i) for i in subs]
    if a is None:
        lbounds, items = (), []
    else:
        lbounds, items = load(a)
    if not items:
        for _ in subs[1:]:
            elem = [elem]
        return dump([elem], subs)
    dims = dimensions(items)
    if len(subs) != len(dims):
        raise SqlError("2202E", "wrong number of array subscripts")
    if len(dims) == 1:
        i, lb, n = subs[0], lbounds[0], dims[0]
        if i < lb:
            items = [None] * (lb - i) + items
            lb = i
        elif i >= lb + n:
            items = items + [None] * (i - lb - n + 1)
        if len(items) > MAX_ITEMS:
            raise SqlError("54000", f"array size exceeds the maximum allowed ({MAX_ITEMS})")
        items[i - lb] = elem
        return dump(items, (lb,))
    level = items
    for k, (i, lb, n) in enumerate(zip(subs, lbounds, dims)):
        if not lb <= i < lb + n:
            raise _subscript_error()
        if k == len(subs) - 1:
            level[i - lb] = elem
        else:
            level = level[i - lb]
    return dump(items, lbounds)


def array_put_slice(a, bounds, src):
    """a[l:u] := src (bounds: [[l, u]], '*' for an omitted bound): array_set_slice for one
    dimension, the array extended either way with NULLs; a NULL or empty array becomes the
    slice itself; a NULL source leaves the array as it was."""
    pairs = json.loads(bounds)
    if any(x is None for pair in pairs for x in pair):
        raise SqlError("22004", "array subscript in assignment must not be null")
    if src is None:
        return a
    _, source = load(src)
    source = flatten(source)
    lbounds, items = load(a) if a is not None else ((), [])
    if not items:
        if any(x == "*" for pair in pairs for x in pair):
            raise SqlError("2202E", "array slice subscript must provide both boundaries",
                           detail="When assigning to a slice of an empty array value, slice boundaries must be "
                                  "fully specified.")
        sizes = [int(hi) - int(lo) + 1 for lo, hi in pairs]
        if any(n < 1 for n in sizes):
            raise SqlError("2202E", "upper bound cannot be less than lower bound")
        total = 1
        for n in sizes:
            total *= n
        if len(source) < total:
            raise SqlError("2202E", "source array too small")
        return dump(reshape(source[:total], sizes), [int(lo) for lo, _ in pairs])
    if len(pairs) != 1 or len(lbounds) != 1:
        raise SqlError("0A000", "assignment to a slice of a multidimensional array is not supported")
    lb, ub = lbounds[0], lbounds[0] + len(items) - 1
    lo = lb if pairs[0][0] == "*" else int(pairs[0][0])
    hi = ub if pairs[0][1] == "*" else int(pairs[0][1])
    if hi < lo:
        raise SqlError("2202E", "upper bound cannot be less than lower bound")
    if len(source) < hi - lo + 1:
        raise SqlError("2202E", "source array too small")
    if lo < lb:
        items = [None] * (lb - lo) + items
        lb = lo
    if hi > lb + len(items) - 1:
        items = items + [None] * (hi - lb - len(items) + 1)
    if len(items) > MAX_ITEMS:
        raise SqlError("54000", f"array size exceeds the maximum allowed ({MAX_ITEMS})")
    items[lo - lb:hi - lb + 1] = source[:hi - lo + 1]
    return dump(items, (lb,))


def _incompatible(detail: str) -> SqlError:
    return SqlError("2202E", "cannot concatenate incompatible arrays", detail=detail)


def array_cat(a, b):
    """anycompatiblearray || anycompatiblearray (array_cat): arrays of equal dimensions joined
    along the first, keeping the left one's lower bounds; one of a dimension less added as an
    element of the other, whose bounds are kept."""
    if a is None:
        return b
    if b is None:
        return a
    (la, x), (lb, y) = load(a), load(b)
    if not x:
        return b
    if not y:
        return a
    sx, sy = dimensions(x), dimensions(y)
    if len(sx) == len(sy):
        if sx[1:] != sy[1:] or la[1:] != lb[1:]:
            raise _incompatible("Arrays with differing element dimensions are not compatible for concatenation.")
        return dump(x + y, la)
    if len(sx) == len(sy) + 1 and sx[1:] == sy and la[1:] == lb:
        return dump(x + [y], la)
    if len(sy) == len(sx) + 1 and sy[1:] == sx and lb[1:] == la:
        return dump([x] + y, lb)
    if abs(len(sx) - len(sy)) == 1:
        raise _incompatible("Arrays with differing dimensions are not compatible for concatenation.")
    raise _incompatible(f"Arrays of {len(sx)} and {len(sy)} dimensions are not compatible for concatenation.")


def array_append(a, e):
    if a is None:
        return dump_stored([e])
    lbounds, items = load(a)
    if items and len(lbounds) > 1:
        raise SqlError("22000", "argument must be empty or one-dimensional array")
    return dump(items + [e], lbounds)


def array_prepend(e, a):
    if a is None:
        return dump_stored([e])
    lbounds, items = load(a)
    if items and len(lbounds) > 1:
        raise SqlError("22000", "argument must be empty or one-dimensional array")
    return dump([e] + items, lbounds)


def array_fill(value, dims, lbounds=None):
    """array_fill(anyelement, int[] [, int[]]): value is the element's stored form as a
    one-element JSON array."""
    if dims is None:
        raise SqlError("22004", "dimension array or low bound array cannot be null")
    (elem,) = json.loads(value, parse_float=Decimal)
    _, sizes = load(dims)
    if sizes and isinstance(sizes[0], list):
        raise SqlError("2202E", "wrong number of array subscripts",
                       detail="Dimension array must be one dimensional.")
    if lbounds is None:
        lows = [1] * len(sizes)
    else:
        _, lows = load(lbounds)
        if lows and isinstance(lows[0], list):
            raise SqlError("2202E", "wrong number of array subscripts",
                           detail="Dimension array must be one dimensional.")
        if len(lows) != len(sizes):
            raise SqlError("2202E", "wrong number of array subscripts",
                           detail="Low bound array has different size than dimensions array.")
    if any(s is None for s in sizes) or any(x is None for x in lows):
        raise SqlError("22004", "dimension values cannot be null")
    if len(sizes) > 6:
        raise SqlError("54000", f"number of array dimensions ({len(sizes)}) exceeds the maximum allowed (6)")
    total = 1
    for s in sizes:
        if int(s) < 0:
            raise SqlError("54000", f"array size exceeds the maximum allowed ({MAX_ITEMS})")
        total *= int(s)
    if total > MAX_ITEMS:
        raise SqlError("54000", f"array size exceeds the maximum allowed ({MAX_ITEMS})")
    if not sizes or total == 0:
        return "[]"
    return dump(reshape([elem] * total, [int(s) for s in sizes]), [int(x) for x in lows])
