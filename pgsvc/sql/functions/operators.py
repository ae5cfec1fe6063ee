"""pg_operator as data: OPERATORS[name] = [OperSig(...)], emit templates over stored
forms ({0} left, {1} right; prefix operators have left_oid 0 and use {0}).

Fast paths stay native SQLite: integer comparisons and + - * (wrapped in a range
check UDF only for int2/int4/int8 overflow), text comparisons and ||, float
arithmetic. numeric, interval, date/time arithmetic and pattern matching use UDFs.
"""

from __future__ import annotations

from pgsvc.sql.functions.casts import INT_CHECK, INT_RANK, INTS
from pgsvc.sql.functions.signatures import OperSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import all_types

CMP = ("=", "<>", "<", "<=", ">", ">=")
_PLAIN_CMP_TYPES = (O.BOOL, O.BYTEA, O.DATE, O.TIMESTAMP, O.TIMESTAMPTZ, O.TIME, O.UUID, O.OID,
                    O.TEXT, O.NAME, O.CHAR, O.FLOAT4, O.FLOAT8, O.REGCLASS, O.REGTYPE,
                    O.XID, O.MONEY)
_COLLATED = {O.NUMERIC: "pg_numeric", O.INTERVAL: "pg_interval", O.BPCHAR: "RTRIM",
             O.TIMETZ: "pg_timetz", O.ANYARRAY: "pg_array", O.JSONB: "pg_jsonb"}


def _build() -> dict[str, list[OperSig]]:
    ops: dict[str, list[OperSig]] = {}

    def add(name: str, left: int, right: int, ret: int, emit: str) -> None:
        ops.setdefault(name, []).append(OperSig(name, left, right, ret, emit))

    _comparisons(add)
    _integer_arithmetic(add)
    _float_numeric_arithmetic(add)
    _datetime_arithmetic(add)
    _text_operators(add)
    _json_array_operators(add)
    return ops


def _comparisons(add) -> None:
    for a in INTS:
        for b in INTS:
            for op in CMP:
                add(op, a, b, O.BOOL, f"({{0}} {op} {{1}})")
    for t in _PLAIN_CMP_TYPES:
        for op in CMP:
            add(op, t, t, O.BOOL, f"({{0}} {op} {{1}})")
    for op in ("=", "<>"):
        # inet and cidr are held as their canonical text: equal values have equal text (their
        # order is network_cmp's, not the text's: < and > are not offered)
        for t in (O.INET, O.CIDR):
            add(op, t, t, O.BOOL, f"({{0}} {op} {{1}})")
    for op in CMP:
        add(op, O.MACADDR, O.MACADDR, O.BOOL, f"({{0}} {op} {{1}})")  # fixed-width lower-case hex
    for op in ("=", "<>"):
        # composite values (a PL/pgSQL record: NEW = OLD) in their text form, field by field
        # as PostgreSQL compares composites (two NULL fields equal)
        add(op, O.RECORD, O.RECORD, O.BOOL, f"({{0}} {op} {{1}})")
    for op in CMP:
        add(op, O.FLOAT4, O.FLOAT8, O.BOOL, f"({{0}} {op} {{1}})")
        add(op, O.FLOAT8, O.FLOAT4, O.BOOL, f"({{0}} {op} {{1}})")
        add(op, O.NAME, O.TEXT, O.BOOL, f"({{0}} {op} {{1}})")
        add(op, O.TEXT, O.NAME, O.BOOL, f"({{0}} {op} {{1}})")
        for t, coll in _COLLATED.items():
            add(op, t, t, O.BOOL, f"({{0}} {op} ({{1}}) COLLATE {coll})")
        add(op, O.DATE, O.TIMESTAMP, O.BOOL, f"(pgsvc_date_to_ts({{0}}) {op} {{1}})")
        add(op, O.TIMESTAMP, O.DATE, O.BOOL, f"({{0}} {op} pgsvc_date_to_ts({{1}}))")
        add(op, O.DATE, O.TIMESTAMPTZ, O.BOOL, f"(pgsvc_date_to_tstz({{0}}) {op} {{1}})")
        add(op, O.TIMESTAMPTZ, O.DATE, O.BOOL, f"({{0}} {op} pgsvc_date_to_tstz({{1}}))")
        add(op, O.TIMESTAMP, O.TIMESTAMPTZ, O.BOOL, f"(pgsvc_ts_to_tstz({{0}}) {op} {{1}})")
        add(op, O.TIMESTAMPTZ, O.TIMESTAMP, O.BOOL, f"({{0}} {op} pgsvc_ts_to_tstz({{1}}))")


