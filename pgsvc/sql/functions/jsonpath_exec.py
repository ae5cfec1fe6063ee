"""jsonpath execution as PostgreSQL 15's jsonpath_exec.c: lax mode unwraps arrays and ignores
structural errors, strict mode reports them; predicates are three-valued and turn errors of
their operands into unknown; `silent` suppresses the errors a path reports (not a missing
variable). jsonb_path_exists / _match / _query / _query_array / _query_first (and _tz),
the operators @? and @@.
"""

from __future__ import annotations

import json
import math
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.functions.core_udfs import div_scale
from pgsvc.sql.functions.jsonsets import array_elements, object_keys
from pgsvc.sql.functions.signatures import FuncSig, OperSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.jsonpath import Item, is_number, parse_jsonpath
from pgsvc.sql.types.jsontext import JsonNumber, dumps_jsonb, loads
from pgsvc.sql.types.numeric import CTX, canonical, round_to_scale

_UNKNOWN = None


class PathError(SqlError):
    """An error a path reports (RETURN_ERROR in jsonpath_exec.c): `silent` suppresses it."""


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "number"


class _Ctx:
    __slots__ = ("lax", "vars", "root", "ignore", "last")

    def __init__(self, lax: bool, variables: dict, root: Any) -> None:
        self.lax, self.vars, self.root, self.ignore, self.last = lax, variables, root, lax, None


def _structural(ctx: _Ctx, code: str, msg: str) -> list:
    if ctx.ignore:
        return []
    raise PathError(code, msg)


def _num(d: Any) -> JsonNumber:
    return JsonNumber(canonical(Decimal(d)))


def _exec(ctx: _Ctx, item: Item | None, cur: Any, value: Any, unwrap: bool = True) -> list:
    """The items `item` (and what follows it) yields for `value`; `cur` is @."""
    if item is None:
        return [value]
    k = item.kind
    nxt = item.next
    if k in ("key", ".*", "filter") or (k == "method" and item.a not in ("type", "size")):
        if unwrap and ctx.lax and isinstance(value, list):
            out = []
            for v in value:
                out += _exec(ctx, item, cur, v, False)
            return out
    if k == "$":
        return _exec(ctx, nxt, cur, ctx.root)
    if k == "@":
        return _exec(ctx, nxt, cur, cur)
    if k in ("num", "string", "bool", "null"):
        return _exec(ctx, nxt, cur, None if k == "null" else item.a)
    if k == "var":
        if item.a not in ctx.vars:
            raise SqlError("42704", f'could not find jsonpath variable "{item.a}"')
        return _exec(ctx, nxt, cur, ctx.vars[item.a])
    if k == "last":
        if ctx.last is None:
            raise SqlError("XX000", "evaluating jsonpath LAST outside of array subscript")
        return _exec(ctx, nxt, cur, _num(ctx.last))
    if k == "key":
        if isinstance(value, dict):
            if item.a in value:
                return _exec(ctx, nxt, cur, value[item.a])
            return _structural(ctx, "2203A", f'JSON object does not contain key "{item.a}"')
        return _structural(ctx, "2203C", "jsonpath member accessor can only be applied to an object")
    if k == ".*":
        if isinstance(value, dict):
            return [r for v in value.values() for r in _exec(ctx, nxt, cur, v)]
        return _structural(ctx, "2203C", "jsonpath wildcard member accessor can only be applied to an object")
    if k == "[*]":
        if isinstance(value, list):
            return [r for v in value for r in _exec(ctx, nxt, cur, v)]
        if ctx.lax:
            return _exec(ctx, nxt, cur, value)
        return _structural(ctx, "22039", "jsonpath wildcard array accessor can only be applied to an array")
    if k == "[]":
        return _subscripts(ctx, item, cur, value)
    if k == "**":
        return _any_item(ctx, item, cur, value)
    if k == "filter":
        return _exec(ctx, nxt, cur, value) if _pred(ctx, item.a, value) is True else []
    if k == "method":
        return _method(ctx, item, cur, value)
    if k in ("+", "-", "*", "/", "%"):
        return _exec(ctx, nxt, cur, _arith(ctx, item, cur))
    if k in ("u+", "u-"):
        out = []
        for v in _seq(ctx, item.a, cur):
            if not is_number(v):
                raise PathError("2203B", f"operand of unary jsonpath operator {k[1]} is not a numeric value")
            out += _exec(ctx, nxt, cur, _num(-v) if k == "u-" else v)
        return out
    r = _pred(ctx, item, cur)  # a predicate used as a value: true, false or null
    return _exec(ctx, nxt, cur, r)


