"""Named arguments (name => value, name := value) to built-in functions whose pg_proc rows
name their parameters: the call rewritten with its arguments in declared order, the
declared defaults filling the rest (make_interval(days => 10)). Other calls are left alone."""

from __future__ import annotations

from pglast import ast

# name -> (parameter names in order, number of trailing parameters with defaults)
_PARAMS = {
    "make_interval": (("years", "months", "weeks", "days", "hours", "mins", "secs"), 7),
    "make_date": (("year", "month", "day"), 0),
    "make_time": (("hour", "min", "sec"), 0),
    "make_timestamp": (("year", "month", "mday", "hour", "min", "sec"), 0),
    "make_timestamptz": (("year", "month", "mday", "hour", "min", "sec", "timezone"), 1),
}


def has_named_parameters(names: list[str]) -> bool:
    return names[-1] in _PARAMS and (len(names) == 1 or names == ["pg_catalog", names[-1]])


def _default(name: str, param: str):
    if name == "make_interval":
        return ast.A_Const(val=ast.Float(fval="0.0")) if param == "secs" else ast.A_Const(val=ast.Integer(ival=0))
    return None  # make_timestamptz's zone: the positional form without it


def positional_call(node: ast.FuncCall, names: list[str]) -> ast.FuncCall | None:
    """The call with positional arguments, or None when it is no such call or cannot be
    matched (PostgreSQL's does-not-exist error then comes from the usual path)."""
    if len(names) == 2 and names[0] == "pg_catalog":
        names = names[1:]
    if len(names) != 1 or names[0] not in _PARAMS or node.agg_star or node.func_variadic:
        return None
    params, n_default = _PARAMS[names[0]]
    slots: list = [None] * len(params)
    for i, a in enumerate(node.args or ()):
        if isinstance(a, ast.NamedArgExpr):
            if a.name not in params or slots[params.index(a.name)] is not None:
                return None
            slots[params.index(a.name)] = a.arg
        elif i < len(params):
            slots[i] = a
        else:
            return None
    args = []
    for i, (p, v) in enumerate(zip(params, slots)):
        if v is None:
            if i < len(params) - n_default:
                return None
            v = _default(names[0], p)
            if v is None:
                if any(s is not None for s in slots[i:]):
                    return None
                break
        args.append(v)
    call = ast.FuncCall(funcname=node.funcname, args=tuple(args), location=node.location)
    call.agg_order, call.agg_filter, call.over = node.agg_order, node.agg_filter, node.over
    call.agg_within_group, call.agg_distinct, call.funcformat = False, False, node.funcformat
    return call
