"""The SQL engine of one backend: pgsvc.sql.api's EngineProtocol on one SQLite connection.

Flow: parse (pglast; pgsvc.sql.parse) -> translate (pgsvc.sql.translate, DDL in the
pgsvc.sql.commands.ddl package) -> execute on SQLite -> rows as Python values (api.py's conventions).

Caching: a prepared statement is translated once (re-translated only when the catalog
version changed). Simple queries are keyed on their text with literals lifted into
parameters (pgsvc.sql.parse.lift_literals), so "... WHERE aid = 17" and "... aid = 42"
share one translation and one prepared SQLite statement (sqlite3's statement cache).

Transactions: see pgsvc.sql.exec.txn. Outside a block, a read runs in SQLite's autocommit
(lazily iterated); a write takes the writer lock, BEGINs, runs and COMMITs.

Cancel convention (agreed with pgsvc.backend): session.cancel_flag() returns a falsy
value, or the reason as a string: "user request" -> 57014 'canceling statement due to
user request', "statement timeout" -> 57014 'canceling statement due to statement
timeout', "terminate" -> 57P01. A SQLite progress handler polls it every few thousand
VM steps and interrupts the statement; lock waits and pg_sleep poll it too. The
backend resets the flag itself after reporting.

Module map: pgsvc/sql/README.md. In short, parse (pglast, literal lifting) -> translate/
(pglast node -> SQLite SQL + PostgreSQL types) and commands/ (utility statements, run at
execute time) -> exec.runner (translation dispatch, execution, parameter/result
conversion) on this Engine, which also holds the per-backend state the lower layers keep
on it (see api.EngineContext): the catalog (catalog.database), the shared catalog's
connection (catalog.shared), transactions (exec.txn), sequences.

COPY: execute() of a COPY FROM STDIN statement returns an empty Result (no work);
the session loop then calls copy_in(stmt, rows) with decoded rows (Python values of
stmt.copy.columns' types, None for NULL) and sends 'COPY n' with the count it returns.
COPY TO STDOUT: execute() returns a Result whose rows are the tuples to encode; its
tag() is 'COPY n'.
"""

from __future__ import annotations

import datetime as _dt
import os
import urllib.parse
import time
from typing import Any, Iterable, Sequence

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import authz
from pgsvc.sql.catalog.authz import Authz
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import shared as shared_catalog
from pgsvc.sql.catalog.shared import SharedCatalog
from pgsvc.sql.commands import portals, role_settings
from pgsvc.sql.commands.copy import run_copy_in
from pgsvc.sql.commands.ddl import Ddl
from pgsvc.sql.commands.listen import AsyncNotify
from pgsvc.sql.api import SessionInfo
from pgsvc.sql.functions import FunctionContext, register_all
from pgsvc.sql.pg_functions import advisory
from pgsvc.sql.functions.context import ReportingConnection, raise_sql
from pgsvc.sql.nonstandard_strings import with_standard_strings
from pgsvc.sql.parse import cache_key, lift_literals, parse, scan, split_tokens, truncation_notices
from pgsvc.sql.exec.commits import Commits
from pgsvc.sql.exec import prepared_udfs
from pgsvc.sql.exec.portal_access import NoProtocolPortals, PortalAccess
from pgsvc.sql.exec.runner import Runner
from pgsvc.sql.exec.routines import RoutineCalls
from pgsvc.sql.exec.trigger_dml import TriggerDml
from pgsvc.sql.exec.triggers import TriggerRuntime
from pgsvc.sql.exec import sql_language  # noqa: F401 - registers LANGUAGE sql (catalog.routines)
from pgsvc.sql.exec import plpgsql  # noqa: F401 - registers LANGUAGE plpgsql (catalog.routines)
from pgsvc.sql.statement import Statement
from pgsvc.sql.catalog.sequences import Sequences
from pgsvc.sql.types import usertypes
from pgsvc.sql.exec.txn import TxnState, WriterLock, cancel_error
from pgsvc.sqlite import keep_wal_files, sqlite3

# ignore_check_constraints: a table rebuild's copy past a NOT VALID CHECK (commands.ddl.tables)
_ALLOWED_PRAGMAS = {"data_version", "foreign_keys", "synchronous", "ignore_check_constraints", "defer_foreign_keys",
                    "foreign_key_check", "foreign_key_list"}  # deferred foreign keys (exec.trigger_deferred)


