"""pg_cast as data: CASTS[(source, target)] = CastSig(context, emit over stored forms).

Contexts as PostgreSQL: 'i' implicit, 'a' assignment, 'e' explicit. Casts not listed
between two types with text I/O are PostgreSQL's automatic I/O conversion casts:
to a string type in assignment context, from one explicitly; `find_cast` returns
them. Casts to a type with a typmod (varchar(3), numeric(5,2)) add
'pgsvc_typmod({0}, oid, typmod, explicit)' around the cast's emit.
"""

from __future__ import annotations

from pgsvc.sql.functions.signatures import CastSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.composite import is_composite
from pgsvc.sql.types.pg_type import all_types, find_oid
from pgsvc.sql.types.usertypes import is_enum

INTS = (O.INT2, O.INT4, O.INT8)
FLOATS = (O.FLOAT4, O.FLOAT8)
STRINGS = (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME)
# the integer types by width, and the UDF that range-checks a value into each (casts and
# integer operators both narrow through it)
INT_RANK = {O.INT2: 0, O.INT4: 1, O.INT8: 2}
INT_CHECK = {O.INT2: "pgsvc_i2", O.INT4: "pgsvc_i4", O.INT8: "pgsvc_i8"}


def generic(src: int, dst: int) -> str:
    return f"pgsvc_cast({{0}}, {src}, {dst}, -1)"


def _build() -> dict[tuple[int, int], CastSig]:
    casts: dict[tuple[int, int], CastSig] = {}

    def add(src: int, dst: int, ctx: str, emit: str) -> None:
        casts[(src, dst)] = CastSig(src, dst, ctx, emit)

    for a in INTS:
        for b in INTS:
            if a != b:
                widening = INT_RANK[a] < INT_RANK[b]
                add(a, b, "i" if widening else "a", "{0}" if widening else f"{INT_CHECK[b]}({{0}})")
        for f in FLOATS:
            # int4/int8 to real rounds to single precision (PostgreSQL's float4 of 2^24 + 1 is 2^24)
            exact = f == O.FLOAT8 or a == O.INT2
            add(a, f, "i", "CAST({0} AS REAL)" if exact else generic(a, f))
            add(f, a, "a", generic(f, a))
        add(a, O.NUMERIC, "i", "CAST({0} AS TEXT)")
        add(O.NUMERIC, a, "a", generic(O.NUMERIC, a))
        add(a, O.OID, "i", "{0}" if a != O.INT8 else
            "(CASE WHEN {0} < 0 OR {0} > 4294967295 THEN pgsvce_raise('22003', 'OID out of range') "
            "ELSE {0} END)")
        add(O.OID, a, "a" if a != O.INT8 else "i", "{0}")
    add(O.FLOAT4, O.FLOAT8, "i", "{0}")
    add(O.FLOAT8, O.FLOAT4, "a", generic(O.FLOAT8, O.FLOAT4))
    for f in FLOATS:
        add(f, O.NUMERIC, "a", generic(f, O.NUMERIC))
        add(O.NUMERIC, f, "i", generic(O.NUMERIC, f))
    add(O.INT4, O.BOOL, "e", "({0} <> 0)")
    add(O.BOOL, O.INT4, "e", "{0}")
    for reg in (O.REGCLASS, O.REGTYPE, O.REGPROC, O.REGNAMESPACE, O.REGROLE):
        add(O.OID, reg, "i", "{0}")
        add(reg, O.OID, "i", "{0}")
        add(O.INT4, reg, "i", "{0}")
        add(O.INT8, reg, "i", "{0}")
    for s in STRINGS:
        for t in STRINGS:
            if s != t:
                emit = "rtrim({0}, ' ')" if s == O.BPCHAR else "{0}"
                if t == O.NAME:
                    emit = generic(s, t)
                add(s, t, "i" if t != O.NAME or s == O.TEXT else "a", emit)
    add(O.CHAR, O.TEXT, "i", "{0}")
    # "char" <-> integer (chartoi4 / i4tochar: a signed byte); a byte over 127 is held as
    # charout's \ooo (types.scalars.parse_char)
    add(O.CHAR, O.INT4, "e", "(CASE WHEN {0} IS NULL THEN NULL WHEN {0} = '' THEN 0 WHEN length({0}) = 4 "
        "THEN substr({0}, 2, 1) * 64 + substr({0}, 3, 1) * 8 + substr({0}, 4, 1) - 256 ELSE unicode({0}) END)")
    add(O.INT4, O.CHAR, "e", "(CASE WHEN {0} IS NULL THEN NULL WHEN {0} = 0 THEN '' WHEN {0} BETWEEN 1 AND 127 "
        "THEN char({0}) WHEN {0} BETWEEN -128 AND -1 THEN printf('\\%03o', {0} + 256) "
        "ELSE pgsvce_raise('22003', '\"char\" out of range') END)")
    add(O.TEXT, O.CHAR, "a", generic(O.TEXT, O.CHAR))
    add(O.DATE, O.TIMESTAMP, "i", "pgsvc_date_to_ts({0})")
    add(O.DATE, O.TIMESTAMPTZ, "i", "pgsvc_date_to_tstz({0})")
    add(O.TIMESTAMP, O.TIMESTAMPTZ, "i", "pgsvc_ts_to_tstz({0})")
    add(O.TIMESTAMPTZ, O.TIMESTAMP, "a", "pgsvc_tstz_to_ts({0})")
    add(O.TIMESTAMP, O.DATE, "a", "pgsvc_ts_to_date({0})")
    add(O.TIMESTAMPTZ, O.DATE, "a", "pgsvc_tstz_to_date({0})")
    add(O.TIMESTAMP, O.TIME, "a", generic(O.TIMESTAMP, O.TIME))  # NULL when infinite
    add(O.TIMESTAMPTZ, O.TIME, "a", generic(O.TIMESTAMPTZ, O.TIME))
    add(O.TIME, O.INTERVAL, "i", "('0 0 ' || {0})")
    add(O.INTERVAL, O.TIME, "a", generic(O.INTERVAL, O.TIME))
    add(O.TIME, O.TIMETZ, "i", generic(O.TIME, O.TIMETZ))
    for s in (O.TEXT, O.VARCHAR, O.BPCHAR):  # text(inet) is network_show, not inet_out
        add(O.INET, s, "a", generic(O.INET, s))
    add(O.JSON, O.JSONB, "a", generic(O.JSON, O.JSONB))
    add(O.JSONB, O.JSON, "a", "{0}")
    for num in (O.INT2, O.INT4, O.INT8, O.NUMERIC, O.FLOAT4, O.FLOAT8, O.BOOL):
        add(O.JSONB, num, "e", generic(O.JSONB, num))
    _add_io_casts(casts)
    return casts


