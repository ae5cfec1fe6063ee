"""Python UDFs behind library.py's FUNCTIONS (strings, math, date/time, json, misc)."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import math
import random
import re
import time
import uuid
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal

from pgsvc.errors import SqlError
from pgsvc.sql.functions import array_bounds as AB
from pgsvc.sql.functions import jsonarr as J
from pgsvc.sql.functions.composite_udfs import composite_json, record_json
from pgsvc.sql.functions.context import FunctionContext
from pgsvc.sql.functions.core_udfs import pg_regex
from pgsvc.sql.functions.values import dec, num_out, to_python, to_stored
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.arrays import flatten
from pgsvc.sql.types.context import FormatContext
from pgsvc.sql.types.interval_math import justify_days, justify_hours, justify_interval
from pgsvc.sql.types.jsontext import dumps_jsonb, loads
from pgsvc.sql.types.numeric import CTX, round_to_scale
from pgsvc.sql.types.pg_type import array_of, find_oid
from pgsvc.sql.types.scalars import format_bytea, parse_bytea
from pgsvc.sql.types.storage import float_from_sqlite
from pgsvc.sql.types.storage import interval_from_sqlite, interval_to_sqlite
from pgsvc.sql.types.textio import text_encoder
from pgsvc.sql.types.usertypes import base_of


def _n(fn):
    def wrapped(*args):
        return None if any(a is None for a in args) else fn(*args)
    return wrapped


def _lpad(s, n, fill):
    if n <= len(s):
        return s[:max(n, 0)]
    if not fill:
        return s
    pad = (fill * n)[: n - len(s)]
    return pad + s


def _rpad(s, n, fill):
    if n <= len(s):
        return s[:max(n, 0)]
    if not fill:
        return s
    return s + (fill * n)[: n - len(s)]


def _substr(s, start, count):
    if count < 0:
        raise SqlError("22011", "negative substring length not allowed")
    end = start + count
    start = max(start, 1)
    return s[start - 1:max(end - 1, start - 1)]


def _split_part(s, delim, n):
    if n == 0:
        raise SqlError("22023", "field position must not be zero")
    parts = s.split(delim) if delim else [s]
    if n < 0:
        n = len(parts) + n + 1
    return parts[n - 1] if 1 <= n <= len(parts) else ""


def _initcap(s):
    out, prev_alnum = [], False
    for c in s:
        out.append(c.lower() if prev_alnum else c.upper())
        prev_alnum = c.isalnum()
    return "".join(out)


def _quote_literal(s):
    body = s.replace("'", "''")
    if "\\" in body:
        return "E'" + body.replace("\\", "\\\\") + "'"
    return "'" + body + "'"


def _regexp_replace(s, pattern, repl, flags):
    rx = pg_regex(pattern, flags)
    py_repl = repl.replace("\\&", "\\g<0>")
    py_repl = re.sub(r"\\(\d)", r"\\g<\1>", py_repl)
    return rx.sub(py_repl, s, count=0 if "g" in flags else 1)


def _regexp_match(s, pattern, flags):
    m = pg_regex(pattern, flags).search(s)
    if m is None:
        return None
    return json.dumps(list(m.groups()) if m.re.groups else [m.group(0)], ensure_ascii=False)


def _string_to_array(s, delim, null):
    if s is None:
        return None
    if s == "":
        return "[]"
    parts = list(s) if delim is None else ([s] if delim == "" else s.split(delim))
    return json.dumps([None if p == null else p for p in parts], ensure_ascii=False)


def _array_to_string(ctx, a, delim, null, oid):
    """array_to_string: each element printed by its type's output function (t/f, real's
    shortest digits, timestamps in the session's DateStyle), NULLs skipped or replaced."""
    t = find_oid(oid)
    encode = text_encoder(t.elem_oid if t is not None and t.elem_oid else O.TEXT, ctx.format_context())
    items = flatten(to_python(oid, a))
    return delim.join(null if x is None else encode(x) for x in items if x is not None or null is not None)


