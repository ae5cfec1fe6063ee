"""pg_proc as data (FUNCTIONS) for scalar and set-returning functions, and the Python
UDFs behind them. Aggregates are in aggregates.py.
"""

from __future__ import annotations


from pgsvc import PG_COMPAT_VERSION
from pgsvc.errors import SqlError
from pgsvc.sql.functions import jsonarr as J
from pgsvc.sql.functions import regexp_funcs
from pgsvc.sql.functions.casts import INT_CHECK
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.functions.core_udfs import pg_regex
from pgsvc.sql.functions.values import dec, num_out
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import oids as O

T, I4, I8, F8, N, B = O.TEXT, O.INT4, O.INT8, O.FLOAT8, O.NUMERIC, O.BOOL
TS, TZ, DT, IV, JS, JB = O.TIMESTAMP, O.TIMESTAMPTZ, O.DATE, O.INTERVAL, O.JSON, O.JSONB
A, E, TA = O.ANYARRAY, O.ANYELEMENT, O.ARRAY_TEXT


def _sigs() -> list[FuncSig]:
    s = []

    def f(name, args, ret, emit, **kw):
        s.append(FuncSig(name, tuple(args), ret, emit, **kw))

    # strings
    for name in ("length", "char_length", "character_length"):
        f(name, [T], I4, "length({0})")
    f("octet_length", [T], I4, "length(CAST({0} AS BLOB))")
    f("length", [O.BYTEA], I4, "length({0})")
    f("lower", [T], T, "pgsvc_lower({0})")
    f("upper", [T], T, "pgsvc_upper({0})")
    f("initcap", [T], T, "pgsvc_initcap({0})")
    f("substr", [T, I4], T, "substr({0}, {1})")
    f("substr", [T, I4, I4], T, "pgsvc_substr({0}, {1}, {2})")
    f("substring", [T, I4], T, "substr({0}, {1})")
    f("substring", [T, I4, I4], T, "pgsvc_substr({0}, {1}, {2})")
    f("substring", [T, T], T, "pgsvc_regexp_substr({0}, {1})")
    f("position", [T, T], I4, "instr({0}, {1})")
    f("strpos", [T, T], I4, "instr({0}, {1})")
    for name, fn in (("btrim", "trim"), ("ltrim", "ltrim"), ("rtrim", "rtrim")):
        f(name, [T], T, f"{fn}({{0}}, ' ')")
        f(name, [T, T], T, f"{fn}({{0}}, {{1}})")
    f("lpad", [T, I4], T, "pgsvc_lpad({0}, {1}, ' ')")
    f("lpad", [T, I4, T], T, "pgsvc_lpad({0}, {1}, {2})")
    f("rpad", [T, I4], T, "pgsvc_rpad({0}, {1}, ' ')")
    f("rpad", [T, I4, T], T, "pgsvc_rpad({0}, {1}, {2})")
    f("replace", [T, T, T], T, "replace({0}, {1}, {2})")
    f("repeat", [T, I4], T, "pgsvc_repeat({0}, {1})")
    f("reverse", [T], T, "pgsvc_reverse({0})")
    f("left", [T, I4], T, "pgsvc_left({0}, {1})")
    f("right", [T, I4], T, "pgsvc_right({0}, {1})")
    f("split_part", [T, T, I4], T, "pgsvc_split_part({0}, {1}, {2})")
    f("concat", [O.ANY_], T, "pgsvc_concat({args})", variadic_oid=O.ANY_, strict=False,
      volatility="s")
    f("concat_ws", [T, O.ANY_], T, "pgsvc_concat_ws({args})", variadic_oid=O.ANY_, strict=False,
      volatility="s")
    f("format", [T, O.ANY_], T, "pgsvc_format({args})", variadic_oid=O.ANY_, strict=False,
      volatility="s")
    f("like_escape", [T, T], T, "pgsvc_like_escape({0}, {1})")  # x LIKE p ESCAPE e
    f("md5", [T], T, "pgsvc_md5({0})")
    f("ascii", [T], I4, "unicode({0})")
    f("chr", [I4], T, "pgsvc_chr({0})")
    f("to_hex", [I8], T, "pgsvc_to_hex({0})")
    f("quote_ident", [T], T, "pgsvc_quote_ident({0})")
    f("quote_literal", [T], T, "pgsvc_quote_literal({0})")
    f("quote_nullable", [T], T, "pgsvc_quote_nullable({0})", strict=False)
    f("regexp_replace", [T, T, T], T, "pgsvc_regexp_replace_flags({0}, {1}, {2}, '')")
    f("regexp_replace", [T, T, T, T], T, "pgsvc_regexp_replace_flags({0}, {1}, {2}, {3})")
    # PostgreSQL 15's regular-expression functions (functions.regexp_funcs)
    for args in ([T, T, T, I4], [T, T, T, I4, I4], [T, T, T, I4, I4, T]):
        f("regexp_replace", args, T, f"pgsvc_regexp_replace_ext{len(args)}({{args}})")
    for args in ([T, T], [T, T, I4], [T, T, I4, T]):
        f("regexp_count", args, I4, f"pgsvc_regexp_count{len(args)}({{args}})")
    for args in ([T, T], [T, T, I4], [T, T, I4, I4], [T, T, I4, I4, I4], [T, T, I4, I4, I4, T],
                 [T, T, I4, I4, I4, T, I4]):
        f("regexp_instr", args, I4, f"pgsvc_regexp_instr{len(args)}({{args}})")
    for args in ([T, T], [T, T, I4], [T, T, I4, I4], [T, T, I4, I4, T], [T, T, I4, I4, T, I4]):
        f("regexp_substr", args, T, f"pgsvc_regexp_substr{len(args)}({{args}})")
    f("regexp_like", [T, T], B, "pgsvc_regexp_like2({0}, {1})")
    f("regexp_like", [T, T, T], B, "pgsvc_regexp_like3({0}, {1}, {2})")
    f("regexp_split_to_array", [T, T], TA, "pgsvc_regexp_split_to_array2({0}, {1})")
    f("regexp_split_to_array", [T, T, T], TA, "pgsvc_regexp_split_to_array3({0}, {1}, {2})")
    f("regexp_split_to_table", [T, T], T, "", kind="set", generator=regexp_funcs.split_to_table_rows)
    f("regexp_split_to_table", [T, T, T], T, "", kind="set", generator=regexp_funcs.split_to_table_rows)
    f("regexp_match", [T, T], TA, "pgsvc_regexp_match({0}, {1}, '')")
    f("regexp_match", [T, T, T], TA, "pgsvc_regexp_match({0}, {1}, {2})")
    f("regexp_matches", [T, T], TA, "", kind="set", generator=regexp_matches_rows)
    f("regexp_matches", [T, T, T], TA, "", kind="set", generator=regexp_matches_rows)
    f("string_to_array", [T, T], TA, "pgsvc_string_to_array({0}, {1}, NULL)", strict=False)
    f("string_to_array", [T, T, T], TA, "pgsvc_string_to_array({0}, {1}, {2})", strict=False)
    f("array_to_string", [A, T], T, "pgsvc_array_to_string({0}, {1}, NULL, {argtype0})", volatility="s")
    f("array_to_string", [A, T, T], T, "pgsvc_array_to_string({0}, {1}, {2}, {argtype0})", strict=False,
      volatility="s")
    f("encode", [O.BYTEA, T], T, "pgsvc_encode({0}, {1})")
    f("convert_to", [T, O.NAME], O.BYTEA, "pgsvc_convert_to({0}, {1})")
    f("convert_from", [O.BYTEA, O.NAME], T, "pgsvc_convert_from({0}, {1})")
    f("convert", [O.BYTEA, O.NAME, O.NAME], O.BYTEA, "pgsvc_convert({0}, {1}, {2})")
    f("decode", [T, T], O.BYTEA, "pgsvc_decode({0}, {1})")
    # math
    for t in (O.INT2, I4, I8):
        f("abs", [t], t, f"{INT_CHECK[t]}(abs({{0}}))")  # abs(-32768::int2) overflows as @ does
    f("abs", [F8], F8, "pgsvc_float_abs({0})")  # NaN is stored as 'NaN', SQLite's abs() read 0
    f("abs", [N], N, "pgsvc_numeric_abs({0})")
    f("round", [F8], F8, "pgsvc_round_float({0})")
    f("round", [N], N, "pgsvc_round({0}, 0)")
    f("round", [N, I4], N, "pgsvc_round({0}, {1})")
    f("trunc", [F8], F8, "pgsvc_trunc_float({0})")
    f("trunc", [N], N, "pgsvc_trunc({0}, 0)")
    f("trunc", [N, I4], N, "pgsvc_trunc({0}, {1})")
    for name in ("ceil", "ceiling", "floor"):
        fn = "ceil" if name != "floor" else "floor"
        f(name, [F8], F8, f"pgsvc_{fn}_float({{0}})")
        f(name, [N], N, f"pgsvc_{fn}({{0}})")
    for name in ("sqrt", "exp", "ln", "log10", "sin", "cos", "tan", "cot", "asin", "acos", "atan",
                 "cbrt", "degrees", "radians", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh"):
        f(name, [F8], F8, f"pgsvc_math_{name}({{0}})")
    f("log", [F8], F8, "pgsvc_math_log10({0})")
    f("float8send", [F8], O.BYTEA, "pgsvc_float8send({0})")
    f("float4send", [O.FLOAT4], O.BYTEA, "pgsvc_float4send({0})")
    f("power", [F8, F8], F8, "pgsvc_float_pow({0}, {1})")
    f("pow", [F8, F8], F8, "pgsvc_float_pow({0}, {1})")
    f("power", [N, N], N, "pgsvc_numeric_pow({0}, {1})")
    f("atan2", [F8, F8], F8, "pgsvc_math_atan2({0}, {1})")
    for t, bits in ((O.INT2, 16), (I4, 32), (I8, 64)):
        f("mod", [t, t], t, "pgsvc_int_mod({0}, {1})")
        if t != O.INT2:  # PostgreSQL has gcd/lcm for integer, bigint (and numeric) only
            f("gcd", [t, t], t, f"pgsvc_gcd({{0}}, {{1}}, {bits})")
            f("lcm", [t, t], t, f"pgsvc_lcm({{0}}, {{1}}, {bits})")
    f("mod", [N, N], N, "pgsvc_numeric_mod({0}, {1})")
    f("div", [N, N], N, "pgsvc_numeric_div_trunc({0}, {1})")
    f("scale", [N], I4, "pgsvc_numeric_scale({0})")
    for name in ("sqrt", "exp", "ln"):  # (functions.numeric_math: numeric.c's result scales)
        f(name, [N], N, f"pgsvc_numeric_{name}({{0}})")
    f("log", [N, N], N, "pgsvc_numeric_log({0}, {1})")
    f("log", [N], N, "pgsvc_numeric_log('10', {0})")
    f("log10", [N], N, "pgsvc_numeric_log('10', {0})")
    f("min_scale", [N], I4, "pgsvc_numeric_min_scale({0})")
    f("trim_scale", [N], N, "pgsvc_numeric_trim_scale({0})")
    f("sign", [F8], F8, "pgsvc_sign({0})")
    f("sign", [N], N, "pgsvc_sign_numeric({0})")
    f("pi", [], F8, "3.141592653589793")
    f("random", [], F8, "pgsvc_random()", volatility="v")
    f("width_bucket", [F8, F8, F8, I4], I4, "pgsvc_width_bucket({0}, {1}, {2}, {3})")
    # date/time
    for name in ("now", "current_timestamp", "transaction_timestamp"):
        f(name, [], TZ, "pgsvc_now()", volatility="s")
    f("statement_timestamp", [], TZ, "pgsvc_statement_timestamp()", volatility="s")
    f("clock_timestamp", [], TZ, "pgsvc_clock_timestamp()", volatility="v")
    f("localtimestamp", [], TS, "pgsvc_tstz_to_ts(pgsvc_now())", volatility="s")
    f("current_date", [], DT, "pgsvc_tstz_to_date(pgsvc_now())", volatility="s")
    f("date_trunc", [T, TS], TS, "pgsvc_date_trunc({0}, {1}, 0)")
    f("date_trunc", [T, TZ], TZ, "pgsvc_date_trunc({0}, {1}, 1)", volatility="s")
    f("date_trunc", [T, IV], IV, "pgsvc_date_trunc_interval({0}, {1})")
    f("date_trunc", [T, TZ, T], TZ, "pgsvc_date_trunc_zone({0}, {1}, {2})")  # (functions.zone_trunc)
    f("date_bin", [IV, TS, TS], TS, "pgsvc_date_bin({0}, {1}, {2})")
    f("date_bin", [IV, TZ, TZ], TZ, "pgsvc_date_bin({0}, {1}, {2})")
    for t, code in ((TS, 0), (TZ, 1), (DT, 2), (IV, 3), (O.TIME, 4), (O.TIMETZ, 5)):
        f("date_part", [T, t], F8, f"pgsvc_date_part({{0}}, {{1}}, {code}, 0)")
        f("extract", [T, t], N, f"pgsvc_date_part({{0}}, {{1}}, {code}, 1)")
        if t != O.TIMETZ:
            low, high = (D.DATE_NOBEGIN, D.DATE_NOEND) if t == DT else (D.NOBEGIN, D.NOEND)
            f("isfinite", [t], B, f"({{0}} > {low} AND {{0}} < {high})" if t != IV else "1")
    f("age", [TS, TS], IV, "pgsvc_age({0}, {1})")
    f("age", [TZ, TZ], IV, "pgsvc_age({0}, {1})")
    f("make_date", [I4, I4, I4], DT, "pgsvc_make_date_checked({0}, {1}, {2})")
    f("make_timestamptz", [I4, I4, I4, I4, I4, F8], TZ, "pgsvc_make_timestamptz6({args})", volatility="s")
    f("make_timestamptz", [I4, I4, I4, I4, I4, F8, T], TZ, "pgsvc_make_timestamptz7({args})", volatility="s")
    f("make_timestamp", [I4, I4, I4, I4, I4, F8], TS,
      "pgsvc_make_timestamp({0}, {1}, {2}, {3}, {4}, {5})")
    f("make_time", [I4, I4, F8], O.TIME, "pgsvc_make_time({0}, {1}, {2})")
    f("timestamptz", [DT, O.TIME], TZ, "pgsvc_ts_to_tstz(pgsvc_date_pl_time({0}, {1}))", volatility="s")
    f("timestamptz", [DT, O.TIMETZ], TZ, "pgsvc_date_pl_timetz(pgsvc_date_to_ts({0}), {1})")
    for t, plus in ((TS, "pgsvc_ts_pl_interval({0}, {1}, 0)"), (TZ, "pgsvc_ts_pl_interval({0}, {1}, 1)"),
                    (O.TIME, "pgsvc_time_pl_interval({0}, {1})")):
        end1, end2 = plus.format("{0}", "{1}"), plus.format("{2}", "{3}")
        f("overlaps", [t, t, t, t], B, "pgsvc_overlaps({0}, {1}, {2}, {3})", strict=False)
        f("overlaps", [t, IV, t, IV], B, f"pgsvc_overlaps({{0}}, {end1}, {{2}}, {end2})", strict=False)
        f("overlaps", [t, t, t, IV], B, f"pgsvc_overlaps({{0}}, {{1}}, {{2}}, {end2})", strict=False)
        f("overlaps", [t, IV, t, t], B, f"pgsvc_overlaps({{0}}, {end1}, {{2}}, {{3}})", strict=False)
    for n in range(8):  # (every parameter has a default: 0)
        f("make_interval", [I4, I4, I4, I4, I4, I4, F8][:n], IV,
          "pgsvc_make_interval(" + ", ".join([f"{{{i}}}" for i in range(n)] + ["0"] * (7 - n)) + ")")
    for name in ("justify_days", "justify_hours", "justify_interval"):
        f(name, [IV], IV, f"pgsvc_{name}({{0}})")
    f("to_timestamp", [F8], TZ, "pgsvc_to_timestamp_epoch({0})")
    f("pg_sleep", [F8], O.VOID, "pgsvc_pg_sleep({0})", volatility="v")
    # json
    for j, pre in ((JS, "json"), (JB, "jsonb")):
        f(f"{pre}_build_object", [O.ANY_], j, f"pgsvc_{pre}_build_object({{jsonargs}})",
          variadic_oid=O.ANY_, strict=False, volatility="s")
        f(f"{pre}_build_array", [O.ANY_], j, f"pgsvc_{pre}_build_array({{jsonargs}})",
          variadic_oid=O.ANY_, strict=False, volatility="s")
        f(f"{pre}_typeof", [j], T, "pgsvc_json_typeof({0})")
        f(f"{pre}_object", [TA], j, f"pgsvc_json_object({{0}}, {int(j == JB)})")
        f(f"{pre}_object", [TA, TA], j, f"pgsvc_json_object_two({{0}}, {{1}}, {int(j == JB)})")
        f(f"{pre}_array_length", [j], I4, "pgsvc_json_array_length({0})")
        f(f"{pre}_extract_path", [j, TA], j, f"pgsvc_json_path({{0}}, {{1}}, {int(j == JB)})",
          variadic_oid=T)
        f(f"{pre}_extract_path_text", [j, TA], T, f"pgsvc_json_path_text{'' if j == JB else '_raw'}({{0}}, {{1}})",
          variadic_oid=T)
    f("to_json", [E], JS, "pgsvc_to_json({0}, {argtype0})", volatility="s")
    f("array_to_json", [A], JS, "pgsvc_to_json({0}, {argtype0})", volatility="s")
    f("array_to_json", [A, B], JS, "pgsvc_json_pretty_top(pgsvc_to_json({0}, {argtype0}), {1})", volatility="s")
    # row_to_json(record): declared over anyelement so that the composite's own type reaches the UDF
    f("row_to_json", [E], JS, "pgsvc_row_to_json({0}, {argtype0}, 0)", volatility="s")
    f("row_to_json", [E, B], JS, "pgsvc_row_to_json({0}, {argtype0}, {1})", volatility="s")
    f("to_jsonb", [E], JB, "pgsvc_to_json({0}, {argtype0})", volatility="s")
    f("jsonb_pretty", [JB], T, "pgsvc_jsonb_pretty({0})")
    # arrays
    f("array_length", [A, I4], I4, "pgsvc_array_length({0}, {1})")
    f("cardinality", [A], I4, "pgsvc_cardinality({0})")
    f("array_position", [A, E], I4, "pgsvc_array_position({0}, {1}, {argtype0})", strict=False)
    f("array_remove", [A, E], A, "pgsvc_array_remove({0}, {1}, {argtype0})", strict=False)
    f("array_position", [A, E, I4], I4, "pgsvc_array_position({0}, {1}, {argtype0}, {2}, 1)", strict=False)
    f("array_positions", [A, E], O.ARRAY_INT4, "pgsvc_array_positions({0}, {1}, {argtype0})", strict=False)
    f("array_replace", [A, E, E], A, "pgsvc_array_replace({0}, {1}, {2}, {argtype0})", strict=False)
    f("trim_array", [A, I4], A, "pgsvc_trim_array({0}, {1})")
    f("array_append", [A, E], A, "pgsvc_array_append({0}, {1})", strict=False)
    f("array_prepend", [E, A], A, "pgsvc_array_prepend({0}, {1})", strict=False)
    f("array_cat", [A, A], A, "pgsvc_array_cat({0}, {1})", strict=False)
    f("width_bucket", [E, A], I4, "pgsvc_width_bucket_array({0}, {1}, {argtype0}, {argtype1})")
    f("array_fill", [E, O.ARRAY_INT4], A, "pgsvc_array_fill({0}, {argtype0}, {1}, '*')", strict=False)
    f("array_fill", [E, O.ARRAY_INT4, O.ARRAY_INT4], A, "pgsvc_array_fill({0}, {argtype0}, {1}, {2})",
      strict=False)
    f("unnest", [A], E, "", kind="set", generator=J.unnest_rows)
    f("string_to_table", [T, T], T, "", kind="set", generator=J.string_to_table_rows, strict=False)
    f("string_to_table", [T, T, T], T, "", kind="set", generator=J.string_to_table_rows, strict=False)
    f("generate_series", [I4, I4], I4, "", kind="set", generator=generate_series)
    f("generate_series", [I4, I4, I4], I4, "", kind="set", generator=generate_series)
    f("generate_series", [I8, I8], I8, "", kind="set", generator=generate_series)
    f("generate_series", [I8, I8, I8], I8, "", kind="set", generator=generate_series)
    f("generate_series", [N, N], N, "", kind="set", generator=generate_series_numeric)
    f("generate_series", [N, N, N], N, "", kind="set", generator=generate_series_numeric)
    f("generate_series", [TS, TS, IV], TS, "", kind="set", generator=None)
    f("generate_series", [TZ, TZ, IV], TZ, "", kind="set", generator=None, volatility="s")
    # misc
    f("gen_random_uuid", [], O.UUID, "pgsvc_gen_random_uuid()", volatility="v")
    f("version", [], T, f"'PostgreSQL {PG_COMPAT_VERSION} (pgsvc)'", volatility="s")
    return s


def generate_series(start, stop, step=1):
    if step == 0:
        raise SqlError("22023", "step size cannot equal zero")
    if start is None or stop is None or step is None:
        return
    value = start
    while (value <= stop) if step > 0 else (value >= stop):
        yield value
        value += step


def generate_series_numeric(start, stop, step="1"):
    """PostgreSQL's generate_series_step_numeric: strict; NaN and infinity refused in each
    argument (22023) before any row, as numeric.c checks them."""
    if start is None or stop is None or step is None:
        return
    a, b, s = dec(start), dec(stop), dec(step)
    for value, what in ((a, "start value"), (b, "stop value"), (s, "step size")):
        if value.is_nan():
            raise SqlError("22023", f"{what} cannot be NaN")
        if value.is_infinite():
            raise SqlError("22023", f"{what} cannot be infinity")
    if s.is_zero():
        raise SqlError("22023", "step size cannot equal zero")
    while (a <= b) if s > 0 else (a >= b):
        yield num_out(a)
        a += s


def regexp_matches_rows(text, pattern, flags=""):
    if text is None or pattern is None:
        return
    rx = pg_regex(pattern, flags or "")
    matches = rx.finditer(text) if "g" in (flags or "") else [rx.search(text)]
    for m in matches:
        if m is None:
            return
        # a Python list: the callers store it as text[] (yielding the stored form here made
        # them store a JSON string as an array of its characters)
        yield list(m.groups()) if rx.groups else [m.group(0)]


def _by_name() -> dict[str, list[FuncSig]]:
    out: dict[str, list[FuncSig]] = {}
    for sig in _sigs():
        out.setdefault(sig.name, []).append(sig)
    return out


FUNCTIONS: dict[str, list[FuncSig]] = _by_name()
