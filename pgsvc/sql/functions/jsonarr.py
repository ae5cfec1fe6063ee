"""json/jsonb and array UDFs (operators and functions) over stored forms: json(b) as
TEXT, arrays as JSON TEXT of element stored forms (see pgsvc.sql.types)."""

from __future__ import annotations

import json
from decimal import Decimal

from pgsvc.errors import SqlError
from pgsvc.sql.functions import json_raw
from pgsvc.sql.functions.values import to_python, to_stored
from pgsvc.sql.types.arrays import flatten, lower_bounds, split_stored, with_bounds
from pgsvc.sql.types.jsontext import dumps_json, dumps_jsonb, loads
from pgsvc.sql.types.pg_type import find_oid
from pgsvc.sql.types.storage import dump_stored


def _get(doc, key):
    if isinstance(doc, dict) and isinstance(key, str):
        return doc.get(key)
    if isinstance(doc, list) and isinstance(key, int):
        if key < 0:
            key += len(doc)
        return doc[key] if 0 <= key < len(doc) else None
    return None


_MISSING = object()


def json_get(text, key, jsonb=1):
    if text is None or key is None:
        return None
    if not jsonb:  # json keeps its text
        return json_raw.get(text, key)
    doc = loads(text)
    fits = isinstance(doc, list) and isinstance(key, int) or isinstance(doc, dict) and isinstance(key, str)
    found = _step(doc, key) if fits else _MISSING
    return None if found is _MISSING else dumps_jsonb(found)