def _encode(data, fmt):
    if fmt == "hex":
        return bytes(data).hex()
    if fmt == "base64":
        text = base64.b64encode(bytes(data)).decode()
        return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))
    if fmt == "escape":
        return format_bytea(bytes(data), "escape")
    raise SqlError("22023", f'unrecognized encoding: "{fmt}"')


def _decode(text, fmt):
    if fmt == "hex":
        return bytes.fromhex(text)
    if fmt == "base64":
        return base64.b64decode("".join(text.split()))
    if fmt == "escape":
        return parse_bytea(text)
    raise SqlError("22023", f'unrecognized encoding: "{fmt}"')


def _round(a, scale):
    return num_out(round_to_scale(dec(a), int(scale)))


def _trunc(a, scale):
    x = dec(a)
    if not x.is_finite():
        return num_out(x)
    return num_out(x.quantize(Decimal(1).scaleb(-int(scale)), rounding=ROUND_DOWN, context=CTX))


def _ceil_floor(mode):
    def apply(a):
        x = dec(a)
        return num_out(x.quantize(Decimal(1), rounding=mode, context=CTX) if x.is_finite() else x)
    return apply


_INT_RANGE_NAMES = {16: "smallint", 32: "integer", 64: "bigint"}


def _int_result(value: int, bits: int) -> int:
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise SqlError("22003", f"{_INT_RANGE_NAMES[bits]} out of range")
    return value


def _gcd(a, b, bits):
    return _int_result(math.gcd(a, b), bits)


