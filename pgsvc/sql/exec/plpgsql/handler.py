"""The `plpgsql` language handler (catalog.routines' LanguageHandler), as PostgreSQL's
plpgsql_call_handler / plpgsql_validator / plpgsql_inline_handler:

  validate   at CREATE FUNCTION / PROCEDURE: the body is compiled (parsed, its declared
             types resolved); a syntax error points into the CREATE statement (its position
             in the body; commands.ddl.routines moves it), else says where it is with
             'compilation of PL/pgSQL function "f" near line n'. The SQL inside is checked
             for syntax only, as PostgreSQL does; names are resolved when it runs.
  call       one execution (a function from a statement, a procedure from CALL, a trigger
             with RoutineCall.trigger, a DO block: a Routine with oid 0). Errors leave with
             this function's CONTEXT line added ('PL/pgSQL function f(integer) line 5 at
             RAISE') after the lines of what it called.
  may_write  whether the body can change data (it runs INSERT/UPDATE/DELETE, DDL, dynamic
             SQL, COMMIT, CALL, or calls something that writes): the statement calling it
             then runs as a writer.
"""

from __future__ import annotations

import pglast
from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import routines as CR
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.exec.plpgsql import assign
from pgsvc.sql.exec.plpgsql.compiler import compile_function, cursor_names, emit_warnings, header_of, signature_of
from pgsvc.sql.exec.plpgsql.exprs import PREFIX
from pgsvc.sql.exec.plpgsql.frame import RETURN, Frame, Rec, add_context, shape_of
from pgsvc.sql.exec.plpgsql.source import Source, parse_body
from pgsvc.sql.translate import routine_match as M
from pgsvc.sql.translate.ex import Ex
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.pg_type import format_type

_WRITING_STMTS = {"PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors", "PLpgSQL_stmt_commit",
                  "PLpgSQL_stmt_rollback", "PLpgSQL_stmt_call"}
_WRITING_FUNCS = {"nextval", "setval", "pg_notify", "set_config", "pg_advisory_lock", "pg_advisory_xact_lock",
                  "pg_try_advisory_lock", "pg_try_advisory_xact_lock", "pg_advisory_lock_shared",
                  "pg_advisory_xact_lock_shared", "pg_advisory_unlock", "pg_advisory_unlock_all", "lo_create"}


def arg_types_of(routine, call) -> list[tuple[int, int]]:
    """(type, typmod) of every argument: IN from the call's resolved types, OUT from its
    result columns or the declaration with the call's polymorphic types put in."""
    out = []
    actual = list(call.arg_oids) if call is not None else list(routine.argtypes)
    poly = M.resolve_polymorphic(list(routine.argtypes), actual) or (0, 0)
    ins = iter(actual)
    outs = iter(t for _, t in call.columns) if call is not None and call.columns else None
    for t, m in zip(routine.all_types(), routine.modes()):
        if m in CR.INPUT_MODES:
            out.append((next(ins, t), -1))
            continue
        given = next(outs, t) if outs is not None else t
        if given in M.POLYMORPHIC:
            given = M.actual_type(t, poly)
        out.append((given, -1))
    return out


