"""jsonb edited along a path as jsonfuncs.c's setPath does it: jsonb_set, jsonb_set_lax,
jsonb_insert, jsonb_delete_path (#-), jsonb - text[]; and json[b]_strip_nulls.
"""

from __future__ import annotations

import json
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.functions.signatures import FuncSig, OperSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.arrays import split_stored
from pgsvc.sql.types.jsontext import dumps_jsonb, loads, validate_json

CREATE, DELETE, REPLACE, BEFORE, AFTER = 1, 2, 4, 8, 16
_CREATE_OR_INSERT = CREATE | BEFORE | AFTER
_INT_MIN = -(1 << 31)


def _steps(path: str) -> list:
    return json.loads(split_stored(path)[1])


def _set_path(value: Any, steps: list, level: int, new: Any, op: int) -> Any:
    if steps[level] is None:
        raise SqlError("22004", f"path element at position {level + 1} is null")
    if isinstance(value, dict):
        return _set_object(value, steps, level, new, op)
    if isinstance(value, list):
        return _set_array(value, steps, level, new, op)
    return value


def _set_object(obj: dict, steps: list, level: int, new: Any, op: int) -> dict:
    key, last = steps[level], level == len(steps) - 1
    out = dict(obj)
    if key in obj:
        if last:
            if op & (BEFORE | AFTER):
                raise SqlError("22023", "cannot replace existing key",
                               hint="Try using the function jsonb_set to replace key value.")
            if op & DELETE:
                del out[key]
            else:
                out[key] = new
        else:
            out[key] = _set_path(obj[key], steps, level + 1, new, op)
    elif last and op & _CREATE_OR_INSERT:
        out[key] = new
    return out


def _set_array(arr: list, steps: list, level: int, new: Any, op: int) -> list:
    text, n = steps[level], len(arr)
    try:
        if text.strip() != text or not text or not text.lstrip("+-").isdigit():
            raise ValueError
        idx = int(text)
        if not _INT_MIN <= idx < (1 << 31):
            raise ValueError
    except ValueError:
        raise SqlError("22P02", f'path element at position {level + 1} is not an integer: "{text}"') from None
    if idx < 0:
        idx = _INT_MIN if -idx > n else n + idx
    if idx > n:
        idx = n
    last = level == len(steps) - 1
    out: list = []
    done = False
    if (idx == _INT_MIN or n == 0) and last and op & _CREATE_OR_INSERT:
        out.append(new)
        done = True
    for i, v in enumerate(arr):
        if i == idx:
            done = True
            if last:
                if op & (BEFORE | CREATE):
                    out.append(new)
                if op & (AFTER | BEFORE):
                    out.append(v)
                if op & (AFTER | REPLACE):
                    out.append(new)
            else:
                out.append(_set_path(v, steps, level + 1, new, op))
        else:
            out.append(v)
    if op & _CREATE_OR_INSERT and not done and last:
        out.append(new)
    return out


def _scalar(doc: Any) -> bool:
    return not isinstance(doc, (dict, list))


def jsonb_set(target, path, new, create=1):
    if target is None or path is None or new is None or create is None:
        return None
    doc, steps = loads(target), _steps(path)
    if _scalar(doc):
        raise SqlError("22023", "cannot set path in scalar")
    if not steps:
        return target
    return dumps_jsonb(_set_path(doc, steps, 0, loads(new), CREATE if create else REPLACE))


def jsonb_set_lax(target, path, new, create=1, treatment="use_json_null"):
    if target is None or path is None or create is None:
        return None
    if treatment is None or treatment not in ("raise_exception", "use_json_null", "delete_key", "return_target"):
        raise SqlError("22023", 'null_value_treatment must be "delete_key", "return_target", "use_json_null", '
                       'or "raise_exception"')
    if new is not None:
        return jsonb_set(target, path, new, create)
    if treatment == "raise_exception":
        raise SqlError("22004", "JSON value must not be null",
                       detail='Exception was raised because null_value_treatment is "raise_exception".',
                       hint="To avoid, either change the null_value_treatment argument or ensure that an "
                            "SQL NULL is not passed.")
    if treatment == "use_json_null":
        return jsonb_set(target, path, "null", create)
    if treatment == "delete_key":
        return jsonb_delete_path(target, path)
    return target


