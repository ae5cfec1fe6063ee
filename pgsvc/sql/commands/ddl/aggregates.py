"""CREATE AGGREGATE name (input types) (SFUNC = f, STYPE = t [, FINALFUNC = ff]
[, INITCOND = text] ...), and the old form with BASETYPE: a routine of kind 'a' and its
pg_aggregate row (catalog.user_aggregates). Its calls: translate.user_aggregates.

Checked as PostgreSQL's DefineAggregate / AggregateCreate checks: SFUNC and STYPE given, the
transition function sfunc(stype, inputs...) found and returning stype, the final function
ffunc(stype) found, the initial value valid input of stype, a strict transition function
without an initial value only where the first input can be the state. Options PostgreSQL
uses for plans or parallel query only (COMBINEFUNC, SERIALFUNC, DESERIALFUNC, PARALLEL,
SSPACE, the moving-aggregate functions, SORTOP, FINALFUNC_MODIFY) are accepted and take no
part; polymorphic ones are checked with integer standing in for their types; ordered-set and
hypothetical aggregates and FINALFUNC_EXTRA are refused (0A000). CREATE OR REPLACE keeps the
OID (ProcedureCreate's checks: commands.ddl.routines).
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import routines as CR
from pgsvc.sql.catalog.user_aggregates import AggregateDef, insert_aggregate
from pgsvc.sql.commands.ddl import routine_defs as D
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.routine_match import POLYMORPHIC
from pgsvc.sql.translate.user_aggregates import check_final, check_transition, initial_sql
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type
from pgsvc.sql.types.usertypes import base_of

_IGNORED = {"combinefunc", "serialfunc", "deserialfunc", "parallel", "sspace", "msfunc", "minvfunc", "mstype",
            "msspace", "mfinalfunc", "mfinalfunc_extra", "mfinalfunc_modify", "minitcond", "sortop",
            "finalfunc_modify"}


def _function_name(arg) -> tuple:
    """SFUNC = name or schema.name (argument types, if given, are not needed to find it)."""
    names = [n.sval for n in arg.names] if isinstance(arg, ast.TypeName) else [arg.sval]
    if len(names) > 2:
        raise SqlError("42601", f"improper qualified name (too many dotted names): {'.'.join(names)}")
    return (names[0] if len(names) == 2 else None, names[-1], ())


def _text(arg) -> str:
    if isinstance(arg, ast.String):
        return arg.sval
    if isinstance(arg, ast.Integer):
        return str(arg.ival)
    if isinstance(arg, ast.Float):
        return arg.fval
    if isinstance(arg, ast.TypeName):
        return ".".join(n.sval for n in arg.names)
    raise SqlError("42601", "invalid aggregate option value")


def create_aggregate(d, node: ast.DefineStmt) -> None:
    names = [n.sval for n in node.defnames]
    schema = d.routine_schema(names)
    name = names[-1]
    tr = Translator(d.engine, d.cat, [])
    opts: dict = {}
    for el in node.definition or ():
        key = el.defname.lower()
        if key in _IGNORED:
            continue
        if key not in ("sfunc", "stype", "finalfunc", "initcond", "basetype", "finalfunc_extra", "hypothetical"):
            d.engine.session.notice(SqlNotice(f'aggregate attribute "{el.defname}" not recognized',
                                              severity="WARNING", sqlstate="42601"))
            continue
        opts[key] = el.arg
    if node.oldstyle:
        base = opts.get("basetype")
        if base is None:
            raise SqlError("42P13", "aggregate input type must be specified")
        inputs = [] if _text(base).lower() == "any" else [D.param_type(d.engine, base, tr)]
    else:
        args, direct = node.args[0], node.args[1]
        if isinstance(direct, ast.Integer) and direct.ival >= 0 or "hypothetical" in opts:
            raise SqlError("0A000", "ordered-set aggregates written with CREATE AGGREGATE are not supported")
        inputs = [D.param_type(d.engine, p.argType, tr) for p in args or ()]
    if "finalfunc_extra" in opts:
        raise SqlError("0A000", "FINALFUNC_EXTRA is not supported")
    if "sfunc" not in opts:
        raise SqlError("42P13", "aggregate sfunc must be specified")
    if "stype" not in opts:
        raise SqlError("42P13", "aggregate stype must be specified")
    stype = D.param_type(d.engine, opts["stype"], tr)
    if base_of(stype) in POLYMORPHIC and not any(t in POLYMORPHIC for t in inputs):
        compatible = base_of(stype) in (O.ANYCOMPATIBLE, O.ANYCOMPATIBLEARRAY, O.ANYCOMPATIBLENONARRAY)
        inputs_text = ("anycompatible, anycompatiblearray, anycompatiblenonarray, anycompatiblerange, or "
                       "anycompatiblemultirange") if compatible else \
            "anyelement, anyarray, anynonarray, anyenum, anyrange, or anymultirange"
        raise SqlError("42P13", "cannot determine transition data type", detail=f"A result of type "
                       f"{format_type(stype, None)} requires at least one input of type {inputs_text}.")
    sfunc = _function_name(opts["sfunc"])
    strict, sfunc_oid = check_transition(tr, sfunc, stype, inputs)
    finalfn = _function_name(opts["finalfunc"]) if "finalfunc" in opts else None
    rettype, finalfn_oid = check_final(tr, finalfn, stype) if finalfn is not None else (stype, 0)
    initval = _text(opts["initcond"]) if "initcond" in opts else None
    if initval is not None:
        if base_of(stype) not in POLYMORPHIC:
            initial_sql(tr, initval, base_of(stype))  # its input errors now, as PostgreSQL's
    elif strict and (not inputs or base_of(inputs[0]) != base_of(stype)):
        raise SqlError("42P13", "must not omit initial value when transition function is strict and "
                       "transition type is not compatible with input type")
    r = CR.Routine(0, schema, d.cat.schemas[schema], name, "a", "internal", volatile="i", parallel="u",
                   cost=1.0, rettype=rettype, argtypes=tuple(inputs), src="aggregate_dummy", owner=d.creator())
    old = CR.find_exact(d.cat, schema, name, r.argtypes)
    if old is not None:
        if not node.replace:
            raise SqlError("42723", f'function "{name}" already exists with same argument types')
        d.check_replace(old, r)  # commands.ddl.routines: kind, result type
        r.oid, r.owner, r.acl = old.oid, old.owner, old.acl
        CR.replace_routine(d.conn, r)
    else:
        r.oid = C.new_oid(d.conn)
        CR.insert_routine(d.conn, r)
        C.set_owner_acl(d.conn, r.oid, r.owner, None)
    insert_aggregate(d.conn, AggregateDef(r.oid, sfunc, finalfn, stype, initval, sfunc_oid, finalfn_oid))
    d.refresh()
