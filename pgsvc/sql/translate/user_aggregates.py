"""Calls of user-defined aggregates (CREATE AGGREGATE, catalog.user_aggregates).

The transition and final functions are calls like any other, translated here with the
state and the inputs as parameters ?1, ?2, ... (a user function becomes pgsvce_fcall, a
built-in one its own SQL); the call of the aggregate becomes

  pgsvce_uagg_result(final, pgsvce_uagg(transition, input...) [FILTER (WHERE ...)])

where transition and final are JSON naming that SQL, the functions' strictness and the
initial state, and the engine's aggregate pgsvce_uagg (pgsvc.sql.exec.user_aggregates)
runs the transition row by row on the same connection, as PostgreSQL's
advance_transition_function does: a strict transition function skips rows with a NULL
input, takes the first input as the state when there is no initial value, and leaves a
NULL state alone. pgsvce_uagg_result applies the final function (to the initial state
over no rows, which SQLite never asks the aggregate for).
"""

from __future__ import annotations

import json
from copy import copy

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.system.procs import proc_row, procs_named
from pgsvc.sql.catalog.user_aggregates import aggregate_of
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import Ex, sql_literal
from pgsvc.sql.translate.names import Scope
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import find_oid, format_type
from pgsvc.sql.types.usertypes import base_of


def function_sql(tr, fn: tuple, arg_oids: list[int]) -> tuple[Ex, bool, int]:
    """fn(?1, ?2, ...) over arguments of these types: (its Ex, whether fn is strict, its
    pg_proc OID). fn is (schema or None, name, declared argument types)."""
    schema, name = fn[0], fn[1]
    names = [schema, name] if schema else [name]
    call = ast.FuncCall(funcname=tuple(ast.String(sval=n) for n in names),
                        args=tuple(ast.ParamRef(number=i + 1) for i in range(len(arg_oids))), location=-1)
    saved = tr.scope, tr.routine_params
    tr.scope, tr.routine_params = Scope(), [Ex(f"?{i + 1}", t) for i, t in enumerate(arg_oids)]
    try:
        ex = tr.expr(call)
        strict, oid = True, 0
        found = tr.find_user_routine(call, names) if tr.catalog.routines_named else None
        if found is not None:
            strict, oid = found[0].routine.strict, found[0].routine.oid
        else:
            try:
                sig = R.resolve_function(name, list(arg_oids))
            except SqlError:
                sig = None
            if sig is not None:
                strict = sig.strict
                oid = next((o for o in procs_named(name) if tuple(proc_row(o)[3]) == tuple(sig.arg_oids)), 0)
    finally:
        tr.scope, tr.routine_params = saved
    return ex, strict, oid


def initial_sql(tr, text: str | None, stype: int) -> str | None:
    if text is None:
        return None
    return tr.coerce(Ex(sql_literal(text), O.UNKNOWN, lit=text), stype).sql


def user_aggregate_call(tr, node: ast.FuncCall, r, inputs: list[Ex], arg_oids, ret: int, pos) -> Ex:
    agg = aggregate_of(tr.engine.conn, r)
    if agg is None:
        raise SqlError("XX000", f"cache lookup failed for aggregate {r.oid}")
    if node.over is not None and (node.agg_distinct or node.agg_order):
        raise SqlError("0A000", "DISTINCT is not implemented for window functions" if node.agg_distinct
                       else "aggregate ORDER BY is not implemented for window functions", position=pos)
    stype = actual_state_type(agg.transtype, r.argtypes, arg_oids)
    step, step_strict, _ = function_sql(tr, agg.transfn, [stype] + list(arg_oids))
    final = final_strict = None
    if agg.finalfn is not None:
        final_ex, final_strict, _ = function_sql(tr, agg.finalfn, [stype])
        final = tr.coerce(final_ex, ret).sql
    init = None if agg.initval is None else "SELECT " + initial_sql(tr, agg.initval, stype)
    literal = sql_literal(json.dumps({"s": "SELECT " + tr.coerce(step, stype).sql, "ss": step_strict, "i": init}))
    final_spec = sql_literal(json.dumps({"f": None if final is None else "SELECT " + final, "fs": final_strict,
                                         "i": init}))
    if node.over is not None:
        return Ex(f"pgsvce_uagg_result({final_spec}, {frame_sql(tr, node, literal, inputs, pos)})", ret,
                  name=r.name)
    head = "pgsvce_uagg(" + literal
    if node.agg_distinct or node.agg_order:
        head = f"pgsvce_uagg_ordered({literal}, {ordering_sql(tr, node)}"
        node = _plain(node)  # its DISTINCT and ORDER BY are the wrapper's now
    sig = FuncSig(r.name, tuple(arg_oids), ret, head.replace("{", "{{").replace("}", "}}")
                  + "".join(f", {{{i}}}" for i in range(len(inputs))) + ")", kind="aggregate")
    ex = tr.aggregate_call(node, sig, sig.emit, [i.sql for i in inputs], ret, r.name, pos,
                           nested=any(i.has_agg for i in inputs))
    return Ex(f"pgsvce_uagg_result({final_spec}, {ex.sql})", ret, name=r.name, has_agg=ex.has_agg)


def _looked_up(tr, fn: tuple, arg_oids: list[int]) -> tuple[Ex, bool, int]:
    """function_sql for CREATE AGGREGATE: PostgreSQL's lookup errors there have no hint."""
    try:
        return function_sql(tr, fn, arg_oids)
    except SqlError as err:
        if err.sqlstate == "42883":
            err.hint = err.position = None
        raise