class PlpgsqlLanguage:
    """The handler (registered as `plpgsql` when this package is imported)."""

    # --- compilation --------------------------------------------------------------------

    def compiled(self, engine, r, call):
        if r.oid == 0:
            return self.compile(engine, r, call, validating=False)
        # (the current role too: row-level security's policies are part of a translation;
        # a trigger function is compiled per relation, as PostgreSQL's plpgsql does: its
        # statements read that relation's transition tables and row type)
        key = (tuple(call.arg_oids), call.ret_oid, tuple(call.columns), engine.catalog.version,
               str(engine.session.settings.get("search_path")), authz(engine).current_oid(),
               call.trigger.relid if call.trigger is not None else 0)
        cache = r.extra.setdefault("plpgsql", {})
        func = cache.get(key)
        if func is None:
            if len(cache) > 20:
                cache.clear()
            func = cache[key] = self.compile(engine, r, call, validating=False)
        return func

    def compile(self, engine, r, call, validating: bool):
        kind = "do" if r.oid == 0 else r.kind
        name = "inline_code_block" if r.oid == 0 else r.name
        signature = name if r.oid == 0 else signature_of(engine, r)
        ret = call.ret_oid if call is not None else r.rettype
        columns = call.columns if call is not None else r.output_columns()
        try:
            func = compile_function(engine, r if r.oid else _inline(r), kind, name, signature,
                                    arg_types_of(r, call) if r.oid else [], ret, columns, validating)
        except SqlError as err:
            raise compile_error(err, name, validating or r.oid == 0, r.src) from None
        emit_warnings(engine, func)
        func.arg_params = [Ex(f"?{d + 1}", func.datums[d].oid, func.datums[d].typmod) for d in func.arg_dnos]
        return func

    def validate(self, engine, r) -> None:
        if any(t in (O.ANYELEMENT, O.ANYARRAY, O.ANYNONARRAY, O.ANYENUM, O.ANYCOMPATIBLE, O.ANYCOMPATIBLEARRAY,
                     O.ANYCOMPATIBLENONARRAY) for t in r.all_types()):
            src = Source(r.src)
            src.declare_records(lambda text: False)
            src.rewrite_cursors(cursor_names(src))
            if any(m in ("o", "b", "t") for m in r.modes()):
                src.mark_return_next()
            try:
                parse_body(src, header_of(r, r.kind, []))
            except SqlError as err:
                raise compile_error(err, r.name, True, r.src) from None
            return
        self.compile(engine, r, None, validating=True)

    # --- may_write ------------------------------------------------------------------------

    def may_write(self, engine, r) -> bool:
        cached = r.extra.get("plpgsql_writes")
        if cached is not None:
            return cached
        r.extra["plpgsql_writes"] = False  # a recursive call asks again
        try:
            src = Source(r.src)
            src.declare_records(lambda text: False)
            src.rewrite_cursors(cursor_names(src))
            tree = parse_body(src, header_of(r, "p" if r.oid == 0 else r.kind, []))
            writes = self.tree_writes(engine, tree["action"])
        except SqlError:
            writes = r.volatile == "v"
        r.extra["plpgsql_writes"] = writes
        return writes

    def tree_writes(self, engine, node) -> bool:
        if isinstance(node, list):
            return any(self.tree_writes(engine, n) for n in node)
        if not isinstance(node, dict):
            return False
        for key, value in node.items():
            if key in _WRITING_STMTS:
                return True
            if key == "PLpgSQL_stmt_open" and value.get("dynquery"):
                return True
            if key == "PLpgSQL_stmt_return_query" and value.get("dynquery"):
                return True
            if key == "PLpgSQL_expr":
                if self.sql_writes(engine, value.get("query", ""), value.get("parseMode", 0)):
                    return True
                continue
            if self.tree_writes(engine, value):
                return True
        return False

    def sql_writes(self, engine, text: str, mode: int) -> bool:
        try:
            if mode == 0:
                nodes = [raw.stmt for raw in pglast.parse_sql(text)]
            else:
                nodes = [pglast.parse_sql(PREFIX + text.split(":=", 1)[-1] if mode >= 3 else PREFIX + text)[0].stmt]
        except pglast.parser.ParseError:
            return False
        for node in nodes:
            if not isinstance(node, ast.SelectStmt) or node.lockingClause:
                return True
            if self.calls_writer(engine, node):
                return True
        return False

    def calls_writer(self, engine, node) -> bool:
        if isinstance(node, ast.FuncCall):
            name = node.funcname[-1].sval
            if name in _WRITING_FUNCS:
                return True
            for r in engine.catalog.routines_named.get(name, ()):
                if CR.has_language(r.lang) and CR.language_handler(r.lang).may_write(engine, r):
                    return True
        if isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)):
            return True
        if isinstance(node, ast.Node):
            return any(self.calls_writer(engine, getattr(node, a)) for a in node)
        if isinstance(node, (list, tuple)):
            return any(self.calls_writer(engine, x) for x in node)
        return False

    # --- calls ------------------------------------------------------------------------------

    def call(self, engine, call):
        r = call.routine
        if r is not None and r.rettype == O.TRIGGER and call.trigger is None:
            err = SqlError("0A000", "trigger functions can only be called as triggers")
            err.pl_line = 1
            raise compile_error(err, r.name, False, r.src or "")
        func = self.compiled(engine, r, call)
        parent = getattr(engine, "plpgsql_frame", None)
        fr = Frame(func, engine, call, parent)
        fr.atomic = getattr(call, "atomic", True)
        engine.plpgsql_frame = fr
        try:
            return self.execute(fr, call)
        except SqlError as err:
            if not getattr(err, "pl_complete", False):
                add_context(err, fr.context())
            raise
        except RecursionError:
            raise
        except Exception as e:  # noqa: BLE001 - never a traceback for the client
            raise add_context(SqlError("XX000", f"internal error in PL/pgSQL: {type(e).__name__}: {e}"),
                              fr.context()) from None
        finally:
            engine.plpgsql_frame = parent

    def execute(self, fr: Frame, call):
        func = fr.func
        fr.err_text = "while storing call arguments into local variables"
        for dno, value in zip(func.in_dnos, call.args):
            fr.values[dno] = value
        if func.is_trigger and call.trigger is not None:
            self.trigger_setup(fr, call.trigger)
        fr.err_text = None
        fr.values[func.found_dno] = 0
        fr.err_stmt = func.action
        sig = func.action.run(fr)
        fr.err_stmt = None
        if sig is not RETURN and sig is not None:
            fr.err_text = None
            raise SqlError("2F005", "control reached end of function without RETURN")
        fr.err_text = "during function exit" if func.is_trigger else \
            "while casting return value to function's return type"
        out = self.result(fr, call)
        fr.err_text = None
        return out

    def trigger_setup(self, fr: Frame, td) -> None:
        func = fr.func
        shape = shape_of([(a.name, a.type_oid, a.typmod) for a in td.columns])
        for dno, row in ((func.new_dno, td.new), (func.old_dno, td.old)):
            fr.recs[dno] = Rec(shape, list(td.stored_row(row)) if row is not None else None)
        argv = list(td.args)
        to_arr = sqlite_adapter(O.ARRAY_TEXT)[0]
        values = {"tg_name": td.name, "tg_when": td.when, "tg_level": td.level, "tg_op": td.event,
                  "tg_relid": td.relid, "tg_relname": td.table_name, "tg_table_name": td.table_name,
                  "tg_table_schema": td.table_schema, "tg_nargs": len(argv),
                  "tg_argv": to_arr(argv) if to_arr else argv}
        for name, dno in func.tg_dnos.items():
            fr.values[dno] = values[name]
        fr.trigger = td

    def result(self, fr: Frame, call):
        func = fr.func
        if func.kind != "f":
            if call.columns:
                return tuple(fr.values[d] for d in func.out_dnos)
            return None
        if func.retset:
            return fr.rows
        res = fr.result
        if func.is_trigger:
            return self.trigger_result(fr, res)
        if call.columns:
            if res is None or res[0] == "value" and res[1] is None:
                return None
            if res[0] == "value":
                raise SqlError("42804", "cannot return non-composite value from function returning composite type")
            values = res[1]
            types = [t for _, t, _ in res[2]] if res[0] == "rec" else [None] * len(values)
            if values is None:
                return None
            if len(values) != len(call.columns):
                raise SqlError("42804", "returned record type does not match expected record type",
                               detail=f"Number of returned columns ({len(values)}) does not match expected "
                                      f"column count ({len(call.columns)}).")
            if res[0] == "rec":
                assign.check_row_type(res[2], call.routine, "returned record type does not match expected record type")
                if call.routine is None or call.routine.rowtype is None:  # a column definition list's types
                    assign.check_column_types(res[2], call.columns, "returned record type does not match "
                                              "expected record type")
            return tuple(v if t is None else assign.cast_value(fr, v, t, (ct, -1, 0))
                         for v, t, (_, ct) in zip(values, types, call.columns))
        ret = call.ret_oid
        if res is None or ret == O.VOID:
            return None
        if res[0] == "rec":
            if res[1] is None:
                return None
            text = fr.engine.record_text(res[1], [t for _, t, _ in res[2]])
            # a scalar result takes the row through its text (I/O conversion, as exec_cast_value)
            return text if assign.is_row_type(ret) else assign.cast_value(fr, text, O.TEXT, (ret, -1, 0))
        if res[0] == "row":
            if len(func.out_dnos) == 1:  # one OUT parameter: the result is its value
                return assign.cast_value(fr, res[1][0], func.datums[func.out_dnos[0]].oid, (ret, -1, 0))
            return fr.engine.record_text(res[1], [func.datums[d].oid for d in func.out_dnos])
        if res[1] is not None and res[2] != ret and assign.is_row_type(res[2]) and not assign.is_row_type(ret):
            text = assign.cast_value(fr, res[1], res[2], (O.TEXT, -1, 0))  # a row into a scalar: its text
            return assign.cast_value(fr, text, O.TEXT, (ret, -1, 0))
        return assign.cast_value(fr, res[1], res[2], (ret, -1, 0))

    def trigger_result(self, fr: Frame, res):
        td = fr.trigger
        if td is None or res is None or res[0] == "value" and res[1] is None:
            return None
        if res[0] == "value":  # a composite expression (RETURN COALESCE(NEW, OLD)): its text form
            values = parse_record_text(res[1])
            shape = [(a.name, O.TEXT, -1) for a in td.columns] if len(values) == len(td.columns) else None
        elif res[0] != "rec":
            raise SqlError("42804", "cannot return non-composite value from function returning composite type")
        else:
            values, shape = res[1], res[2]
        if values is None:
            return None
        if len(values) != len(td.columns):
            raise SqlError("42804", "returned row structure does not match the structure of the triggering table",
                           detail=f"Number of returned columns ({len(values)}) does not match expected column "
                                  f"count ({len(td.columns)}).")
        if res[0] == "rec":
            for i, ((_, t, _), a) in enumerate(zip(shape, td.columns)):
                if t not in (a.type_oid, a.domain_oid, O.UNKNOWN):
                    raise SqlError("42804", "returned row structure does not match the structure of the "
                                   "triggering table", detail=f"Returned type {format_type(t, -1)} does not "
                                   f"match expected type {format_type(a.domain_oid or a.type_oid, a.typmod)} in "
                                   f"column {i + 1}.")
        stored = tuple(assign.cast_value(fr, v, t, (a.type_oid, a.typmod, a.domain_oid))
                       for v, (_, t, _), a in zip(values, shape, td.columns))
        return td.python_row(stored)