def _seq(ctx: _Ctx, item: Item, cur: Any) -> list:
    """An operand's items, arrays unwrapped in lax mode."""
    out = []
    for v in _exec(ctx, item, cur, cur):
        if ctx.lax and isinstance(v, list):
            out += v
        else:
            out.append(v)
    return out


_MAX = 1 << 32  # PG_UINT32_MAX: the level "last"


def _any_item(ctx: _Ctx, item: Item, cur: Any, value: Any) -> list:
    """.** as executeAnyItem walks it: structural errors of what follows are ignored there."""
    lo, hi = (_MAX if v == -1 else v for v in (item.a, item.b))
    saved, ctx.ignore = ctx.ignore, True
    out: list = []
    try:
        if lo == 0:
            out += _exec(ctx, item.next, cur, value)
        if isinstance(value, (dict, list)):
            _any(ctx, item.next, cur, value, 1, lo, hi, out)
    finally:
        ctx.ignore = saved
    return out


def _any(ctx, nxt, cur, container, level, lo, hi, out) -> None:
    if level > hi:
        return
    for v in (container.values() if isinstance(container, dict) else container):
        nested = isinstance(v, (dict, list))
        if level >= lo or (lo == hi == _MAX and not nested):
            out += _exec(ctx, nxt, cur, v, ctx.lax)
        if level < hi and nested:
            _any(ctx, nxt, cur, v, level + 1, lo, hi, out)


def _index(ctx: _Ctx, item: Item, cur: Any) -> int:
    vals = _seq(ctx, item, cur)
    if len(vals) != 1 or not is_number(vals[0]):
        raise PathError("22033", "jsonpath array subscript is not a single numeric value")
    v = vals[0].to_integral_value(rounding="ROUND_DOWN")
    if not -2147483648 <= v <= 2147483647:
        raise PathError("22033", "jsonpath array subscript is out of integer range")
    return int(v)


def _subscripts(ctx: _Ctx, item: Item, cur: Any, value: Any) -> list:
    if not isinstance(value, list):
        if not ctx.lax:
            return _structural(ctx, "22039", "jsonpath array accessor can only be applied to an array")
        value = [value]
    saved = ctx.last
    ctx.last = len(value) - 1
    out = []
    try:
        for lo_item, hi_item in item.a:
            lo = _index(ctx, lo_item, cur)
            hi = _index(ctx, hi_item, cur) if hi_item is not None else lo
            if not ctx.ignore and (lo < 0 or lo > hi or hi >= len(value)):
                raise PathError("22033", "jsonpath array subscript is out of bounds")
            lo, hi = max(lo, 0), min(hi, len(value) - 1)
            for n in range(lo, hi + 1):
                out += _exec(ctx, item.next, cur, value[n])
    finally:
        ctx.last = saved
    return out


def _single_num(ctx: _Ctx, item: Item, cur: Any, side: str, op: str) -> Any:
    vals = _seq(ctx, item, cur)
    if len(vals) != 1 or not is_number(vals[0]):
        raise PathError("22038", f"{side} operand of jsonpath operator {op} is not a single numeric value")
    return vals[0]


def _arith(ctx: _Ctx, item: Item, cur: Any) -> Any:
    op = item.kind
    a = _single_num(ctx, item.a, cur, "left", op)
    b = _single_num(ctx, item.b, cur, "right", op)
    if op in ("/", "%") and b == 0:
        raise PathError("22012", "division by zero")
    if op == "+":
        return _num(a + b)
    if op == "-":
        return _num(a - b)
    if op == "*":
        return _num(a * b)
    if op == "%":
        return _num(a % b)
    return _num(round_to_scale(CTX.divide(Decimal(a), Decimal(b)), div_scale(Decimal(a), Decimal(b))))


_COMPARE = {"==": lambda c: c == 0, "!=": lambda c: c != 0, "<": lambda c: c < 0,
            ">": lambda c: c > 0, "<=": lambda c: c <= 0, ">=": lambda c: c >= 0}


def _compare(op: str, a: Any, b: Any) -> Any:
    ta, tb = _type_name(a), _type_name(b)
    if ta != tb:
        if ta == "null" or tb == "null":
            return op == "!="
        return _UNKNOWN
    if ta in ("array", "object"):
        return _UNKNOWN
    if ta == "null":
        c = 0
    elif ta == "string" and op in ("==", "!="):
        c = 0 if a == b else 1
    else:
        c = (a > b) - (a < b)
    return _COMPARE[op](c)