def _integer_arithmetic(add) -> None:
    for a in INTS:
        for b in INTS:
            ret = a if INT_RANK[a] >= INT_RANK[b] else b
            chk = INT_CHECK[ret]
            for op in ("+", "-", "*"):
                add(op, a, b, ret, f"{chk}({{0}} {op} {{1}})")
            add("/", a, b, ret, f"pgsvc_int_div({{0}}, {{1}}, {ret})")
            add("%", a, b, ret, "pgsvc_int_mod({0}, {1})")
            for op in ("&", "|"):
                add(op, a, b, ret, f"({{0}} {op} {{1}})")
            add("#", a, b, ret, "(({0} | {1}) - ({0} & {1}))")
        add("-", 0, a, a, f"{INT_CHECK[a]}(-{{0}})")
        add("+", 0, a, a, "{0}")
        add("~", 0, a, a, "(~{0})")
        add("@", 0, a, a, f"{INT_CHECK[a]}(abs({{0}}))")
        add("<<", a, O.INT4, a, f"{INT_CHECK[a]}({{0}} << {{1}})")
        add(">>", a, O.INT4, a, "({0} >> {1})")


def _float_numeric_arithmetic(add) -> None:
    # float.c's float4pl/float8pl & co.: NaN is stored as 'NaN' (SQLite's arithmetic reads it
    # as 0 and turns inf - inf into NULL), an overflow or underflow of finite operands is an
    # error, and real's results are rounded to single precision (pgsvc_float_op's last argument)
    for f in (O.FLOAT4, O.FLOAT8):
        for op in ("+", "-", "*", "/"):
            add(op, f, f, f, f"pgsvc_float_op({{0}}, {{1}}, '{op}', {int(f == O.FLOAT4)})")
        add("-", 0, f, f, "pgsvc_float_neg({0})")  # NaN is stored as 'NaN', -0 stays -0
        add("+", 0, f, f, "{0}")
        add("@", 0, f, f, "pgsvc_float_abs({0})")
    for op in ("+", "-", "*", "/"):
        add(op, O.FLOAT4, O.FLOAT8, O.FLOAT8, f"pgsvc_float_op({{0}}, {{1}}, '{op}', 0)")
        add(op, O.FLOAT8, O.FLOAT4, O.FLOAT8, f"pgsvc_float_op({{0}}, {{1}}, '{op}', 0)")
    add("^", O.FLOAT8, O.FLOAT8, O.FLOAT8, "pgsvc_float_pow({0}, {1})")
    add("|/", 0, O.FLOAT8, O.FLOAT8, "pgsvc_math_sqrt({0})")
    add("||/", 0, O.FLOAT8, O.FLOAT8, "pgsvc_math_cbrt({0})")
    for op, fn in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "div"), ("%", "mod")):
        add(op, O.NUMERIC, O.NUMERIC, O.NUMERIC, f"pgsvc_numeric_{fn}({{0}}, {{1}})")
    add("^", O.NUMERIC, O.NUMERIC, O.NUMERIC, "pgsvc_numeric_pow({0}, {1})")
    add("-", 0, O.NUMERIC, O.NUMERIC, "pgsvc_numeric_neg({0})")
    add("+", 0, O.NUMERIC, O.NUMERIC, "{0}")
    add("@", 0, O.NUMERIC, O.NUMERIC, "pgsvc_numeric_abs({0})")


