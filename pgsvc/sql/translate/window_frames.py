"""Window frames: PostgreSQL's frameOptions bits as SQLite's frame clause, and the frame
offsets as SQLite can take them. SQLite evaluates no function call or sub-SELECT in a frame
offset and its RANGE compares stored values as numbers, so: an offset is a plain value (a
constant folded here when its SQL would call a function), RANGE with an offset runs over
integer and float columns only, and PostgreSQL's errors for the offset types it has no
in_range function for (transformFrameOffset) are given as PostgreSQL gives them."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import location
from pgsvc.sql.types import oids as O

# frameOptions bits (PostgreSQL's parsenodes.h)
_NONDEFAULT, _RANGE, _ROWS, _GROUPS, _BETWEEN = 0x1, 0x2, 0x4, 0x8, 0x10
_S_UNB_PREC, _E_UNB_PREC, _S_UNB_FOLL, _E_UNB_FOLL = 0x20, 0x40, 0x80, 0x100
_S_CUR, _E_CUR = 0x200, 0x400


_S_OFF_PREC, _E_OFF_PREC, _S_OFF_FOLL, _E_OFF_FOLL = 0x800, 0x1000, 0x2000, 0x4000
_INT_KEYS = (O.INT2, O.INT4, O.INT8)
_CALL = re.compile(r"[A-Za-z_]\w*\s*\(|\bSELECT\b", re.I)
_INTERVAL_KEYS = (O.DATE, O.TIME, O.TIMETZ, O.TIMESTAMP, O.TIMESTAMPTZ, O.INTERVAL)
_EXCL_CUR, _EXCL_GROUP, _EXCL_TIES = 0x8000, 0x10000, 0x20000


def _bound(opts: int, start: bool, offset: str | None) -> str | None:
    if start:
        table = ((_S_UNB_PREC, "UNBOUNDED PRECEDING"), (_S_CUR, "CURRENT ROW"),
                 (_S_OFF_PREC, f"{offset} PRECEDING"), (_S_OFF_FOLL, f"{offset} FOLLOWING"),
                 (_S_UNB_FOLL, "UNBOUNDED FOLLOWING"))
    else:
        table = ((_E_UNB_FOLL, "UNBOUNDED FOLLOWING"), (_E_CUR, "CURRENT ROW"),
                 (_E_OFF_PREC, f"{offset} PRECEDING"), (_E_OFF_FOLL, f"{offset} FOLLOWING"),
                 (_E_UNB_PREC, "UNBOUNDED PRECEDING"))
    for bit, text in table:
        if opts & bit:
            return text
    return None


def _frame(opts: int, start_offset: str | None = None, end_offset: str | None = None) -> str | None:
    """PostgreSQL's frameOptions bits as SQLite's frame clause (the same grammar)."""
    if not opts & _NONDEFAULT:
        return ""
    unit = "ROWS" if opts & _ROWS else "GROUPS" if opts & _GROUPS else "RANGE"
    start = _bound(opts, True, start_offset)
    if start is None:
        return None
    out = f"{unit} {start}"
    if opts & _BETWEEN:
        end = _bound(opts, False, end_offset)
        if end is None:
            return None
        out = f"{unit} BETWEEN {start} AND {end}"
    if opts & _EXCL_CUR:
        out += " EXCLUDE CURRENT ROW"
    elif opts & _EXCL_GROUP:
        out += " EXCLUDE GROUP"
    elif opts & _EXCL_TIES:
        out += " EXCLUDE TIES"
    return out


def frame_clause(tr, w: ast.WindowDef) -> str | None:
    """The window's frame clause for SQLite ('' for the default frame, None when the bits
    name no frame SQLite has)."""
    opts = w.frameOptions or 0
    if opts & _GROUPS and not w.orderClause:
        raise SqlError("42P20", "GROUPS mode requires an ORDER BY clause", position=location(w))
    offset_type = O.INT8
    if opts & _RANGE and opts & (_S_OFF_PREC | _S_OFF_FOLL | _E_OFF_PREC | _E_OFF_FOLL):
        offset_type = check_range_offsets(tr, w)
    rows = not opts & _RANGE
    return _frame(opts, frame_offset(tr, w.startOffset, offset_type, "starting", rows),
                  frame_offset(tr, w.endOffset, offset_type, "ending", rows))


def check_range_offsets(tr, w: ast.WindowDef) -> int:
    """RANGE with an offset: one ORDER BY column, and an offset type that PostgreSQL has an
    in_range function for with that column's type (transformFrameOffset). SQLite's RANGE
    compares the stored values as numbers, so only integer and float columns are run;
    numeric and date/time columns (whose offsets PostgreSQL accepts) are refused. Returns
    the type the offsets are cast to."""
    keys = {}
    for sb in w.orderClause or ():  # (a key written twice is one sort column)
        ex = tr.finalize_unknown(tr.expr(sb.node))
        keys.setdefault(ex.sql, ex.oid)
    if len(keys) != 1:
        raise SqlError("42P20", "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
                       position=location(w))
    key = next(iter(keys.values()))
    for node in (w.startOffset, w.endOffset):
        if node is None:
            continue
        off = tr.expr(node)
        offset = off.oid
        if key in _INT_KEYS and offset in _INT_KEYS + (O.UNKNOWN,):
            continue
        if key in (O.FLOAT4, O.FLOAT8) and (offset in _INT_KEYS + (O.FLOAT4, O.FLOAT8, O.NUMERIC, O.UNKNOWN)):
            continue
        supported = key == O.NUMERIC and offset in _INT_KEYS + (O.NUMERIC, O.UNKNOWN) or \
            key in _INTERVAL_KEYS and offset in (O.INTERVAL, O.UNKNOWN)
        if supported:
            raise SqlError("0A000", f"RANGE with offset PRECEDING/FOLLOWING over type {R.format_type(key, -1)} "
                                    "is not supported", position=location(node))
        if key not in _INT_KEYS + (O.FLOAT4, O.FLOAT8, O.NUMERIC) + _INTERVAL_KEYS:  # no in_range at all
            raise SqlError("42883", "RANGE with offset PRECEDING/FOLLOWING is not supported for column type "
                                    f"{R.format_type(key, -1)}", position=location(node))
        raise SqlError("42883", "RANGE with offset PRECEDING/FOLLOWING is not supported for column type "
                                f"{R.format_type(key, -1)} and offset type {R.format_type(offset, -1)}",
                       hint="Cast the offset value to an appropriate type.", position=location(node))
    return O.INT8 if key in _INT_KEYS else O.FLOAT8

def frame_offset(tr, node, offset_type: int, what: str, rows: bool) -> str | None:
    """A frame offset as a number SQLite's frame accepts: ROWS, GROUPS and RANGE over integers
    count in int8, RANGE over floats in float8. SQLite evaluates no function call (nor
    sub-SELECT) in a frame offset and reads a text value as 0, so a constant is folded here
    (2::int8, '1.5'::float8, 'inf', -1) and checked as PostgreSQL checks it when the window
    runs; a parameter stays a parameter; anything else is refused."""
    if node is None:
        return None
    sql = tr.coerce(tr.expr(node), offset_type, context="a").sql  # (coerce_to_specific_type; errors first)
    value = folded_offset(tr, node, offset_type)
    if value is not None:
        if value != value or value < 0:  # NaN, negative
            raise SqlError("22013", f"frame {what} offset must not be negative" if rows and value == value
                           else "invalid preceding or following size in window function")
        return "9e999" if value == float("inf") else str(value) if offset_type == O.INT8 else repr(value)
    if not _CALL.search(sql.replace("CAST(", "(")):
        return f"CAST({sql} AS {'INTEGER' if offset_type == O.INT8 else 'REAL'})"
    raise SqlError("0A000", "a window frame offset other than a constant is not supported", position=location(node))


def folded_offset(tr, node, offset_type: int) -> int | float | None:
    """The value of a constant offset (a literal under casts and unary minus), or None."""
    negate = False
    while True:
        if isinstance(node, ast.TypeCast):
            node = node.arg
        elif isinstance(node, ast.A_Expr) and node.kind == enums.A_Expr_Kind.AEXPR_OP and node.lexpr is None \
                and [n.sval for n in node.name] == ["-"]:
            negate, node = not negate, node.rexpr
        else:
            break
    text = tr.structural_literal(node)
    if text is None:
        return None
    try:
        if offset_type == O.INT8:
            value = int(Decimal(str(text).strip()).to_integral_value(rounding=ROUND_HALF_UP))
        else:
            value = float(str(text).strip())
    except (ValueError, ArithmeticError):
        return None
    return -value if negate else value