def _pred(ctx: _Ctx, item: Item, cur: Any) -> Any:
    """True, False or None (unknown)."""
    k = item.kind
    if k == "&&":
        a = _pred(ctx, item.a, cur)
        if a is False:
            return False
        b = _pred(ctx, item.b, cur)
        return False if b is False else (None if a is None or b is None else True)
    if k == "||":
        a = _pred(ctx, item.a, cur)
        if a is True:
            return True
        b = _pred(ctx, item.b, cur)
        return True if b is True else (None if a is None or b is None else False)
    if k == "!":
        a = _pred(ctx, item.a, cur)
        return None if a is None else not a
    if k == "is_unknown":
        return _pred(ctx, item.a, cur) is None
    if k == "exists":
        try:
            return bool(_exec(ctx, item.a, cur, cur))
        except PathError:
            return None
    try:
        left = _seq(ctx, item.a, cur)
        right = [] if k == "like_regex" else _seq(ctx, item.b, cur)
    except PathError:
        return None
    found, error = False, False
    for a in left:
        if k == "like_regex":
            res = _like_regex(item, a)
        elif k == "starts":
            res = None
            for b in right:
                res = (a.startswith(b) if isinstance(a, str) and isinstance(b, str) else None)
        else:
            res = False
            for b in right:
                r = _compare(k, a, b)
                if r is True:
                    res = True
                    break
                if r is None:
                    if not ctx.lax:
                        return None
                    error = True
        if res is True:
            if not ctx.lax:
                found = True
                continue
            return True
        if res is None:
            if not ctx.lax:
                return None
            error = True
    if found:
        return True
    return None if error else False


def _like_regex(item: Item, value: Any) -> Any:
    if not isinstance(value, str):
        return None
    pattern, flags = item.b, item.c or ""
    if "q" in flags:
        pattern = re.escape(pattern)
    rf = (re.IGNORECASE if "i" in flags else 0) | (re.DOTALL if "s" in flags else 0) \
        | (re.MULTILINE if "m" in flags else 0)
    try:
        return re.search(pattern, value, rf) is not None
    except re.error:
        return None


def _method(ctx: _Ctx, item: Item, cur: Any, value: Any) -> list:
    name, nxt = item.a, item.next
    if name == "type":
        return _exec(ctx, nxt, cur, _type_name(value))
    if name == "size":
        if isinstance(value, list):
            return _exec(ctx, nxt, cur, _num(len(value)))
        if ctx.lax:
            return _exec(ctx, nxt, cur, _num(1))
        return _structural(ctx, "22039", "jsonpath item method .size() can only be applied to an array")
    if name == "double":
        return _exec(ctx, nxt, cur, _double(value))
    if name in ("abs", "floor", "ceiling"):
        if not is_number(value):
            raise PathError("2203B", f"jsonpath item method .{name}() can only be applied to a numeric value")
        if name == "abs":
            r = abs(value)
        else:
            r = value.to_integral_value(rounding=ROUND_FLOOR if name == "floor" else ROUND_CEILING)
        return _exec(ctx, nxt, cur, _num(r))
    if name == "keyvalue":
        if not isinstance(value, dict):
            raise PathError("2203C", "jsonpath item method .keyvalue() can only be applied to an object")
        out = []
        for key in sorted(value, key=lambda s: (len(s.encode()), s.encode())):
            pair = {"key": key, "value": value[key], "id": _num(0)}
            out += _exec(ctx, nxt, cur, pair)
        return out
    raise SqlError("0A000", "jsonpath item method .datetime() is not supported")


def _double(value: Any) -> Any:
    if is_number(value):
        f = float(value)
        if math.isinf(f):
            raise PathError("22003", "numeric argument of jsonpath item method .double() is out of range "
                            "for type double precision")
        return _num('%.15g' % f)
    if isinstance(value, str):
        text = value.strip()
        try:
            f = float(text)
            if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(inf|infinity|nan)", text, re.I):
                raise ValueError
        except ValueError:
            raise PathError("22003", "string argument of jsonpath item method .double() is not a valid "
                            "representation of a double precision number") from None
        if math.isinf(f) or math.isnan(f):
            raise PathError("22003", "string argument of jsonpath item method .double() is not a valid "
                            "representation of a double precision number")
        return _num('%.15g' % f)
    raise PathError("2203B", "jsonpath item method .double() can only be applied to a string or numeric value")