def _lcm(a, b, bits):
    return _int_result(abs(a * b) // math.gcd(a, b) if a and b else 0, bits)


def _width_bucket(x, lo, hi, n):
    if n <= 0:
        raise SqlError("2201G", "count must be greater than zero")
    x, lo, hi = (float_from_sqlite(v) for v in (x, lo, hi))  # NaN is stored as 'NaN'
    if math.isnan(x) or math.isnan(lo) or math.isnan(hi):
        raise SqlError("2201G", "operand, lower bound, and upper bound cannot be NaN")
    if math.isinf(lo) or math.isinf(hi):
        raise SqlError("2201G", "lower and upper bounds must be finite")
    if lo == hi:
        raise SqlError("2201G", "lower bound cannot equal upper bound")
    if lo < hi:
        if x < lo:
            return 0
        if x >= hi:
            return n + 1
        return int((x - lo) / (hi - lo) * n) + 1
    if x > lo:
        return 0
    if x <= hi:
        return n + 1
    return int((lo - x) / (lo - hi) * n) + 1


def _sleep(ctx: FunctionContext, seconds):
    end = time.monotonic() + max(float(seconds), 0)
    while True:
        if ctx.cancel_flag():
            raise SqlError("57014", "canceling statement due to user request")
        left = end - time.monotonic()
        if left <= 0:
            return None
        time.sleep(min(left, 0.05))


def _variadic_text(ctx, args):
    return ["" if a is None else str(a) for a in args]


_FORMAT_HINT = 'For a single "%" use "%%".'


def _format(fmt, *args):
    """format(): %[position$][-][width|*|*position$]{s|I|L}, as PostgreSQL's text_format."""
    out, i, n = [], 0, len(fmt)
    last = -1  # index of the last argument used; the next one follows it
    while i < n:
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        i += 1
        if i < n and fmt[i] == "%":
            out.append("%")
            i += 1
            continue
        pos, i = _format_position(fmt, i)
        left = False
        while i < n and fmt[i] == "-":
            left, i = True, i + 1
        width = 0
        if i < n and fmt[i] == "*":
            wpos, i = _format_position(fmt, i + 1)
            last = wpos - 1 if wpos else last + 1
            width_arg = _format_arg(args, last)
            width = 0 if width_arg is None else _format_width(width_arg)
            if width < 0:
                left, width = True, -width
        else:
            start = i
            while i < n and fmt[i].isdigit():
                i += 1
            width = int(fmt[start:i]) if i > start else 0
        if i >= n:
            raise SqlError("22023", "unterminated format() type specifier", hint=_FORMAT_HINT)
        kind = fmt[i]
        if kind not in "sIL":
            raise SqlError("22023", f'unrecognized format() type specifier "{kind}"', hint=_FORMAT_HINT)
        i += 1
        last = pos - 1 if pos else last + 1
        value = _format_arg(args, last)
        if kind == "s":
            text = "" if value is None else str(value)
        elif kind == "I":
            if value is None:
                raise SqlError("22004", "null values cannot be formatted as an SQL identifier")
            text = quote_ident(str(value))
        else:
            text = "NULL" if value is None else _quote_literal(str(value))
        out.append(text.ljust(width) if left else text.rjust(width))
    return "".join(out)


def _format_position(fmt: str, i: int) -> tuple[int, int]:
    """An explicit argument position 'n$' at i: (n, index after it), or (0, i)."""
    j = i
    while j < len(fmt) and fmt[j].isdigit():
        j += 1
    if j > i and j < len(fmt) and fmt[j] == "$":
        pos = int(fmt[i:j])
        if pos == 0:
            raise SqlError("22023", "format specifies argument 0, but arguments are numbered from 1")
        return pos, j + 1
    if j > i and j >= len(fmt):
        raise SqlError("22023", "unterminated format() type specifier", hint=_FORMAT_HINT)
    return 0, i


def _format_arg(args, index: int):
    if index >= len(args):
        raise SqlError("22023", "too few arguments for format()")
    return args[index]


def _format_width(value) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise SqlError("22P02", f'invalid input syntax for type integer: "{value}"') from None


def _array_texts(ctx, arr, elem_oid) -> list:
    """A VARIADIC array's elements as the texts their type prints (NULLs stay None)."""
    items = flatten(AB.load(arr)[1])
    from_stored = sqlite_adapter(elem_oid)[1]
    encode = text_encoder(elem_oid, ctx.format_context())
    return [None if x is None else encode(from_stored(x) if from_stored else x) for x in items]


def _concat_variadic(ctx, sep, arr, elem_oid):
    """concat / concat_ws (sep not NULL) with VARIADIC array: NULL array gives NULL."""
    if arr is None:
        return None
    texts = [t for t in _array_texts(ctx, arr, elem_oid) if t is not None]
    return (sep or "").join(texts)


def _format_variadic(ctx, fmt, arr, elem_oid):
    if fmt is None:
        return None
    return _format(fmt, *(_array_texts(ctx, arr, elem_oid) if arr is not None else ()))


def _build_object(jsonb):
    """json[b]_build_object over JSON texts (the translator wraps each argument in
    pgsvc_to_json with its type, as PostgreSQL converts each by its type); a key is the
    argument's text (a JSON string's content, else the JSON text itself: 2 -> "2")."""
    def build(*args):
        if len(args) % 2:
            raise SqlError("22023", "argument list must have even number of elements",
                           hint=f"The arguments of {'jsonb' if jsonb else 'json'}_build_object() must consist of "
                                "alternating keys and values.")
        pairs = []
        for n, (k, v) in enumerate(zip(args[::2], args[1::2], strict=True)):
            if k is None:
                if jsonb:
                    raise SqlError("22023", f"argument {2 * n + 1}: key must not be null")
                raise SqlError("22023", f"argument {2 * n + 1} cannot be null", hint="Object keys should be text.")
            if k.startswith(("[", "{")):  # an array, a composite or a json key (as to_json gives them)
                raise SqlError("22023", "key value must be scalar, not array, composite, or json")
            key = json.loads(k) if k.startswith('"') else k
            pairs.append((key, "null" if v is None else v))
        if jsonb:
            return dumps_jsonb({k: loads(v) for k, v in pairs})
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + " : " + v for k, v in pairs) + "}"
    return build


def _build_array(jsonb):
    def build(*args):
        items = ["null" if v is None else v for v in args]
        return dumps_jsonb([loads(v) for v in items]) if jsonb else "[" + ", ".join(items) + "]"
    return build