# Utility statements after which the rest of a multi-statement query can still be
# translated in advance. Every other one may change the catalog, the search path or the
# role (DDL, SET, SELECT INTO, ROLLBACK of DDL, ...); plain queries and DML (no handler)
# never do.
_RESOLUTION_NEUTRAL = frozenset({"BEGIN", "START TRANSACTION", "COMMIT", "END", "SAVEPOINT", "RELEASE",
                                 "SHOW"})


def changes_resolution(stmt: Statement) -> bool:
    return stmt.deferred is not None or (stmt.handler is not None and stmt.command not in _RESOLUTION_NEUTRAL)


class Engine(Runner, RoutineCalls, TriggerRuntime, TriggerDml, PortalAccess):
    def __init__(self, session: SessionInfo) -> None:
        self.session = session
        # State the lower layers keep per engine, made when first needed: the shared
        # catalog's connection and the acting role (pgsvc.sql.catalog.shared), the cached
        # privilege decisions (pgsvc.sql.catalog.authz), set_config(..., true) values of the
        # running statement outside a block (pgsvc.sql.pg_functions.catalog_funcs), and the
        # row a constraint-violation probe captured (pgsvc.sql.exec.diagnose).
        self.shared_catalog: SharedCatalog | None = None
        self.authz_state: Authz | None = None
        self.statement_locals: dict | None = None
        self.diag_value = None
        # the rest of the state, declared before anything below runs with the engine
        # (drop_temp_schema's forget_translations empties the caches)
        self.simple_cache: dict[str, Statement] = {}
        self.script_cache: dict[str, list] = {}
        self.prepare_cache: dict[tuple, Statement] = {}
        self.sql_prepared: dict[str, Statement] = {}  # PREPARE name AS ...
        self.cursors: dict = {}  # DECLARE name CURSOR ...
        self.protocol_portals = NoProtocolPortals()  # the backend's (Bind's) portals and statements,
        self.protocol_statements: dict = {}  # by name (registered by the session: exec.portal_access)
        self.script_text: str | None = None  # the simple query being run (exec.portal_access)
        self.async_notify = AsyncNotify(self)  # the transaction's LISTEN/UNLISTEN/NOTIFY
        self.advisory = None  # this backend's advisory locks, from the first one (pg_functions.advisory)
        self.planner_settings: dict[str, str] = {}  # SET enable_seqscan = off, ...
        self.planner_defaults: dict[str, str] = {}  # the same from ALTER ROLE/DATABASE ... SET (RESET's values)
        self._detail_hint = None
        self.checked_stmt = None  # see parse_script
        self.commits = Commits(self)  # before the catalog is loaded (exec.commits)
        self._sync_pending = False
        self.temp_schema = f"pg_temp_{session.backend_pid}"
        self.txn = TxnState()
        self.fctx = FunctionContext.for_engine(settings=session.settings, session=session,
                                               cancel_flag=session.cancel_flag)
        self.conn = self.open_connection(session.database_path)
        self.lock = WriterLock(session.database_path)
        self.sequences = Sequences(self)
        self.catalog = C.load(self.conn)
        self.ensure_tg_sink()
        usertypes.use_search_path(self.search_path)  # user type names resolve on the session's path
        if self.temp_schema in self.catalog.schemas:
            self.drop_temp_schema()  # left over by a crashed backend that had our pid

    # --- the backend's login (pgsvc.backend reaches the SQL layer through the engine) ---

    @staticmethod
    def may_connect(catalog, role, db) -> bool:
        """Login's CONNECT check on the shared catalog, before any engine exists."""
        return authz.may_connect(catalog, role, db)

    @staticmethod
    def apply_login_settings(settings, stored: list, taken: set[str]):
        """The login's stored ALTER ROLE/DATABASE ... SET items as the session's starting
        values, before the engine opens: (warnings, items for apply_login_deferred)."""
        return role_settings.apply_at_login(settings, stored, taken)

    def apply_login_deferred(self, deferred: list[tuple[str, str, str]]) -> None:
        """The login items that live in the engine (planner knobs, SET ROLE / SESSION
        AUTHORIZATION), once it is open."""
        role_settings.apply_deferred(self, deferred)

    # --- connection set-up ----------------------------------------------------------

    def open_connection(self, path: str) -> sqlite3.Connection:
        # mode=rw: never create the file. A connection racing DROP DATABASE must not
        # bring back an empty database after the file has been unlinked.
        uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=rw"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                                   cached_statements=1024, factory=ReportingConnection)
        except sqlite3.Error as e:
            if not os.path.exists(path):
                raise SqlError("3D000", f'database "{self.session.database}" does not exist') from None
            raise SqlError("58030", f'could not open database file "{path}": {e}') from None
        conn.fctx = self.fctx  # before any UDF is registered (ReportingConnection)
        conn.execute("PRAGMA journal_mode=WAL")
        keep_wal_files(conn, path)  # not deleted and made again at every connection
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        if hasattr(conn, "enable_load_extension"):
            conn.enable_load_extension(False)
        register_all(conn, self.fctx)
        prepared_udfs.register(conn, self)  # engine_udfs' and pg_functions' (built before the fork)
        self.register_routine_udfs(conn)  # calls of user functions (exec.routines)
        self.init_triggers(conn)  # trigger levels and their UDFs (exec.triggers)
        C.ensure_schema(conn)  # (at SQLite's default synchronous=FULL: these commits take no writer lock)
        self.apply_synchronous(conn)
        conn.set_authorizer(self.authorize)
        conn.set_progress_handler(self.progress, 20000)
        return conn

    def apply_synchronous(self, conn=None) -> None:
        conn = conn or self.conn
        if conn.in_transaction:
            self._sync_pending = True  # SQLite cannot change it inside a transaction: at its end
            return
        self._sync_pending = False
        off = str(self.session.settings.get("synchronous_commit")).lower() == "off"
        conn.execute(f"PRAGMA synchronous={self.commits.synchronous(off)}")

    @staticmethod
    def authorize(action, arg1, arg2, dbname, source):
        """Host isolation (defence in depth: user SQL never reaches SQLite untranslated)."""
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() not in _ALLOWED_PRAGMAS:
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and ((arg2 or "").lower() in ("load_extension", "readfile",
                                                                           "writefile", "edit")
                                                  or (arg2 or "").lower().startswith("fileio_")):
            return sqlite3.SQLITE_DENY  # fileio_: sqlean's file functions (pgsvc.sqlite never enables them)
        return sqlite3.SQLITE_OK

    def progress(self) -> int:
        return 1 if self.session.cancel_flag() else 0

    def cancel_error(self) -> SqlError:
        return cancel_error(self.session.cancel_flag() or "user request")

    def sleep(self, secs) -> None:
        if secs is None:
            return None
        end = time.monotonic() + float(secs)
        while True:
            reason = self.session.cancel_flag()
            if reason:
                raise_sql(self.fctx, cancel_error(reason))
            left = end - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(left, 0.05))

    # --- catalog --------------------------------------------------------------------

    def reload_catalog(self) -> None:
        self.catalog = C.load(self.conn)
        self.ensure_tg_sink()
        if self.conn.in_transaction:
            self.txn.ddl = True  # loaded inside a transaction: a rollback must reload again

    def check_catalog(self) -> bool:
        """Reload the catalog if another backend changed it; True if it did."""
        if C.read_version(self.conn) != self.catalog.version:
            self.reload_catalog()
            self.simple_cache.clear()
            self.script_cache.clear()
            self.prepare_cache.clear()
            return True
        return False

    def others_committed(self) -> bool:
        """The pre-check of every statement: may another backend have changed the catalog?"""
        return self.commits.others_committed()

    def search_path(self) -> list[str]:
        raw = str(self.session.settings.get("search_path"))
        out = []
        for part in raw.split(","):
            p = part.strip()
            if p.startswith('"') and p.endswith('"'):
                p = p[1:-1]
            else:
                p = p.lower()
            if p == "$user":
                p = self.session.user
            if p == "pg_temp":
                p = self.temp_schema
            # information_schema is not in the database's catalog but may be searched (SET
            # search_path = information_schema, ... finds its views by bare name)
            if p and (p in self.catalog.schemas or p == "information_schema") and p not in out:
                out.append(p)
        if self.temp_schema in self.catalog.schemas and self.temp_schema not in out:
            out.insert(0, self.temp_schema)  # PostgreSQL searches pg_temp first for relations
        return out

    def drop_temp_schema(self) -> None:
        """Session end: the temp tables vanish with the connection; remove their catalog rows."""

        def drop():
            d = Ddl(self)
            for rel in [r for r in self.catalog.by_oid.values() if r.schema == self.temp_schema]:
                if rel.kind in ("r", "v", "S") and rel.oid in d.cat.by_oid:
                    d.drop_relation(rel, True)
            d.drop_routines_of_schema(self.temp_schema)  # pg_temp.f(): gone with the session too
            C.delete_namespace(self.conn, self.temp_schema)
            d.refresh()
        self.run_atomic(drop)

    # --- EngineProtocol: parsing ---------------------------------------------------------

    def parse_script(self, sql: str) -> list:
        sql = with_standard_strings(sql, self.session.settings, self.session.notice)  # strings: off
        self.script_text = sql
        self.fctx.statement_start = _dt.datetime.now(_dt.UTC)  # statement_timestamp(): the query message's
        stmts = self._parse_script(sql)
        # The catalog was checked just now for this query: its first statement, which the
        # session executes next, need not check again (one others_committed() per
        # simple query instead of two). By identity: a marker left over by a query that
        # never ran matches no statement that a later message can execute.
        self.checked_stmt = stmts[0] if stmts else None
        return stmts

    def _parse_script(self, sql: str) -> list:
        self.check_catalog_if_idle()
        cached = self.script_cache.get(sql)
        if cached is not None and all(st.version == self.catalog.version for st in cached):
            return cached
        try:
            tokens = scan(sql)
        except SqlError:
            tokens = None  # let the parser report the error with PostgreSQL's message and position
        notices = truncation_notices(sql, tokens) if tokens is not None else ()
        for notice in notices:  # never cached below: sent at every parse, as PostgreSQL does
            self.session.notice(notice)
        pieces = split_tokens(sql, tokens) if tokens is not None else [(0, len(sql), None)]
        if not pieces:
            return [Statement.empty(sql)]
        out = []
        for start, end, toks in pieces:
            if out and changes_resolution(out[-1]):
                break  # what follows must be translated after it ran: translate_script
            stmt = self.lifted_statement(sql, start, end, toks) if toks is not None else None
            if stmt is None:
                break
            out.append(stmt)
        else:
            return out
        raws = parse(sql)  # a syntax error anywhere raises before anything runs
        if not raws:
            return [Statement.empty(sql)]
        stmts = self.translate_script(sql, raws)
        if len(self.script_cache) > 500:
            self.script_cache.clear()
        if all(s.cacheable for s in stmts) and len(sql) < 4000 and not notices:
            self.script_cache[sql] = stmts
        return stmts

    def translate_script(self, sql: str, raws) -> list[Statement]:
        """The statements of one simple query. PostgreSQL analyses each just before it runs,
        after the ones before it (`CREATE TABLE a ...; INSERT INTO a ...` works, and
        `SET search_path ...; SELECT ...` resolves names on the new path). So a statement
        is translated now only while nothing before it can change name resolution and its
        translation succeeds; the rest are deferred to execution (runner.execute)."""
        out: list[Statement] = []
        for i, raw in enumerate(raws):
            if not out or not changes_resolution(out[-1]):
                try:
                    out.append(self.translate_raw(sql, raw, [], fixed=True))
                    continue
                except SqlError:
                    if i == 0:
                        raise
            out.append(Statement.deferred_from(sql, raw))
        return out

    def translate_deferred(self, stmt: Statement) -> None:
        """Translate a deferred statement in place: the session holds this very object."""
        sql, raw = stmt.deferred
        stmt.__dict__.update(self.translate_raw(sql, raw, [], fixed=True).__dict__)

    def lifted_statement(self, sql: str, start: int, end: int, toks) -> Statement | None:
        lifted = lift_literals(sql, toks)
        if lifted is None:
            return None
        text, literals = lifted
        key = cache_key(text, literals)
        tmpl = self.simple_cache.get(key)
        # this backend's own DDL moves the version without check_catalog noticing (it
        # reloaded already): a template from before it may name what is gone
        if tmpl is None or tmpl.version != self.catalog.version:
            try:
                raws = parse(text)
            except SqlError:
                return None
            if len(raws) != 1:
                return None
            oids = [{"i": 23, "8": 20, "n": 1700}.get(lit[0], 0) for lit in literals]
            try:
                tmpl = self.translate_stmt(text, raws[0].stmt, oids, [lit[:2] for lit in literals])
            except Exception:  # noqa: BLE001 - the unlifted statement reports its own error
                return None
            if not tmpl.cacheable:
                return None
            if len(self.simple_cache) > 2000:
                self.simple_cache.clear()
            self.simple_cache[key] = tmpl
        return tmpl.bind_literals(sql[start:end], [lit[1] for lit in literals], [lit[2] for lit in literals])

    def prepare(self, sql: str, param_oids: Sequence[int] = ()) -> Statement:
        sql = with_standard_strings(sql, self.session.settings, self.session.notice)
        key = (sql, tuple(param_oids))
        self.check_catalog_if_idle()
        cached = self.prepare_cache.get(key)
        if cached is not None and cached.version == self.catalog.version:
            return cached
        stmt = self.prepare_uncached(sql, param_oids)
        if stmt.cacheable and not stmt.is_empty:
            if len(self.prepare_cache) > 1000:
                self.prepare_cache.clear()
            self.prepare_cache[key] = stmt
        return stmt

    def prepare_uncached(self, sql: str, param_oids: Sequence[int]) -> Statement:
        raws = parse(sql)
        if not raws:
            return Statement.empty(sql)
        if len(raws) > 1:
            raise SqlError("42601", "cannot insert multiple commands into a prepared statement")
        self.check_catalog_if_idle()
        notices = truncation_notices(sql, scan(sql))
        for notice in notices:
            self.session.notice(notice)
        stmt = self.translate_raw(sql, raws[0], list(param_oids))
        if notices:
            stmt.cacheable = False  # a cached statement would not say it again at the next Parse
        return stmt

    def check_catalog_if_idle(self) -> None:
        if not self.txn.open and self.others_committed():
            self.check_catalog()

    def translate_raw(self, sql: str, raw, param_oids: list[int], fixed: bool = False) -> Statement:
        loc = raw.stmt_location or 0
        text = sql[loc:loc + raw.stmt_len] if raw.stmt_len else sql[loc:]
        return self.translate_stmt(text.strip(), raw.stmt, param_oids, None, fixed)  # fixed: a simple query's

    # --- EngineProtocol: transactions ------------------------------------------------------

    def transaction_status(self) -> str:
        return self.txn.status()

    def begin_implicit(self) -> None:
        if not self.txn.block:
            self.txn.implicit = True

    def read_only_select(self, stmt) -> bool:
        """A plain SELECT that writes nothing (no nextval(), no locking clause): alone
        before Sync it needs no implicit transaction of its own and runs as a
        one-statement simple query does (an autocommit read, no BEGIN/COMMIT)."""
        return stmt.command == "SELECT" and not stmt.writes and stmt.handler is None \
            and stmt.sqlite_sql is not None and "xact_scoped" not in stmt.extra

    def end_implicit(self, success: bool) -> None:
        if self.txn.block or not self.txn.implicit:
            return
        self.txn.implicit = False
        if self.txn.open or self.async_notify.pending:
            if success:
                self.sqlite_commit()
            else:
                self.sqlite_rollback()

    def abort_on_error(self, error: Exception) -> None:
        self.fctx.pending_error = None
        if self.txn.block:
            self.txn.failed = True
            return
        if self.txn.implicit:
            return  # end_implicit(False) rolls back
        if self.txn.open:
            self.sqlite_rollback()
        else:
            self.async_notify.discard()  # SELECT pg_notify(...) outside a block that failed

    def ensure_open(self) -> None:
        if not self.txn.open:
            self.conn.execute("BEGIN")
            self.txn.open = True
            if not self.txn.block:  # a block's now() is its BEGIN's (commands.transactions)
                self.fctx.transaction_start = _dt.datetime.now(_dt.UTC)

    def acquire_writer(self) -> None:
        if not self.lock.held:
            timeout = int(self.session.settings.get("lock_timeout") or 0)
            if self.advisory is None:
                self.lock.acquire(self.session.cancel_flag, timeout)
            else:  # its wait may close a cycle with advisory locks: searched for deadlocks
                self.advisory.acquire_writer(self.lock, timeout)
            if self.txn.open and not self.txn.wrote and self.read_committed() and not self.cursors:
                self.refresh_snapshot()
            self.txn.wrote = True

    def read_committed(self) -> bool:
        return self.txn.block and self.txn.isolation in ("read committed", "read uncommitted")

    def isolation_in_force(self) -> str:
        """transaction_isolation as PostgreSQL shows it: the level requested (READ
        UNCOMMITTED runs as READ COMMITTED there, REPEATABLE READ as SERIALIZABLE here)."""
        if self.txn.block:
            return self.txn.isolation
        return str(self.session.settings.get("default_transaction_isolation")).lower()

    def refresh_snapshot(self) -> None:
        """A read-committed block that has only read: end its read snapshot and start again
        under the writer lock (savepoints hold no changes yet, so they are simply re-made)."""
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")
        for name in self.txn.savepoints:
            self.conn.execute('SAVEPOINT "sp$' + name.replace('"', '""') + '"')

    def sqlite_commit(self) -> None:
        if self.tg.deferred:  # INITIALLY DEFERRED constraint triggers fire now (exec.triggers)
            self.fire_deferred()
        if self.tg.setc:  # SET CONSTRAINTS lasts one transaction
            self.tg.setc = {}
        if self.async_notify.pending:  # LISTEN/NOTIFY ran: commit under the queue's lock
            self.async_notify.commit(self.commit_sqlite, self.sqlite_rollback)
            return
        self.commit_sqlite()

    def commit_sqlite(self) -> None:
        if self.cursors:
            portals.end_of_transaction(self, True)
        self.lock.end_exports()  # exported snapshots end before the commit (pg_functions.snapshots)
        seq = None
        try:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")
                seq = self.commits.committed()  # under the writer lock: its place in the WAL
        except sqlite3.Error as e:
            raise self.failed_commit(e) from None  # rolls back (exec.trigger_deferred)
        finally:
            self.txn.open = False
            self.txn.wrote = False
            usertypes.end_of_transaction()  # enum labels added in the block are usable now
            self.txn.ddl = False
            self.txn.savepoints.clear()
            self.txn.sp_read_only.clear()
            self.txn.sp_settings.clear()
            self.lock.release()
            if self.advisory is not None:  # transaction-level advisory locks end here
                self.advisory.end_of_transaction()
        self.commits.make_durable(seq)  # group commit: fsync after the writer lock is released
        shared_catalog.end_of_transaction(self, True)
        self.session.count_transaction(True)
        self.sequences.advanced.clear()
        if self._sync_pending:
            self.apply_synchronous()

    def sqlite_rollback(self) -> None:
        self.tg.deferred.clear()
        self.tg.setc = {}
        self.async_notify.discard()
        self.lock.end_exports()
        if self.cursors:
            portals.end_of_transaction(self, False)
        seq = None
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if self.sequences.advanced and self.lock.held:
                # sequences are not transactional in PostgreSQL: keep the values handed out
                self.conn.execute("BEGIN")
                self.sequences.reapply()
                self.conn.execute("COMMIT")
                seq = self.commits.committed()
        finally:
            self.sequences.advanced.clear()
            self.ddl_rolled_back()
            self.txn.open = False
            self.txn.wrote = False
            self.txn.savepoints.clear()
            self.txn.sp_read_only.clear()
            self.txn.sp_settings.clear()
            self.lock.release()
            if self.advisory is not None:
                self.advisory.end_of_transaction()
            shared_catalog.end_of_transaction(self, False)
            usertypes.end_of_transaction()
            self.session.count_transaction(False)
        self.commits.make_durable(seq)
        if self._sync_pending:
            self.apply_synchronous()

    def ddl_rolled_back(self) -> None:
        """A rolled-back transaction may have created/altered relations: forget them too."""
        if self.txn.ddl:
            self.txn.ddl = False
            try:
                self.reload_catalog()
            except sqlite3.Error:
                pass
            self.simple_cache.clear()
            self.script_cache.clear()
            self.prepare_cache.clear()

    def copy_in(self, stmt: Statement, rows: Iterable[Sequence[Any]]) -> int:
        return run_copy_in(self, stmt, rows)

    def close(self) -> None:
        advisory.close(self)  # first: other backends wait for these, whatever fails below
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.txn = TxnState()
            self.lock.release()
            self.check_catalog()
            if self.temp_schema in self.catalog.schemas:
                self.drop_temp_schema()
        except (sqlite3.Error, SqlError):
            pass
        shared_catalog.close(self)
        self.lock.close()
        self.commits.close()
        self.conn.close()