def _inline(r):
    return r


def parse_record_text(text) -> list | None:
    """A composite value's text form, '(1,"a b",)', as its fields' texts (None for NULL)."""
    if text is None:
        return None
    s = str(text).strip()
    if len(s) < 2 or s[0] != "(" or s[-1] != ")":
        raise SqlError("22P02", f'malformed record literal: "{s}"')
    fields: list = []
    i, n = 1, len(s) - 1
    while True:
        buf, quoted = [], False
        while i < n and s[i] != ",":
            ch = s[i]
            if ch == '"':
                quoted = True
                i += 1
                while i < n:
                    if s[i] == '"' and i + 1 < n and s[i + 1] == '"' or s[i] == "\\" and i + 1 < n:
                        buf.append(s[i + 1])
                        i += 2
                    elif s[i] == '"':
                        i += 1
                        break
                    else:
                        buf.append(s[i])
                        i += 1
                continue
            buf.append(ch)
            i += 1
        fields.append("".join(buf) if buf or quoted else None)
        if i >= n:
            return fields
        i += 1


def compile_error(err: SqlError, name: str, validating: bool, src: str) -> SqlError:
    """A compilation error as PostgreSQL reports it: at CREATE, its position in the body
    (moved into the statement by the caller) and no CONTEXT; at run time, the body as
    internal query and the 'compilation of PL/pgSQL function' CONTEXT line."""
    line = getattr(err, "pl_line", None)
    err.pl_compile = True
    if validating and err.position is not None:
        return err
    if err.position is not None:
        err.internal_position, err.internal_query, err.position = err.position, src, None
    where = f'compilation of PL/pgSQL function "{name}" near line {line}' if line is not None else \
        f'compilation of PL/pgSQL function "{name}"'
    return add_context(err, where)


__all__ = ["PlpgsqlLanguage", "compile_error"]