def jsonb_insert(target, path, new, after=0):
    if target is None or path is None or new is None or after is None:
        return None
    doc, steps = loads(target), _steps(path)
    if _scalar(doc):
        raise SqlError("22023", "cannot set path in scalar")
    if not steps:
        return target
    return dumps_jsonb(_set_path(doc, steps, 0, loads(new), AFTER if after else BEFORE))


def jsonb_delete_path(target, path):
    if target is None or path is None:
        return None
    doc, steps = loads(target), _steps(path)
    if _scalar(doc):
        raise SqlError("22023", "cannot delete path in scalar")
    if not doc or not steps:
        return target
    return dumps_jsonb(_set_path(doc, steps, 0, None, DELETE))


def jsonb_delete_keys(target, keys):
    if target is None or keys is None:
        return None
    doc, names = loads(target), [k for k in _steps(keys) if k is not None]
    if _scalar(doc):
        raise SqlError("22023", "cannot delete from scalar")
    if not doc or not names:
        return target
    if isinstance(doc, dict):
        return dumps_jsonb({k: v for k, v in doc.items() if k not in names})
    return dumps_jsonb([v for v in doc if not (isinstance(v, str) and v in names)])


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def jsonb_strip_nulls(target):
    return None if target is None else dumps_jsonb(_strip(loads(target)))


_DECODER = json.JSONDecoder()


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\n\r":
        i += 1
    return i


def _strip_text(text: str, i: int, out: list) -> int:
    """json_strip_nulls: json's text re-emitted without whitespace, scalars as written."""
    i = _skip(text, i)
    ch = text[i]
    if ch in "[{":
        close = "]" if ch == "[" else "}"
        out.append(ch)
        i = _skip(text, i + 1)
        first = True
        while text[i] != close:
            if ch == "{":
                key_start = i
                _, i = _DECODER.raw_decode(text, i)
                key = text[key_start:i]
                i = _skip(text, i) + 1
                j = _skip(text, i)
                if text.startswith("null", j):
                    i = j + 4
                else:
                    out.append(("" if first else ",") + key + ":")
                    i = _strip_text(text, i, out)
                    first = False
            else:
                out.append("" if first else ",")
                i = _strip_text(text, i, out)
                first = False
            i = _skip(text, i)
            if text[i] == ",":
                i = _skip(text, i + 1)
        out.append(close)
        return i + 1
    _, end = _DECODER.raw_decode(text, i)
    out.append(text[i:end])
    return end


def json_strip_nulls(target):
    if target is None:
        return None
    validate_json(target)
    out: list = []
    _strip_text(target, 0, out)
    return "".join(out)


def jsonb_edit_sigs() -> list[FuncSig]:
    JB, TA, B, T = O.JSONB, O.ARRAY_TEXT, O.BOOL, O.TEXT
    return [
        FuncSig("jsonb_set", (JB, TA, JB), JB, "pgsvc_jsonb_set_path({0}, {1}, {2}, 1)"),
        FuncSig("jsonb_set", (JB, TA, JB, B), JB, "pgsvc_jsonb_set_path({0}, {1}, {2}, {3})"),
        FuncSig("jsonb_set_lax", (JB, TA, JB), JB, "pgsvc_jsonb_set_lax({0}, {1}, {2})", strict=False),
        FuncSig("jsonb_set_lax", (JB, TA, JB, B), JB, "pgsvc_jsonb_set_lax({0}, {1}, {2}, {3})", strict=False),
        FuncSig("jsonb_set_lax", (JB, TA, JB, B, T), JB, "pgsvc_jsonb_set_lax({0}, {1}, {2}, {3}, {4})",
                strict=False),
        FuncSig("jsonb_insert", (JB, TA, JB), JB, "pgsvc_jsonb_insert({0}, {1}, {2})"),
        FuncSig("jsonb_insert", (JB, TA, JB, B), JB, "pgsvc_jsonb_insert({0}, {1}, {2}, {3})"),
        FuncSig("jsonb_delete_path", (JB, TA), JB, "pgsvc_jsonb_delete_path({0}, {1})"),
        FuncSig("jsonb_strip_nulls", (JB,), JB, "pgsvc_jsonb_strip_nulls({0})"),
        FuncSig("json_strip_nulls", (O.JSON,), O.JSON, "pgsvc_json_strip_nulls({0})"),
    ]