def _as_text(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return dumps_jsonb(value)


def json_get_text(text, key):
    if text is None or key is None:
        return None
    return _as_text(_get(loads(text), key))


def _step(doc, step):
    """doc's member or element `step` (a JSON null is None), _MISSING where there is none."""
    if isinstance(doc, list):
        try:
            step = int(step)
        except (TypeError, ValueError):
            return _MISSING
        if step < 0:
            step += len(doc)
        return doc[step] if 0 <= step < len(doc) else _MISSING
    if isinstance(doc, dict) and isinstance(step, str):
        return doc.get(step, _MISSING)
    return _MISSING


def _walk(text, path_json):
    doc = loads(text)
    for step in json.loads(path_json):
        doc = _step(doc, step)
        if doc is _MISSING:
            return _MISSING
    return doc


def json_path(text, path, jsonb=1):
    if text is None or path is None:
        return None
    if not jsonb:
        return json_raw.path(text, path)
    found = _walk(text, path)
    return None if found is _MISSING else (dumps_jsonb(found) if jsonb else dumps_json(found))


def json_path_text(text, path):
    if text is None or path is None:
        return None
    found = _walk(text, path)
    return None if found is _MISSING else _as_text(found)


def _contains(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return all(k in a and _contains(a[k], v) for k, v in b.items())
    if isinstance(a, list):
        if isinstance(b, list):
            return all(any(_contains(x, y) for x in a) for y in b)
        return any(not isinstance(x, (list, dict)) and x == b for x in a)
    return a == b


def jsonb_contains(a, b):
    if a is None or b is None:
        return None
    return int(_contains(loads(a), loads(b)))


def jsonb_exists(a, key):
    if a is None or key is None:
        return None
    doc = loads(a)
    if isinstance(doc, dict):
        return int(key in doc)
    if isinstance(doc, list):
        return int(key in [x for x in doc if isinstance(x, str)])
    return int(doc == key)


def jsonb_exists_any(a, keys):
    return None if a is None or keys is None else int(any(jsonb_exists(a, k)
                                                          for k in json.loads(keys)))


def jsonb_exists_all(a, keys):
    return None if a is None or keys is None else int(all(jsonb_exists(a, k)
                                                          for k in json.loads(keys)))


def jsonb_concat(a, b):
    if a is None or b is None:
        return None
    x, y = loads(a), loads(b)
    if isinstance(x, dict) and isinstance(y, dict):
        return dumps_jsonb({**x, **y})
    xs = x if isinstance(x, list) else [x]
    ys = y if isinstance(y, list) else [y]
    return dumps_jsonb(xs + ys)


def jsonb_delete(a, key):
    if a is None or key is None:
        return None
    doc = loads(a)
    if isinstance(doc, dict) and isinstance(key, int):
        raise SqlError("22023", "cannot delete from object using integer index")
    if isinstance(doc, dict) and isinstance(key, str):
        doc.pop(key, None)
    elif isinstance(doc, list):
        if isinstance(key, int):
            idx = key + len(doc) if key < 0 else key
            if 0 <= idx < len(doc):
                del doc[idx]
        else:
            doc = [x for x in doc if x != key]
    elif isinstance(key, (str, int)):
        raise SqlError("22023", "cannot delete from scalar")
    return dumps_jsonb(doc)


def json_typeof(text):
    if text is None:
        return None
    doc = loads(text)
    if doc is None:
        return "null"
    if isinstance(doc, bool):
        return "boolean"
    if isinstance(doc, (int, Decimal, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(doc)]


def json_array_length(text):
    if text is None:
        return None
    doc = loads(text)
    if not isinstance(doc, list):
        what = "a scalar" if not isinstance(doc, dict) else "a non-array"
        raise SqlError("22023", f"cannot get array length of {what}")
    return len(doc)


def jsonb_pretty(text):
    if text is None:
        return None
    return _pretty(loads(text), 0)


def _pretty(v, level):
    pad = "    " * (level + 1)
    end = "    " * level
    if isinstance(v, dict):
        if not v:
            return "{\n" + end + "}"
        items = [json.dumps(k, ensure_ascii=False) + ": " + _pretty(v[k], level + 1)
                 for k in sorted(v, key=lambda k: (len(k.encode()), k.encode()))]
        return "{\n" + ",\n".join(pad + i for i in items) + "\n" + end + "}"
    if isinstance(v, list):
        if not v:
            return "[\n" + end + "]"
        return "[\n" + ",\n".join(pad + _pretty(x, level + 1) for x in v) + "\n" + end + "]"
    return dumps_jsonb(v)


def jsonb_set(target, path, new, create=1):
    if target is None or path is None or new is None:
        return None
    doc, steps, value = loads(target), json.loads(path), loads(new)
    if not steps:
        return dumps_jsonb(doc)
    node = doc
    for step in steps[:-1]:
        nxt = _get(node, int(step) if isinstance(node, list) else step)
        if nxt is None:
            return dumps_jsonb(doc)
        node = nxt
    last = steps[-1]
    if isinstance(node, dict):
        if last in node or create:
            node[last] = value
    elif isinstance(node, list):
        idx = int(last)
        if -len(node) <= idx < len(node):
            node[idx] = value
        elif create:
            node.insert(0 if idx < 0 else len(node), value)
    return dumps_jsonb(doc)


# --- arrays --------------------------------------------------------------------------

def _arr(text):
    return json.loads(split_stored(text)[1], parse_float=Decimal)


def _dump(v) -> str:
    return dump_stored(v)


def array_contains(a, b):
    if a is None or b is None:
        return None
    have = [x for x in flatten(_arr(a)) if x is not None]
    return int(all(x is not None and x in have for x in flatten(_arr(b))))


def array_overlap(a, b):
    if a is None or b is None:
        return None
    have = [x for x in flatten(_arr(a)) if x is not None]
    return int(any(x is not None and x in have for x in flatten(_arr(b))))


def _shape(v) -> tuple:
    out = []
    while isinstance(v, list) and v:
        out.append(len(v))
        v = v[0]
    return tuple(out)


def _incompatible(detail: str) -> SqlError:
    return SqlError("2202E", "cannot concatenate incompatible arrays", detail=detail)


def array_cat(a, b):
    """anycompatiblearray || anycompatiblearray (array_cat): arrays of equal dimensions joined
    along the first; one of a dimension less added as an element of the other."""
    if a is None:
        return b
    if b is None:
        return a
    x, y = _arr(a), _arr(b)
    if not x or not y:
        return _dump(x + y)
    sx, sy = _shape(x), _shape(y)
    if len(sx) == len(sy):
        if sx[1:] != sy[1:]:
            raise _incompatible("Arrays with differing element dimensions are not compatible for concatenation.")
        return _dump(x + y)
    if len(sx) == len(sy) + 1 and sx[1:] == sy:
        return _dump(x + [y])
    if len(sy) == len(sx) + 1 and sy[1:] == sx:
        return _dump([x] + y)
    if abs(len(sx) - len(sy)) == 1:
        raise _incompatible("Arrays with differing dimensions are not compatible for concatenation.")
    raise _incompatible(f"Arrays of {len(sx)} and {len(sy)} dimensions are not compatible for concatenation.")


def array_append(a, e):
    return _dump((_arr(a) if a is not None else []) + [e])


def array_slice(a, bounds, lower):
    """a[l:u][...] (bounds: [[l, u], ...], '*' for an omitted bound, counted from lower):
    each dimension clamped to the array's, an empty range an empty array, NULL bounds NULL."""
    if a is None or bounds is None:
        return None
    dims = json.loads(bounds)
    if any(x is None for pair in dims for x in pair):
        return None

    def cut(v, dims):
        if not dims:
            return v
        if not isinstance(v, list):
            return None
        lo, hi = dims[0]
        lo = 1 if lo == "*" else max(int(lo) - lower + 1, 1)
        hi = len(v) if hi == "*" else min(int(hi) - lower + 1, len(v))
        out = []
        for x in v[lo - 1:hi] if lo <= hi else ():
            if len(dims) > 1:
                x = cut(x, dims[1:])
                if not x:
                    return None
            out.append(x)
        return out or None
    return _dump(cut(_arr(a), dims) or [])


def array_prepend(e, a):
    return _dump([e] + (_arr(a) if a is not None else []))


def array_length(a, dim):
    if a is None or dim is None:
        return None
    v = _arr(a)
    if dim < 1:
        return None
    for _ in range(int(dim) - 1):
        if not v or not isinstance(v[0], list):
            return None
        v = v[0]
    return len(v) if v else None


def _eq_key(x):
    """Equality as the element type's = operator sees it: NaN equals NaN (float8eq,
    numeric_eq), 2.5 equals 2.50."""
    if isinstance(x, float) and x != x:
        return ("NaN",)
    if isinstance(x, Decimal) and x.is_nan():
        return ("NaN",)
    return x


def _matches(a, e, oid, what: str) -> tuple[list, int, list[bool]]:
    """A one-dimensional array's items, lower bound, and which items are e (compared as
    values of the element type, NULL matching NULL: IS NOT DISTINCT FROM)."""
    t = find_oid(oid)
    elem = t.elem_oid if t is not None and t.elem_oid else oid
    want = _eq_key(to_python(elem, e))
    items = to_python(oid, a)
    if items and isinstance(items[0], list):
        raise SqlError("0A000", f"{what} multidimensional arrays is not supported")
    lb = lower_bounds(items)[0] if items else 1
    hits = [(x is None and e is None) or (x is not None and e is not None and _eq_key(x) == want) for x in items]
    return items, lb, hits


def array_position(a, e, oid, start=None, with_start=0):
    """array_position(anyarray, anyelement [, int]): the first subscript (from start) of e."""
    if with_start and start is None:
        raise SqlError("22004", "initial position must not be null")
    if a is None:
        return None
    _, lb, hits = _matches(a, e, oid, "searching for elements in")
    first = max(int(start) - lb, 0) if with_start else 0
    return next((i + lb for i in range(first, len(hits)) if hits[i]), None)


def array_positions(a, e, oid):
    """array_positions(anyarray, anyelement): every subscript of e, as an int[]."""
    if a is None:
        return None
    _, lb, hits = _matches(a, e, oid, "searching for elements in")
    return _dump([i + lb for i, hit in enumerate(hits) if hit])


def array_replace(a, e, new, oid):
    """array_replace(anyarray, anyelement, anyelement): every element equal to e (NULL: every
    NULL) replaced, any dimensions, the bounds kept."""
    if a is None:
        return None
    t = find_oid(oid)
    elem = t.elem_oid if t is not None and t.elem_oid else oid
    want, new_value = _eq_key(to_python(elem, e)), to_python(elem, new)

    def walk(v):
        return [walk(x) if isinstance(x, list) else
                new_value if (x is None and e is None) or (x is not None and e is not None and _eq_key(x) == want)
                else x for x in v]
    items = to_python(oid, a)
    return to_stored(oid, with_bounds(walk(items), lower_bounds(items)))


def json_pretty_top(text, pretty):
    """array_to_json(a, true): the outer array's elements one a line (",\n " between them)."""
    if text is None or pretty is None:
        return None
    if not pretty or not text.startswith("["):
        return text
    parts, depth, start, in_str, esc = [], 0, 1, False, False
    for i, ch in enumerate(text):
        if in_str:
            esc, in_str = (False, in_str) if esc else (ch == "\\", ch != '"')
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 1:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:-1])
    return "[" + ",\n ".join(parts) + "]"


def trim_array(a, n):
    """trim_array(anyarray, int): the last n elements of the first dimension removed; the
    result counts from 1 (a slice)."""
    items = _arr(a)
    if not 0 <= n <= len(items):
        raise SqlError("2202E", f"number of elements to trim must be between 0 and {len(items)}")
    return _dump(items[:len(items) - n])


def array_remove(a, e, oid):
    if a is None:
        return None
    items, lb, hits = _matches(a, e, oid, "removing elements from")
    kept = [x for x, hit in zip(items, hits) if not hit]
    return to_stored(oid, with_bounds(kept, (lb,)) if kept else kept)


def unnest_rows(a):
    """Generator for the 'set' function unnest(anyarray): one stored element per row."""
    if a is None:
        return
    yield from flatten(_arr(a) if isinstance(a, str) else a)


def string_to_table_rows(s, delim=None, null=None):
    """Generator for string_to_table(text, text [, text]): string_to_array's pieces as rows."""
    if s is None or s == "":
        return
    parts = list(s) if delim is None else ([s] if delim == "" else s.split(delim))
    for p in parts:
        yield None if p == null else p


def width_bucket_array(x, thresholds, x_oid, oid):
    """width_bucket(anyelement, anyarray): how many of the (ascending) thresholds are <= x,
    by width_bucket_array's binary search (x read as its own type: 5.0 against integers)."""
    if x is None or thresholds is None:
        return None
    items = to_python(oid, thresholds)
    if items and isinstance(items[0], list):
        raise SqlError("2202E", "thresholds must be one-dimensional array")
    if any(v is None for v in items):
        raise SqlError("22004", "thresholds array must not contain NULLs")
    key = _order_key(_eq_key(to_python(x_oid, x)))
    left, right = 0, len(items)
    try:
        while left < right:
            mid = (left + right) // 2
            if key < _order_key(_eq_key(items[mid])):
                right = mid
            else:
                left = mid + 1
    except TypeError:
        raise SqlError("42883", "function width_bucket with these argument types does not exist") from None
    return left


def _order_key(v):
    """NaN above every number, as the float and numeric orders have it."""
    return (1, 0) if v == ("NaN",) else (0, v)


def _text_array(a) -> tuple[list, int]:
    """A stored text[] as its nested lists and its number of dimensions (0 when empty)."""
    items = json.loads(split_stored(a)[1])
    ndims, level = 0, items
    while isinstance(level, list) and level:
        ndims, level = ndims + 1, level[0]
    return items, ndims


def _object_text(pairs: list, jsonb: bool) -> str:
    for k, _ in pairs:
        if k is None:
            raise SqlError("22004", "null value not allowed for object key")
    if jsonb:
        return dumps_jsonb(dict(pairs))  # one value a key, the last one (as jsonb's input)
    return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + " : " + ("null" if v is None else
                                                                         json.dumps(v, ensure_ascii=False))
                           for k, v in pairs) + "}"