def _json_variadic(ctx, name, arr, arr_oid):
    """json[b]_build_object / json[b]_build_array (VARIADIC array): the array's elements,
    flattened, are the arguments, each converted by the element type; a NULL array gives NULL."""
    if arr is None:
        return None
    elem = find_oid(arr_oid).elem_oid
    t = find_oid(base_of(elem))
    composite = t is not None and t.category == "C"
    args = [None if v is None else composite_json(ctx, v, base_of(elem), _to_json) if composite
            else _python_json(ctx, v, elem) for v in flatten(to_python(arr_oid, arr))]
    jsonb = name.startswith("jsonb")
    return (_build_object(jsonb) if name.endswith("object") else _build_array(jsonb))(*args)


def _num_nulls_variadic(arr, arr_oid, nonnulls):
    """num_nulls / num_nonnulls (VARIADIC array): its elements counted; a NULL array gives NULL."""
    if arr is None:
        return None
    items = flatten(to_python(arr_oid, arr))
    nulls = sum(v is None for v in items)
    return len(items) - nulls if nonnulls else nulls


def _to_json(ctx, value, oid):
    """to_json: a stored value of type `oid` as JSON text (arrays as JSON arrays)."""
    if value is None:
        return None
    if oid in (O.JSON, O.JSONB):
        return value  # already JSON text (jsonb's is its normalised output)
    t = find_oid(oid)
    if t is not None and t.category == "C" or oid == O.RECORD:  # composites (functions.composite_udfs)
        return composite_json(ctx, value, base_of(oid), _to_json)
    if t is not None and t.category == "A" and t.elem_oid:
        return _json_array(ctx, to_python(oid, value), t.elem_oid)
    return _python_json(ctx, to_python(oid, value), oid)


def _json_agg_item(ctx, value, oid):
    """json_agg's item: its to_json text, marked with a leading \\x01 when the type is an
    array or a composite (json_categorize_type's ARRAY / COMPOSITE: set on a new line)."""
    text = _to_json(ctx, value, oid)
    if text is None:
        return None
    t = find_oid(base_of(oid))
    structured = oid == O.RECORD or t is not None and (t.category == "C" or t.category == "A" and t.elem_oid)
    return "\x01" + text if structured else text


def _record_array_json(ctx, arr, each: str):
    """to_json of ARRAY[r, ...] of anonymous records: each element's [field names, types]."""
    if arr is None:
        return None
    items, shapes = to_python(2287, arr), json.loads(each)  # record[]
    if isinstance(shapes, dict):  # array_agg's: one shape for every element
        shapes = [shapes["all"]] * len(items)
    if len(items) != len(shapes) or any(isinstance(v, list) for v in items):
        return _to_json(ctx, arr, 2287)
    return "[" + ",".join("null" if v is None or shape is None else
                          record_json(ctx, v, json.dumps(shape[0]), shape[1], False, _to_json)
                          for v, shape in zip(items, shapes, strict=True)) + "]"


def _json_array(ctx, items: list, elem_oid: int) -> str:
    """array_to_json's form: [1,2], [[1,2],[3,4]] (no spaces); composite elements as objects."""
    t = find_oid(base_of(elem_oid))
    composite = t is not None and t.category == "C"
    return "[" + ",".join("null" if v is None else _json_array(ctx, v, elem_oid) if isinstance(v, list)
                          else composite_json(ctx, v, base_of(elem_oid), _to_json) if composite
                          else _python_json(ctx, v, elem_oid) for v in items) + "]"