def _run(target, path_text, variables, silent) -> list | None:
    """The path's items, or None when `silent` suppressed an error."""
    path = parse_jsonpath(path_text)
    vars_value = loads(variables) if variables is not None else {}
    if not isinstance(vars_value, dict):
        raise SqlError("22023", '"vars" argument is not an object',
                       detail='Jsonpath parameters should be encoded as key-value pairs of "vars" object.')
    root = loads(target)
    ctx = _Ctx(path.lax, vars_value, root)
    try:
        if path.root.kind in ("&&", "||", "!", "is_unknown", "exists", "like_regex", "starts",
                              "==", "!=", "<", ">", "<=", ">=") and path.root.next is None:
            return [_pred(ctx, path.root, root)]
        return _exec(ctx, path.root, root, root)
    except PathError:
        if silent:
            return None
        raise
    except (InvalidOperation, RecursionError):
        if silent:
            return None
        raise SqlError("22003", "value out of range in jsonpath evaluation") from None


def _dump(v: Any) -> str:
    return dumps_jsonb(v)


def path_exists(target, path, variables="{}", silent=0):
    if target is None or path is None or variables is None or silent is None:
        return None
    items = _run(target, path, variables, bool(silent))
    return None if items is None else int(bool(items))


def path_match(target, path, variables="{}", silent=0):
    if target is None or path is None or variables is None or silent is None:
        return None
    items = _run(target, path, variables, bool(silent))
    if items is None:
        return None
    if len(items) == 1 and (items[0] is None or isinstance(items[0], bool)):
        return None if items[0] is None else int(items[0])
    if silent:
        return None
    raise SqlError("22038", "single boolean result is expected")


def path_query_array(target, path, variables="{}", silent=0):
    if target is None or path is None or variables is None or silent is None:
        return None
    items = _run(target, path, variables, bool(silent))
    return "[]" if not items else _dump(items)


def path_query_first(target, path, variables="{}", silent=0):
    if target is None or path is None or variables is None or silent is None:
        return None
    items = _run(target, path, variables, bool(silent))
    return _dump(items[0]) if items else None


def path_query_rows(target, path, variables="{}", silent=False):
    if target is None or path is None or variables is None or silent is None:
        return
    for v in _run(target, path, variables, bool(silent)) or ():
        yield _dump(v)


def jsonpath_sigs() -> list[FuncSig]:
    JB, JP, B = O.JSONB, O.JSONPATH, O.BOOL
    out = []
    for tz in ("", "_tz"):
        vol = "s" if tz else "i"
        for args in ((JB, JP), (JB, JP, JB), (JB, JP, JB, B)):
            ph = ", ".join(f"{{{n}}}" for n in range(len(args)))
            for name, ret, udf in (("exists", B, "pgsvc_jsonb_path_exists"), ("match", B, "pgsvc_jsonb_path_match"),
                                   ("query_array", JB, "pgsvc_jsonb_path_query_array"),
                                   ("query_first", JB, "pgsvc_jsonb_path_query_first")):
                out.append(FuncSig(f"jsonb_path_{name}{tz}", args, ret, f"{udf}({ph})", volatility=vol))
            out.append(FuncSig(f"jsonb_path_query{tz}", args, JB, "", kind="set", generator=path_query_rows,
                               volatility=vol))
    return out


def jsonpath_operators() -> list[OperSig]:
    return [OperSig("@?", O.JSONB, O.JSONPATH, O.BOOL, "pgsvc_jsonb_path_exists({0}, {1}, '{{}}', 1)"),
            OperSig("@@", O.JSONB, O.JSONPATH, O.BOOL, "pgsvc_jsonb_path_match({0}, {1}, '{{}}', 1)")]


_SRF_ROWS = {"jsonb_path_query": path_query_rows, "jsonb_path_query_tz": path_query_rows,
             **{f"{pre}_array_elements{sfx}": array_elements(pre == "jsonb", bool(sfx), f"{pre}_array_elements{sfx}")
                for pre in ("json", "jsonb") for sfx in ("", "_text")},
             **{f"{pre}_object_keys": object_keys(f"{pre}_object_keys") for pre in ("json", "jsonb")}}


def srf_texts(name, *args):
    """A json set-returning function's rows as a JSON array of their texts (NULL: null), for
    the select-list SRFs that translate.tlist_srf runs in lockstep."""
    return json.dumps(list(_SRF_ROWS[name](*args)), ensure_ascii=False)


def make_udfs() -> dict:
    return {"pgsvc_json_srf_texts": (-1, srf_texts), "pgsvc_jsonb_path_exists": (-1, path_exists), "pgsvc_jsonb_path_match": (-1, path_match),
            "pgsvc_jsonb_path_query_array": (-1, path_query_array),
            "pgsvc_jsonb_path_query_first": (-1, path_query_first)}