def _datetime_arithmetic(add) -> None:
    D, TS, TZ, IV, T = O.DATE, O.TIMESTAMP, O.TIMESTAMPTZ, O.INTERVAL, O.TIME
    add("+", D, O.INT4, D, "pgsvc_date_pli({0}, {1})")
    add("+", O.INT4, D, D, "pgsvc_date_pli({1}, {0})")
    add("-", D, O.INT4, D, "pgsvc_date_pli({0}, -{1})")
    add("-", D, D, O.INT4, "pgsvc_date_mi({0}, {1})")
    add("+", D, IV, TS, "pgsvc_ts_pl_interval(pgsvc_date_to_ts({0}), {1}, 0)")
    add("+", IV, D, TS, "pgsvc_ts_pl_interval(pgsvc_date_to_ts({1}), {0}, 0)")
    add("-", D, IV, TS, "pgsvc_ts_mi_interval(pgsvc_date_to_ts({0}), {1}, 0)")
    add("+", D, T, TS, "pgsvc_date_pl_time({0}, {1})")
    add("+", T, D, TS, "pgsvc_date_pl_time({1}, {0})")
    add("+", D, O.TIMETZ, TZ, "pgsvc_date_pl_timetz(pgsvc_date_to_ts({0}), {1})")
    add("+", O.TIMETZ, D, TZ, "pgsvc_date_pl_timetz(pgsvc_date_to_ts({1}), {0})")
    add("+", O.TIMETZ, IV, O.TIMETZ, "pgsvc_timetz_pl_interval({0}, {1}, 1)")
    add("+", IV, O.TIMETZ, O.TIMETZ, "pgsvc_timetz_pl_interval({1}, {0}, 1)")
    add("-", O.TIMETZ, IV, O.TIMETZ, "pgsvc_timetz_pl_interval({0}, {1}, -1)")
    for ts, tz in ((TS, 0), (TZ, 1)):
        add("+", ts, IV, ts, f"pgsvc_ts_pl_interval({{0}}, {{1}}, {tz})")
        add("+", IV, ts, ts, f"pgsvc_ts_pl_interval({{1}}, {{0}}, {tz})")
        add("-", ts, IV, ts, f"pgsvc_ts_mi_interval({{0}}, {{1}}, {tz})")
        add("-", ts, ts, IV, "pgsvc_ts_mi({0}, {1})")
    add("+", T, IV, T, "pgsvc_time_pl_interval({0}, {1})")
    add("-", T, IV, T, "pgsvc_time_pl_interval({0}, pgsvc_interval_neg({1}))")
    add("-", T, T, IV, "pgsvc_time_mi_time({0}, {1})")
    add("+", IV, IV, IV, "pgsvc_interval_add({0}, {1})")
    add("-", IV, IV, IV, "pgsvc_interval_sub({0}, {1})")
    add("-", 0, IV, IV, "pgsvc_interval_neg({0})")
    add("*", IV, O.FLOAT8, IV, "pgsvc_interval_mul({0}, {1})")
    add("*", O.FLOAT8, IV, IV, "pgsvc_interval_mul({1}, {0})")
    add("/", IV, O.FLOAT8, IV, "pgsvc_interval_div({0}, {1})")