def jsonb_edit_operators() -> list[OperSig]:
    return [OperSig("#-", O.JSONB, O.ARRAY_TEXT, O.JSONB, "pgsvc_jsonb_delete_path({0}, {1})"),
            OperSig("-", O.JSONB, O.ARRAY_TEXT, O.JSONB, "pgsvc_jsonb_delete_keys({0}, {1})")]


def make_udfs() -> dict:
    return {"pgsvc_jsonb_set_path": (4, jsonb_set), "pgsvc_jsonb_set_lax": (-1, jsonb_set_lax),
            "pgsvc_jsonb_insert": (-1, jsonb_insert), "pgsvc_jsonb_delete_path": (2, jsonb_delete_path),
            "pgsvc_jsonb_delete_keys": (2, jsonb_delete_keys), "pgsvc_jsonb_strip_nulls": (1, jsonb_strip_nulls),
            "pgsvc_json_strip_nulls": (1, json_strip_nulls), "pgsvc_jsonb_assign": (4, jsonb_assign)}


# --- jsonb subscript assignment: UPDATE t SET j['a'][0] = v (jsonbsubs.c, setPath with
# JB_PATH_CREATE | JB_PATH_FILL_GAPS | JB_PATH_CONSISTENT_POSITION) ---------------------

def _int_step(text: str) -> int | None:
    """strtoint's reading of a path element: an optional sign and digits (leading blanks)."""
    t = text.lstrip(" \t\n\r\f\v")
    digits = t[1:] if t[:1] in ("+", "-") else t
    if not digits.isdigit():
        return None
    value = int(t)
    return value if -(1 << 31) <= value < (1 << 31) else None


def _build(steps: list, level: int, new: Any) -> Any:
    """push_path: the containers a path through missing members makes (an integer step an
    array padded with nulls, any other an object)."""
    if level == len(steps):
        return new
    child = _build(steps, level + 1, new)
    idx = _int_step(steps[level])
    if idx is None:
        return {steps[level]: child}
    return [None] * max(idx, 0) + [child]


def _assign(value: Any, steps: list, level: int, new: Any) -> Any:
    step, last = steps[level], level == len(steps) - 1
    if isinstance(value, dict):
        out = dict(value)
        out[step] = new if last else (_assign(value[step], steps, level + 1, new) if step in value
                                      else _build(steps, level + 1, new))
        return out
    if isinstance(value, list):
        idx = _int_step(step)
        if idx is None:
            raise SqlError("22P02", f'path element at position {level + 1} is not an integer: "{step}"')
        n = len(value)
        if idx < 0:
            if -idx > n:
                raise SqlError("22023", f"path element at position {level + 1} is out of range: {idx}")
            idx += n
        out = list(value)
        if idx >= n:
            out += [None] * (idx - n)
            out.append(new if last else _build(steps, level + 1, new))
        else:
            out[idx] = new if last else _assign(value[idx], steps, level + 1, new)
        return out
    raise SqlError("22023", "cannot replace existing key",
                   detail="The path assumes key is a composite object, but it is a scalar value.")


def jsonb_assign(target, path, new, expect_array):
    steps = json.loads(path)
    if any(s is None for s in steps):
        raise SqlError("22004", "jsonb subscript in assignment must not be null")
    doc = ([] if expect_array else {}) if target is None else loads(target)
    return dumps_jsonb(_assign(doc, steps, 0, None if new is None else loads(new)))