def _python_json(ctx, value, oid) -> str:
    if oid in (O.JSON, O.JSONB):
        return value if isinstance(value, str) else dumps_jsonb(value)
    if oid in (O.INT2, O.INT4, O.INT8, O.FLOAT4, O.FLOAT8, O.NUMERIC):
        text = text_encoder(oid, ctx.format_context())(value)
        # datum_to_json: an output that is no valid JSON number (NaN, Infinity) is a string
        return f'"{text}"' if text in ("NaN", "Infinity", "-Infinity") else text
    if oid == O.BOOL:
        return "true" if value else "false"
    if oid in (O.TIMESTAMP, O.TIMESTAMPTZ, O.DATE):
        fctx = FormatContext(datestyle="ISO, MDY", timezone=ctx.format_context().timezone)
        text = text_encoder(oid, fctx)(value)
        if oid != O.DATE and text not in ("infinity", "-infinity"):
            date_part, _, rest = text.partition(" ")
            text = date_part + "T" + rest
            if oid == O.TIMESTAMPTZ and len(rest) >= 3 and rest[-3] in "+-":
                text += ":00"
        return json.dumps(text)
    return json.dumps(text_encoder(oid, ctx.format_context())(value), ensure_ascii=False)


def make_library_udfs(ctx: FunctionContext) -> dict:
    def now():
        return D.timestamp_to_micros(ctx.transaction_start)

    iv, ivs = interval_from_sqlite, interval_to_sqlite
    return {
        "pgsvc_lower": (1, _n(str.lower)), "pgsvc_upper": (1, _n(str.upper)),
        "pgsvc_initcap": (1, _n(_initcap)), "pgsvc_substr": (3, _n(_substr)),
        "pgsvc_lpad": (3, _n(_lpad)), "pgsvc_rpad": (3, _n(_rpad)),
        "pgsvc_repeat": (2, _n(lambda s, n: s * max(n, 0))),
        "pgsvc_reverse": (1, _n(lambda s: s[::-1])),
        "pgsvc_left": (2, _n(lambda s, n: s[:n] if n >= 0 else s[:n] if -n < len(s) else "")),
        "pgsvc_right": (2, _n(lambda s, n: (s[-n:] if n > 0 else "") if n >= 0 else s[-n:])),
        "pgsvc_split_part": (3, _n(_split_part)),
        "pgsvc_concat": (-1, lambda *a: "".join(_variadic_text(ctx, [x for x in a if x is not None]))),
        "pgsvc_concat_ws": (-1, lambda sep, *a: None if sep is None else
                            sep.join(str(x) for x in a if x is not None)),
        "pgsvc_format": (-1, lambda fmt, *a: None if fmt is None else _format(fmt, *a)),
        "pgsvc_concat_variadic": (3, lambda sep, arr, oid: _concat_variadic(ctx, sep, arr, oid)),
        "pgsvc_concat_ws_variadic": (3, lambda sep, arr, oid: None if sep is None else
                                     _concat_variadic(ctx, sep, arr, oid)),
        "pgsvc_format_variadic": (3, lambda fmt, arr, oid: _format_variadic(ctx, fmt, arr, oid)),
        "pgsvc_md5": (1, _n(lambda s: hashlib.md5(s.encode() if isinstance(s, str) else s).hexdigest())),
        "pgsvc_chr": (1, _n(_chr)),
        "pgsvc_to_hex": (1, _n(lambda n: format(n & 0xFFFFFFFFFFFFFFFF if n < 0 else n, "x"))),
        "pgsvc_quote_ident": (1, _n(quote_ident)),
        "pgsvc_quote_literal": (1, _n(_quote_literal)),
        "pgsvc_quote_nullable": (1, lambda s: "NULL" if s is None else _quote_literal(s)),
        "pgsvc_regexp_replace": (4, _n(_regexp_replace)),
        "pgsvc_regexp_match": (3, _n(_regexp_match)),
        "pgsvc_regexp_substr": (2, _n(lambda s, p: (lambda m: None if m is None else (
            m.group(1) if m.re.groups else m.group(0)))(pg_regex(p).search(s)))),
        "pgsvc_string_to_array": (3, _string_to_array),
        "pgsvc_array_to_string": (4, lambda a, d, nul, oid: None if a is None or d is None
                                  else _array_to_string(ctx, a, d, nul, oid)),
        "pgsvc_encode": (2, _n(_encode)), "pgsvc_decode": (2, _n(_decode)),
        "pgsvc_round": (2, _n(_round)), "pgsvc_trunc": (2, _n(_trunc)),
        "pgsvc_round_float": (1, _n(lambda x: x if isinstance(x, str) or not math.isfinite(x) else float(round(x)))),
        "pgsvc_trunc_float": (1, _n(lambda x: float(math.trunc(x)) if not isinstance(x, str) and math.isfinite(x) else x)),
        "pgsvc_ceil": (1, _n(_ceil_floor(ROUND_CEILING))),
        "pgsvc_floor": (1, _n(_ceil_floor(ROUND_FLOOR))),
        "pgsvc_ceil_float": (1, _n(lambda x: float(math.ceil(x)) if not isinstance(x, str) and math.isfinite(x) else x)),
        "pgsvc_floor_float": (1, _n(lambda x: float(math.floor(x)) if not isinstance(x, str) and math.isfinite(x) else x)),
        "pgsvc_gcd": (3, _n(_gcd)), "pgsvc_lcm": (3, _n(_lcm)),
        "pgsvc_numeric_divint": (2, _n(lambda a, b: num_out((dec(a) / dec(b)).to_integral_value(
            rounding=ROUND_DOWN)) if not dec(b).is_zero() else _raise("22012", "division by zero"))),
        "pgsvc_sign_numeric": (1, _n(lambda x: "NaN" if dec(x).is_nan() else str((dec(x) > 0) - (dec(x) < 0)))),
        "pgsvc_random": (0, random.random),
        "pgsvc_width_bucket": (4, _n(_width_bucket)),
        "pgsvc_now": (0, now),
        "pgsvc_statement_timestamp": (0, lambda: D.timestamp_to_micros(ctx.statement_start)),
        "pgsvc_clock_timestamp": (0, lambda: D.timestamp_to_micros(_dt.datetime.now(_dt.UTC))),
        "pgsvc_justify_days": (1, _n(lambda a: ivs(justify_days(iv(a))))),
        "pgsvc_justify_hours": (1, _n(lambda a: ivs(justify_hours(iv(a))))),
        "pgsvc_justify_interval": (1, _n(lambda a: ivs(justify_interval(iv(a))))),
        "pgsvc_to_timestamp_epoch": (1, _n(_epoch_to_timestamp)),
        "pgsvc_make_date": (3, _n(lambda y, m, d: D.date2j(y if y > 0 else y + 1, m, d)
                                  - D.POSTGRES_EPOCH_JDATE)),
        "pgsvc_pg_sleep": (1, lambda s: None if s is None else _sleep(ctx, s)),
        "pgsvc_json_build_object": (-1, _build_object(False)),
        "pgsvc_jsonb_build_object": (-1, _build_object(True)),
        "pgsvc_json_build_array": (-1, _build_array(False)),
        "pgsvc_jsonb_build_array": (-1, _build_array(True)),
        "pgsvc_json_variadic": (3, lambda name, arr, oid: _json_variadic(ctx, name, arr, oid)),
        "pgsvc_num_nulls_variadic": (3, _num_nulls_variadic),
        "pgsvc_to_json": (2, lambda v, oid: _to_json(ctx, v, oid)),
        "pgsvc_json_agg_item": (2, lambda v, oid: _json_agg_item(ctx, v, oid)),
        "pgsvc_record_array_json": (2, lambda a, each: _record_array_json(ctx, a, each)),
        "pgsvc_record_json": (4, lambda v, names, types, pretty: record_json(ctx, v, names, types, pretty, _to_json)),
        "pgsvc_row_to_json": (3, lambda v, oid, pretty: None if v is None else
                              composite_json(ctx, v, base_of(oid), _to_json, bool(pretty))),
        "pgsvc_json_get": (3, J.json_get), "pgsvc_json_get_text": (2, J.json_get_text),
        "pgsvc_json_path": (3, J.json_path), "pgsvc_json_path_text": (2, J.json_path_text),
        "pgsvc_jsonb_contains": (2, J.jsonb_contains), "pgsvc_jsonb_exists": (2, J.jsonb_exists),
        "pgsvc_jsonb_exists_any": (2, J.jsonb_exists_any),
        "pgsvc_jsonb_exists_all": (2, J.jsonb_exists_all),
        "pgsvc_jsonb_concat": (2, J.jsonb_concat), "pgsvc_jsonb_delete": (2, J.jsonb_delete),
        "pgsvc_json_typeof": (1, J.json_typeof), "pgsvc_json_array_length": (1, J.json_array_length),
        "pgsvc_jsonb_pretty": (1, J.jsonb_pretty), "pgsvc_jsonb_set": (4, J.jsonb_set),
        "pgsvc_array_contains": (2, J.array_contains), "pgsvc_array_overlap": (2, J.array_overlap),
        "pgsvc_array_cat": (2, AB.array_cat), "pgsvc_array_append": (2, AB.array_append),
        "pgsvc_array_prepend": (2, AB.array_prepend), "pgsvc_array_length": (2, J.array_length),
        "pgsvc_array_slice": (3, AB.array_slice), "pgsvc_array_path": (-1, AB.array_path),
        "pgsvc_array_put": (3, AB.array_put), "pgsvc_array_get": (2, AB.array_get),
        "pgsvc_array_fill": (4, _array_fill), "pgsvc_array_flat": (1, AB.array_flat),
        "pgsvc_array_build": (-1, AB.array_build), "pgsvc_array_put_slice": (3, AB.array_put_slice),
        "pgsvc_cardinality": (1, _n(lambda a: len(flatten(AB.load(a)[1])))),
        "pgsvc_array_position": (-1, J.array_position), "pgsvc_array_remove": (3, J.array_remove),
        "pgsvc_array_positions": (3, J.array_positions), "pgsvc_array_replace": (4, J.array_replace),
        "pgsvc_trim_array": (2, _n(J.trim_array)), "pgsvc_json_pretty_top": (2, J.json_pretty_top),
        "pgsvc_json_object": (2, J.json_object), "pgsvc_json_object_two": (3, J.json_object_two),
        "pgsvc_width_bucket_array": (4, J.width_bucket_array),
        "pgsvc_gen_random_uuid": (0, lambda: str(uuid.uuid4())),
    }