def _text_operators(add) -> None:
    add("||", O.TEXT, O.TEXT, O.TEXT, "({0} || {1})")
    for t in all_types():
        if t.category in ("P", "X", "A") or t.oid in (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME,
                                                      O.UNKNOWN):
            continue
        conv = f"pgsvc_to_text({{}}, {t.oid})"
        if t.oid in INTS:
            conv = "{}"
        elif t.oid == O.BOOL:
            conv = "CASE {} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
        add("||", O.TEXT, t.oid, O.TEXT, "({0} || " + conv.format("{1}") + ")")
        add("||", t.oid, O.TEXT, O.TEXT, "(" + conv.format("{0}") + " || {1})")
    # void (a pseudo-type, skipped above) is anynonarray too: its output is always '' (the
    # call is still evaluated, for what it does: pg_sleep(0.1) || $1)
    void = "coalesce(substr({}, 1, 0), '')"
    add("||", O.TEXT, O.VOID, O.TEXT, "({0} || " + void.format("{1}") + ")")
    add("||", O.VOID, O.TEXT, O.TEXT, "(" + void.format("{0}") + " || {1})")
    for t in (O.TEXT, O.BPCHAR, O.NAME):
        subject = "rtrim({0}, ' ')" if t == O.BPCHAR else "{0}"
        add("~~", t, O.TEXT, O.BOOL, f"pgsvc_like({subject}, {{1}})")
        add("!~~", t, O.TEXT, O.BOOL, f"(NOT pgsvc_like({subject}, {{1}}))")
        add("~~*", t, O.TEXT, O.BOOL, f"pgsvc_ilike({subject}, {{1}})")
        add("!~~*", t, O.TEXT, O.BOOL, f"(NOT pgsvc_ilike({subject}, {{1}}))")
        add("~", t, O.TEXT, O.BOOL, f"pgsvc_regex({subject}, {{1}})")
        add("!~", t, O.TEXT, O.BOOL, f"(NOT pgsvc_regex({subject}, {{1}}))")
        add("~*", t, O.TEXT, O.BOOL, f"pgsvc_regex_i({subject}, {{1}})")
        add("!~*", t, O.TEXT, O.BOOL, f"(NOT pgsvc_regex_i({subject}, {{1}}))")
    add("~~", O.BYTEA, O.BYTEA, O.BOOL, "pgsvc_like({0}, {1})")
    add("||", O.BYTEA, O.BYTEA, O.BYTEA, "({0} || {1})")


def _json_array_operators(add) -> None:
    J, JB, T, I4, TA = O.JSON, O.JSONB, O.TEXT, O.INT4, O.ARRAY_TEXT
    for j in (J, JB):
        add("->", j, T, j, f"pgsvc_json_get({{0}}, {{1}}, {int(j == JB)})")
        add("->", j, I4, j, f"pgsvc_json_get({{0}}, {{1}}, {int(j == JB)})")
        raw = "" if j == JB else "_raw"  # (json keeps its text: functions.json_raw)
        add("->>", j, T, T, f"pgsvc_json_get_text{raw}({{0}}, {{1}})")
        add("->>", j, I4, T, f"pgsvc_json_get_text{raw}({{0}}, {{1}})")
        add("#>", j, TA, j, f"pgsvc_json_path({{0}}, {{1}}, {int(j == JB)})")
        add("#>>", j, TA, T, f"pgsvc_json_path_text{raw}({{0}}, {{1}})")
    add("@>", JB, JB, O.BOOL, "pgsvc_jsonb_contains({0}, {1})")
    add("<@", JB, JB, O.BOOL, "pgsvc_jsonb_contains({1}, {0})")
    add("?", JB, T, O.BOOL, "pgsvc_jsonb_exists({0}, {1})")
    add("?|", JB, TA, O.BOOL, "pgsvc_jsonb_exists_any({0}, {1})")
    add("?&", JB, TA, O.BOOL, "pgsvc_jsonb_exists_all({0}, {1})")
    add("||", JB, JB, JB, "pgsvc_jsonb_concat({0}, {1})")
    add("-", JB, T, JB, "pgsvc_jsonb_delete({0}, {1})")
    add("-", JB, I4, JB, "pgsvc_jsonb_delete({0}, {1})")
    A, E = O.ANYARRAY, O.ANYELEMENT
    add("@>", A, A, O.BOOL, "pgsvc_array_contains({0}, {1})")
    add("<@", A, A, O.BOOL, "pgsvc_array_contains({1}, {0})")
    add("&&", A, A, O.BOOL, "pgsvc_array_overlap({0}, {1})")
    add("||", A, A, A, "pgsvc_array_cat({0}, {1})")
    add("||", A, E, A, "pgsvc_array_append({0}, {1})")
    add("||", E, A, A, "pgsvc_array_prepend({0}, {1})")


OPERATORS: dict[str, list[OperSig]] = _build()