def frame_sql(tr, node: ast.FuncCall, literal: str, inputs: list[Ex], pos) -> str:
    """agg(x) [FILTER (...)] OVER w: the frame's rows by group_concat (functions.window_aggs'
    way), the transition run over them by pgsvce_uagg_frame."""
    if tr.in_window_ok is False or tr.agg_forbidden == "WHERE":
        raise SqlError("42P20", "window functions are not allowed in WHERE", position=pos)
    filt = ""
    if node.agg_filter is not None:
        saved, tr.agg_forbidden = tr.agg_forbidden, "FILTER"
        try:
            filt = f" FILTER (WHERE {tr.bool_expr(node.agg_filter, 'FILTER').sql})"
        finally:
            tr.agg_forbidden = saved
    row = "||','||".join(f"quote({i.sql})" for i in inputs) if inputs else "'NULL'"
    return (f"pgsvce_uagg_frame({literal}, group_concat({row}, ','){filt} OVER {tr.window_def(node.over)}, "
            f"{len(inputs)}, {int(pos or 0)})")


def ordering_sql(tr, node: ast.FuncCall) -> str:
    """'spec', distinct, json_array(keys) of agg(DISTINCT x ORDER BY k): per key its kind
    (n numeric, f float, t any other stored form), a/d and nulls f/l, as pgsvce_ordagg's."""
    if node.agg_distinct and node.agg_order:
        tr.check_distinct_order(node)
    keys, spec = [], ""
    if node.agg_distinct and not node.agg_order:  # DISTINCT sorts by the inputs themselves
        for a in node.args or ():
            k = tr.finalize_unknown(tr.expr(a))
            keys.append(k.sql)
            spec += ("n" if k.oid == O.NUMERIC else "f" if k.oid in (O.FLOAT4, O.FLOAT8) else "t") + "al"
    for sb in node.agg_order or ():
        _, suffix = tr.sort_parts(sb)
        k = tr.finalize_unknown(tr.expr(sb.node))
        keys.append(k.sql)
        desc = " DESC" in suffix
        nulls_first = "NULLS FIRST" in suffix or (desc and "NULLS LAST" not in suffix)
        kind = "n" if k.oid == O.NUMERIC else "f" if k.oid in (O.FLOAT4, O.FLOAT8) else "t"
        spec += kind + ("d" if desc else "a") + ("f" if nulls_first else "l")
    return f"{sql_literal(spec)}, {int(bool(node.agg_distinct))}, json_array({', '.join(keys)})"


def _plain(node: ast.FuncCall) -> ast.FuncCall:
    out = copy(node)
    out.agg_distinct, out.agg_order = False, None
    return out


_ELEMENT_FAMILY = {O.ANYELEMENT: O.INT4, O.ANYNONARRAY: O.INT4, O.ANYCOMPATIBLE: O.INT4,
                   O.ANYCOMPATIBLENONARRAY: O.INT4, O.ANYARRAY: O.ARRAY_INT4, O.ANYCOMPATIBLEARRAY: O.ARRAY_INT4}


def actual_state_type(stype: int, declared, actual) -> int:
    """The state's type in a call: a polymorphic one resolved from the inputs' types."""
    stype = base_of(stype)
    if stype not in _ELEMENT_FAMILY:
        return stype
    elem = O.UNKNOWN
    for d, a in zip(declared, actual):
        if d in _ELEMENT_FAMILY and a != O.UNKNOWN:
            t = find_oid(a)
            elem = t.elem_oid if _ELEMENT_FAMILY[d] == O.ARRAY_INT4 and t is not None else a
            break
    if elem == O.UNKNOWN:
        elem = O.TEXT
    if _ELEMENT_FAMILY[stype] == O.ARRAY_INT4:
        t = find_oid(elem)
        return t.array_oid if t is not None and t.array_oid else O.UNKNOWN
    return elem


def check_transition(tr, fn: tuple, stype: int, inputs: list[int]) -> tuple[bool, int]:
    """CREATE AGGREGATE's checks of its transition function: (whether it is strict, its OID).
    Polymorphic types are checked as integer / integer[] stand in for them."""
    # (a domain input as its base type: a value of it is one; padd(int, pos) takes it)
    ex, strict, oid = _looked_up(tr, fn, [base_of(stype)] + [base_of(t) for t in inputs])
    if base_of(stype) in _ELEMENT_FAMILY or any(t in _ELEMENT_FAMILY for t in inputs):
        want = _ELEMENT_FAMILY.get(base_of(stype), base_of(stype))
        ex, _, _ = _looked_up(tr, fn, [want] + [_ELEMENT_FAMILY.get(t, t) for t in inputs])
        if ex.oid != want:
            raise SqlError("42804", f"return type of transition function {fn[1]} is not "
                           f"{format_type(stype, None)}")
        return strict, oid
    if ex.oid != base_of(stype):
        raise SqlError("42804", f"return type of transition function {fn[1]} is not {format_type(stype, None)}")
    return strict, oid


def check_final(tr, fn: tuple, stype: int) -> tuple[int, int]:
    """The final function's (result type, OID)."""
    ex, _, oid = _looked_up(tr, fn, [base_of(stype)])
    return ex.oid, oid