def _add_io_casts(casts: dict) -> None:
    for t in all_types():
        if t.category in ("P", "X") or t.oid in STRINGS:
            continue
        for s in (O.TEXT, O.VARCHAR, O.BPCHAR):
            casts.setdefault((t.oid, s), CastSig(t.oid, s, "a", f"pgsvc_to_text({{0}}, {t.oid})"))
        casts.setdefault((O.TEXT, t.oid), CastSig(O.TEXT, t.oid, "e",
                                                  f"pgsvc_from_text({{0}}, {t.oid}, -1)"))
        casts.setdefault((O.VARCHAR, t.oid), CastSig(O.VARCHAR, t.oid, "e",
                                                     f"pgsvc_from_text({{0}}, {t.oid}, -1)"))
        casts.setdefault((O.BPCHAR, t.oid), CastSig(
            O.BPCHAR, t.oid, "e", f"pgsvc_from_text(rtrim({{0}}, ' '), {t.oid}, -1)"))
    casts.setdefault((O.BOOL, O.TEXT), CastSig(O.BOOL, O.TEXT, "a",
                                                "CASE {0} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"))
    casts[(O.BOOL, O.TEXT)] = CastSig(O.BOOL, O.TEXT, "a",
                                      "CASE {0} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END")
    for i in INTS:
        casts[(i, O.TEXT)] = CastSig(i, O.TEXT, "a", "CAST({0} AS TEXT)")
        casts[(i, O.VARCHAR)] = CastSig(i, O.VARCHAR, "a", "CAST({0} AS TEXT)")


CASTS: dict[tuple[int, int], CastSig] = _build()
_INTEGERS = (O.INT2, O.INT4, O.INT8, O.OID)


def find_cast(src: int, dst: int) -> CastSig | None:
    """The cast from src to dst: binary-identical types, pg_cast entries, arrays via I/O."""
    if src == dst:
        return CastSig(src, dst, "i", "{0}")
    found = CASTS.get((src, dst))
    if found is not None:
        return found
    s, d = find_oid(src), find_oid(dst)
    if src in O.VECTOR_OIDS and d is not None and d.category == "A" and d.elem_oid in _INTEGERS:
        # int2vector/oidvector to an integer array: the same JSON list of integers (their text
        # forms differ, so not through I/O); pgsvc's arrays keep no lower bound, where
        # PostgreSQL's result prints [0:n-1]={...}
        return CastSig(src, dst, "i", "{0}")
    if s is not None and d is not None and s.category == "A" and d.category == "A":
        if CASTS.get((s.elem_oid, d.elem_oid)) or s.elem_oid == d.elem_oid:
            ctx = CASTS[(s.elem_oid, d.elem_oid)].context if (s.elem_oid, d.elem_oid) in CASTS \
                else "i"
            return CastSig(src, dst, ctx, generic(src, dst))
    if src == O.UNKNOWN:
        return CastSig(src, dst, "i", f"pgsvc_from_text({{0}}, {dst}, -1)")
    return _enum_cast(src, dst) or _composite_cast(src, dst)


def _composite_cast(src: int, dst: int) -> CastSig | None:
    """A composite to record (binary coercible, as PostgreSQL), and the I/O conversion casts
    to a string type (assignment) and from one (explicit)."""
    if is_composite(src) and dst == O.RECORD:
        return CastSig(src, dst, "i", "{0}")
    if is_composite(src) and dst in STRINGS:
        return CastSig(src, dst, "a", f"pgsvc_to_text({{0}}, {src})")  # record_out, in the session's settings
    if src in STRINGS and is_composite(dst):
        return CastSig(src, dst, "e", f"pgsvc_from_text({{0}}, {dst}, -1)")
    if src == O.RECORD and dst in STRINGS:
        return CastSig(src, dst, "a", "{0}")
    return None


def _enum_cast(src: int, dst: int) -> CastSig | None:
    """An enum's I/O conversion casts: to a string type (assignment), from one (explicit)."""
    if is_enum(src) and dst in STRINGS:
        return CastSig(src, dst, "a", f"pgsvc_to_text({{0}}, {src})")
    if src in STRINGS and is_enum(dst):
        arg = "rtrim({0}, ' ')" if src == O.BPCHAR else "{0}"
        return CastSig(src, dst, "e", f"pgsvc_from_text({arg}, {dst}, -1)")
    return None