def json_object(a, jsonb):
    """json_object(text[]) / jsonb_object(text[]) as json.c's json_object: a flat array of
    alternating keys and values, or an array of two-element rows; values as JSON strings."""
    if a is None:
        return None
    items, ndims = _text_array(a)
    if ndims == 1:
        if len(items) % 2:
            raise SqlError("2202E", "array must have even number of elements")
        pairs = list(zip(items[::2], items[1::2], strict=True))
    elif ndims == 2:
        if len(items[0]) != 2:
            raise SqlError("2202E", "array must have two columns")
        pairs = [(row[0], row[1]) for row in items]
    elif ndims:
        raise SqlError("2202E", "wrong number of array subscripts")
    else:
        pairs = []
    return _object_text(pairs, bool(jsonb))


def json_object_two(keys, values, jsonb):
    """json_object(keys text[], values text[]) / jsonb_object: one-dimensional arrays of the
    same length (json.c's json_object_two_arg)."""
    if keys is None or values is None:
        return None
    k, kdims = _text_array(keys)
    v, vdims = _text_array(values)
    if kdims > 1 or kdims != vdims:
        raise SqlError("2202E", "wrong number of array subscripts")
    if len(k) != len(v):
        raise SqlError("2202E", "mismatched array dimensions")
    return _object_text(list(zip(k, v, strict=True)), bool(jsonb))
