"""Statements' execution: the dispatch from a pglast node to its translation (a
pgsvc.sql.statement.Statement), and running translated SQL on SQLite
inside the right transaction (see pgsvc.sql.exec.txn) with parameter/result conversion
between Python values and stored forms.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import partial
from typing import Any, Iterator

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import regtypes
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.partitions import constraint_text as partition_constraint
from pgsvc.sql.catalog.regtypes import reg_in
from pgsvc.sql.catalog.rules import has_rules
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.catalog.system import relations as pg_relations
from pgsvc.sql.commands.columns import to_column
from pgsvc.sql.types.composite import with_types
from pgsvc.sql.commands.ddl.sqlite_schema import check_sql, index_key_sql, index_pred_sql
from pgsvc.sql.commands.utility import translate_utility
from pgsvc.sql.exec import diagnose
from pgsvc.sql.exec.rule_dml import rule_statement, settings_target
from pgsvc.sql.exec.trigger_dml import run_trigger_statement
from pgsvc.sql.pg_functions import describe
from pgsvc.sql.pg_functions.catalog_funcs import end_statement_locals
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.statement import Result, Statement, convert_rows
from pgsvc.sql.translate import Translator
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.textio import decode_text

_PARAM_RE = re.compile(r"\?(\d+)")
_REG_TYPES = O.REG_OIDS | frozenset(O.REG_ARRAYS)  # a lifted literal of these is looked up by name


class Runner:
    """Mixed into Engine: translation dispatch and execution."""

    def translate_stmt(self, text: str, node, param_oids: list[int], literals, fixed: bool = False) -> Statement:
        tr = Translator(self, self.catalog, param_oids, literals)
        tr.fixed_params = fixed  # a simple query's statement has no parameters: $1 is 42P02
        if isinstance(node, ast.SelectStmt) and node.intoClause is None:
            q = tr.select(node)
            stmt = Statement(text, "SELECT", [to_column(c) for c in q.columns])
            stmt.sqlite_sql = q.sql
            if "wcte" in q.extra:  # data-modifying WITH queries: the engine runs them (exec.wcte)
                stmt.extra["trigger_spec"] = q.extra["wcte"]
                stmt.handler = run_trigger_statement
            shapes = tr.record_types(q.columns)  # ROW(...) columns: their fields' types (record_send)
            if shapes:
                stmt.extra["record_types"] = shapes
        elif isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)) and \
                (has_rules(self.catalog) or settings_target(node)) and \
                (ruled := rule_statement(self, tr, text, node if settings_target(node) else
                                         tr.view_rule_target(node) or node)) is not None:
            stmt = ruled  # rewritten by rules into several statements (exec.rule_dml)
        elif isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)):
            d = {ast.InsertStmt: tr.insert, ast.UpdateStmt: tr.update, ast.DeleteStmt: tr.delete,
                 ast.MergeStmt: tr.merge}[type(node)](node)
            stmt = Statement(text, d.command, [to_column(c) for c in d.returning] if d.returning else None)
            stmt.sqlite_sql = d.sql
            stmt.returning = d.returning is not None
            stmt.extra["relid"] = d.relation.oid
            if d.trigger_spec is not None:  # a relation with triggers (exec.trigger_dml)
                stmt.extra["trigger_spec"] = d.trigger_spec
                stmt.handler = run_trigger_statement
        else:
            if literals:
                tr.cacheable = False  # utility statements are translated from their own text
            stmt = translate_utility(self, tr, text, node)
        own_writes = stmt.writes or tr.writes
        stmt.writes = own_writes or tr.fn_writes
        if tr.fn_writes and not own_writes:
            # only the functions it calls may write (exec.routines): the statement runs as a
            # writer, and what the functions run checks a read-only transaction itself
            stmt.extra["fn_writes"] = True
        if tr.xact_scoped:
            stmt.extra["xact_scoped"] = True  # never an autocommit read: its transaction ends it
        if tr.privs_needed:
            stmt.extra["privs"] = tuple(tr.privs_needed) + tuple(stmt.extra.get("privs", ()))
        stmt.cacheable = tr.cacheable
        stmt.param_oids = tr.param_oids
        stmt.node = node
        if tr.syscat_used:
            stmt.extra["syscat"] = tr.syscat_used  # pg_catalog relations to refresh at execution
        stmt.version = self.catalog.version
        self.finish_types(stmt)
        return stmt

    def finish_types(self, stmt: Statement) -> None:
        """A statement's unresolved parameter types become text; precompute its value converters."""
        # SQLite wants exactly as many values as the highest ?NNN used; PostgreSQL allows
        # parameters the statement never references.
        used = [int(n) for n in _PARAM_RE.findall(stmt.sqlite_sql or "")]
        stmt.max_param = max(used, default=0)
        stmt.param_oids = [o if o not in (0, O.UNKNOWN) else O.TEXT for o in stmt.param_oids]
        stmt.in_convs = [sqlite_adapter(o)[0] for o in stmt.param_oids]
        if stmt.columns is not None:
            convs = [sqlite_adapter(c.type_oid)[1] for c in stmt.columns]
            if any(c.type_oid in O.REG_OIDS or c.type_oid in O.REG_ARRAYS for c in stmt.columns):
                convs = regtypes.output_converters(self, stmt.columns, convs)  # names, not numbers
            for i, types in stmt.extra.get("record_types", {}).items():
                convs[i] = partial(with_types, types=types)
            stmt.out_convs = convs if any(convs) else None
            if not stmt.columns:
                stmt.out_convs = "zero"  # SELECT with no columns: SQLite had a placeholder column

    # --- execute ------------------------------------------------------------------

    def execute(self, stmt: Statement, params=()) -> Result:
        if stmt.is_empty:
            return Result(None, [], "")
        if stmt.deferred is not None:
            self.translate_deferred(stmt)
        if self.statement_locals and not self.txn.block and not self.txn.implicit:
            end_statement_locals(self)  # set_config(..., true) of the previous statement ends
        if self.txn.failed and not stmt.txn_exit:
            raise SqlError("25P02", "current transaction is aborted, commands ignored until end of "
                           "transaction block")
        self.fctx.pending_error = None
        if self.sequences.stmt_before:
            self.sequences.stmt_before.clear()
        if not self.txn.open and stmt.version != self.catalog.version or \
                (not self.txn.open and stmt.sqlite_sql is not None and self._stale(stmt)):
            stmt = self.retranslate(stmt)
        if "privs" in stmt.extra:
            authz(self).check_statement(stmt.extra["privs"])
        if stmt.writes and self.read_only_now() and "fn_writes" not in stmt.extra:
            raise SqlError("25006", f"cannot execute {stmt.command} in a read-only transaction")
        if stmt.extra.get("syscat"):
            pg_relations.refresh(self, stmt.extra["syscat"])
        if stmt.handler is not None:
            result = stmt.handler(self, stmt, params)
            # statements that take no snapshot (PostgreSQL's FirstSnapshotSet stays false)
            if stmt.command not in ("BEGIN", "START TRANSACTION", "SET", "SHOW", "SAVEPOINT", "RELEASE",
                                    "ROLLBACK", "LOCK TABLE"):
                self.txn.ran_query = self.txn.block
        else:
            self.txn.ran_query = self.txn.block
            values = self.bind_values(stmt, params)
            result = self.run_sql(stmt, values)
        if self.tg.setc and stmt.writes:  # SET CONSTRAINTS ran: keys SQLite defers, checked now
            self.check_immediate_fks()
        return result

    def read_only_now(self) -> bool:
        if self.txn.block:
            return self.txn.read_only
        return bool(self.session.settings.get("default_transaction_read_only"))

    def _stale(self, stmt: Statement) -> bool:
        if stmt is self.checked_stmt:  # parse_script has just checked (Engine.parse_script)
            self.checked_stmt = None
            return False
        return self.others_committed() and self.check_catalog()

    def retranslate(self, stmt: Statement) -> Statement:
        if stmt.node is None:
            return stmt
        new = self.translate_stmt(stmt.sql, stmt.node, list(stmt.param_oids), None)
        if stmt.literals is not None:
            lifted = self.parse_script(stmt.sql)
            return lifted[0] if len(lifted) == 1 else new
        return new

    def bind_values(self, stmt: Statement, params) -> list:
        if stmt.literals is not None:
            out = []
            for text, oid, conv in zip(stmt.literals, stmt.lit_oids, stmt.in_convs):
                if oid in (O.TEXT, O.VARCHAR, O.UNKNOWN, O.NAME):
                    v = text
                elif oid == O.INT4 and text.isdigit() and len(text) < 10:
                    v = int(text)
                else:
                    try:
                        v = reg_in(self, oid, text) if oid in _REG_TYPES else \
                            decode_text(oid, text, self.fctx.format_context())
                    except SqlError as err:
                        if err.position is None:  # point at the literal, as PostgreSQL does
                            err.position = stmt.lit_offsets[len(out)] + 1
                        raise
                out.append(conv(v) if conv is not None else v)
            return out[:stmt.max_param]
        if len(params) != len(stmt.param_oids):
            raise SqlError("08P01", f"bind message supplies {len(params)} parameters, but prepared statement "
                           f'"" requires {len(stmt.param_oids)}')
        if not any(stmt.in_convs):
            return list(params[:stmt.max_param])
        return [c(v) if c is not None and v is not None else v
                for c, v in zip(stmt.in_convs[:stmt.max_param], params)]

    def run_sql(self, stmt: Statement, values: list) -> Result:
        autocommit = not self.txn.open and not self.txn.block and not self.txn.implicit
        if autocommit and not stmt.writes and stmt.command == "SELECT" and "xact_scoped" not in stmt.extra:
            return self.run_read(stmt, values)
        if stmt.writes:
            self.acquire_writer()
        self.ensure_open()
        try:
            cur = self.conn.execute(stmt.sqlite_sql, values)
            if stmt.columns is not None and (stmt.returning or stmt.writes or autocommit):
                rows = list(convert_rows(cur, stmt.out_convs))
                count = len(rows) if stmt.command != "SELECT" else None
                result = Result(stmt.columns, rows, stmt.command, count)
            elif stmt.columns is not None:
                result = Result(stmt.columns, self.guard_rows(convert_rows(cur, stmt.out_convs)), "SELECT",
                                cursor=cur)
            else:
                result = Result(None, [], stmt.command, cur.rowcount)
        except Exception as e:
            err = map_error(e, self)
            if err.sqlstate.startswith("23") and stmt.extra.get("relid"):
                err = self.explain_violation(err, stmt, values)
            if autocommit:
                self.sqlite_rollback()
            elif self.sequences.advanced and self.conn.in_transaction:
                self.sequences.reapply()
            raise err from None
        if autocommit:
            self.sqlite_commit()
        return result

    def explain_violation(self, err: SqlError, stmt: Statement, values: list) -> SqlError:
        """Add PostgreSQL's detail to a constraint violation (error path only)."""
        rel = self.catalog.by_oid.get(stmt.extra["relid"])
        try:
            if err.sqlstate == "23503":
                return diagnose.foreign_key_error(self, stmt, values, rel) or err
            if err.sqlstate == "23514" and err.table != rel.name and \
                    any(c.contype == "c" and c.name == err.constraint for c in rel.constraints):
                # a CHECK name other tables have too (LIKE, inheritance): the one of the written table
                err = SqlError("23514", f'new row for relation "{rel.name}" violates check constraint '
                               f'"{err.constraint}"', constraint=err.constraint, schema=rel.schema, table=rel.name)
            if err.table and err.table != rel.name:
                rel = self.catalog.lookup(err.schema, err.table, self.search_path()) or rel
            if err.sqlstate == "23505":
                ix = next((i for i in rel.indexes if i.name == err.constraint), None)
                irel = self.catalog.by_oid.get(ix.oid) if ix is not None else None
                pred = irel.options.get("indpred") if irel is not None else None
                if ix is not None and (pred or any(isinstance(k, str) for k in ix.keys)):
                    keys = [(*index_key_sql(rel, k, self, "NEW."), index_key_sql(rel, k, self, "x.")[0],
                             describe.indexdef(self, ix.oid, n, True)) for n, k in enumerate(ix.keys, 1)]
                    keys = [(new, x, oid, text) for new, oid, x, text in keys]
                    both = (index_pred_sql(rel, pred, self, "NEW."), index_pred_sql(rel, pred, self, "x.")) if pred else None
                    err.detail = diagnose.index_unique_detail(self, stmt, values, rel, keys, both)
                elif ix is not None:
                    err.detail = diagnose.unique_detail(self, stmt, values, rel, ix.keys)
            elif err.sqlstate == "23502" and err.column:
                err.detail = diagnose.failing_row_detail(self, stmt, values, rel,
                                                         f"NEW.{quote_sqlite_ident(err.column)} IS NULL")
            elif err.sqlstate == "23514" and (err.constraint or "").startswith("pgsvc$part$"):
                err.constraint = None  # PostgreSQL names no constraint for a partition's
                cond = f"NOT ({check_sql(rel, partition_constraint(self.catalog, rel, True), self, 'NEW.')})"
                err.detail = diagnose.failing_row_detail(self, stmt, values, rel, cond)
            elif err.sqlstate == "23514":
                con = next((c for c in rel.constraints if c.name == err.constraint), None)
                if con is not None:
                    cond = f"NOT ({check_sql(rel, con.expr, self, 'NEW.')})"
                    err.detail = diagnose.failing_row_detail(self, stmt, values, rel, cond)
        except Exception:  # noqa: BLE001 - the detail is best effort; the error itself stands
            self.fctx.pending_error = None
        return err

    def run_read(self, stmt: Statement, values: list) -> Result:
        self.fctx.transaction_start = datetime.now(UTC)
        try:
            cur = self.conn.execute(stmt.sqlite_sql, values)
        except Exception as e:
            self.session.count_transaction(False)
            raise map_error(e, self) from None
        self.session.count_transaction(True)
        return Result(stmt.columns, self.guard_rows(convert_rows(cur, stmt.out_convs), True), "SELECT", cursor=cur)

    def guard_rows(self, rows: Iterator[tuple], autocommit: bool = False) -> Iterator[tuple]:
        """Map errors raised while rows are produced (UDF errors, cancel) to SqlError.
        autocommit: a read outside any transaction, which ends with its last row (a
        pg_notify() it called is committed then, and a transaction-level advisory lock
        taken inside a function it called is released then, or when the read fails or is
        dropped unfinished)."""
        try:
            yield from rows
        except SqlError:
            raise
        except Exception as e:
            raise map_error(e, self) from None
        finally:
            if autocommit and self.advisory is not None and not self.txn.open:
                self.advisory.end_of_transaction()
        if autocommit and self.async_notify.pending:
            self.async_notify.commit_if_autocommit()

    # --- statement atomicity for multi-step commands ------------------------------------

    def run_atomic(self, fn, writes: bool = True) -> Any:
        """Run fn() (several SQLite statements) atomically inside the current transaction."""
        autocommit = not self.txn.open and not self.txn.block and not self.txn.implicit
        if writes:
            self.acquire_writer()
        self.ensure_open()
        if not autocommit:
            self.conn.execute('SAVEPOINT "pgsvc$stmt"')
        try:
            out = fn()
        except Exception as e:
            err = map_error(e, self)
            if autocommit:
                self.sqlite_rollback()
            else:
                self.conn.execute('ROLLBACK TO "pgsvc$stmt"')
                self.conn.execute('RELEASE "pgsvc$stmt"')
            self.reload_catalog()
            raise err from None
        if autocommit:
            self.sqlite_commit()
        else:
            self.conn.execute('RELEASE "pgsvc$stmt"')
        return out