def _array_fill(value, elem_oid, dims, lbounds):
    """array_fill(anyelement, int[] [, int[]]): the element's stored form as array JSON."""
    if dims is None or lbounds is None:
        raise SqlError("22004", "dimension array or low bound array cannot be null")
    arr = array_of(elem_oid)
    one = "[null]" if value is None else to_stored(arr, [to_python(elem_oid, value)])
    return AB.array_fill(one, dims, None if lbounds == "*" else lbounds)


def _epoch_to_timestamp(seconds):
    """to_timestamp(double precision): Unix seconds to a timestamptz (microseconds since 2000)."""
    if isinstance(seconds, str) or math.isnan(seconds):  # NaN is stored as text
        raise SqlError("22008", "timestamp cannot be NaN")
    if math.isinf(seconds):
        return D.NOEND if seconds > 0 else D.NOBEGIN
    us = round((seconds - 946684800) * 1_000_000)
    if not D.MIN_TIMESTAMP <= us < D.END_TIMESTAMP:
        raise SqlError("22008", f'timestamp out of range: "{seconds:g}"')
    return us


def _chr(n: int) -> str:
    """chr(n) in a UTF8 database, with PostgreSQL's refusals."""
    if n < 0:
        raise SqlError("22023", "character number must be positive")
    if n == 0:
        raise SqlError("54000", "null character not permitted")
    if n >= 0x110000:
        raise SqlError("54000", f"requested character too large for encoding: {n}")
    if 0xD800 <= n <= 0xDFFF:
        raise SqlError("54000", f"requested character not valid for encoding: {n}")
    return chr(n)


def _raise(sqlstate, message):
    raise SqlError(sqlstate, message)
