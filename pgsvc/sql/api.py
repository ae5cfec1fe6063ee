"""The contract between a backend's session loop (pgsvc.backend) and the SQL layer (pgsvc.sql).

The backend owns the wire: it decodes messages, converts parameters from their
wire format to Python values (pgsvc.sql.types), encodes result rows, runs COPY's
data flow and reports errors. The SQL layer owns meaning: it parses, translates,
executes on SQLite and keeps the transaction state. Nothing here does I/O.

Values crossing this boundary are Python values, one convention per PostgreSQL type
(see pgsvc.sql.types): bool -> bool; int2/int4/int8/oid -> int; float4/float8 ->
float; numeric -> decimal.Decimal; text/varchar/bpchar/name/unknown -> str;
bytea -> bytes; date -> datetime.date; time -> datetime.time; timestamp -> naive
datetime.datetime; timestamptz -> aware datetime.datetime; interval ->
pgsvc.sql.types.Interval; uuid -> uuid.UUID; json/jsonb -> str (JSON text);
arrays -> list (None for NULL elements). NULL is None everywhere.

The engine class is `pgsvc.sql.exec.engine.Engine` with the methods of `EngineProtocol`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

from pgsvc.errors import SqlNotice
from pgsvc.settings import Settings


@dataclass(frozen=True, slots=True)
class Column:
    """One RowDescription field."""

    name: str
    type_oid: int
    typmod: int = -1
    table_oid: int = 0
    attnum: int = 0
    typlen: int = -1


@dataclass(slots=True)
class CopySpec:
    """What a COPY ... FROM STDIN / TO STDOUT statement asks of the session loop."""

    direction: str  # "in" (FROM STDIN) or "out" (TO STDOUT)
    columns: list[Column]  # the columns copied, in order, with their types
    format: str = "text"  # text | csv | binary
    delimiter: str = "\t"  # csv: ","
    null: str = "\\N"  # csv: ""
    quote: str = '"'
    escape: str = '"'
    header: bool = False
    force_quote: list[str] = field(default_factory=list)  # column names, or ["*"]
    force_not_null: list[str] = field(default_factory=list)
    force_null: list[str] = field(default_factory=list)
    relname: str = ""  # COPY FROM: the table, named in the CONTEXT of errors about its lines


@dataclass(slots=True)
class SessionInfo:
    """Who is connected, to what; handed to the engine when a backend opens a database."""

    datadir: str  # the cluster's data directory
    database: str  # database name as the client gave it
    database_path: str  # the SQLite file of that database
    user: str  # role name
    is_superuser: bool
    backend_pid: int
    settings: Settings  # the session's settings (SET/SHOW/RESET act on this object)
    notice: Callable[[SqlNotice], None]  # emit a NoticeResponse to the client
    # Set by the backend's SIGINT handler (cancel request / statement_timeout); the engine
    # polls it (SQLite progress handler) and raises SqlError 57014 when it is set.
    cancel_flag: Callable[[], bool] = lambda: False
    # Update pg_stat_activity's registry slot: state ("active", "idle", ...) and query text.
    report_activity: Callable[[str, str | None], None] = lambda state, query: None
    # The backend registry as rows (pgsvc.supervisor.registry.SlotInfo) for pg_stat_activity.
    activity: Callable[[], list] = lambda: []
    # pg_cancel_backend / pg_terminate_backend: signal ("cancel" | "terminate") another
    # backend of this cluster. Returns False (with a WARNING notice sent) if the pid is not
    # a backend; raises SqlError 42501 if this role may not signal it.
    signal_backend: Callable[[int, str], bool] = lambda pid, action: False
    # Count a finished transaction (explicit or implicit) for pg_stat_database and
    # `pgsvc status`: True committed, False rolled back.
    count_transaction: Callable[[bool], None] = lambda committed: None
    # LISTEN/NOTIFY: this backend's side of the cluster's notification queue
    # (NotificationQueue below; pgsvc.backend.notifications). None: refused with 0A000.
    notifications: Any = None
    # Advisory locks: the cluster's shared lock table (pgsvc.supervisor.lock_table.LockTable,
    # inherited from the supervisor). None: a table private to this engine (no server).
    lock_table: Any = None
    # Commits the backends share (pgsvc.supervisor.commit_state.CommitState: catalog change
    # counters, group commit; pgsvc.sql.exec.commits) and the database's OID, its key there.
    # None: SQLite's own checks (PRAGMA data_version, synchronous=FULL).
    commit_state: Any = None
    database_oid: int = 0


class NotificationQueue(Protocol):
    """What the engine asks of the backend for LISTEN/NOTIFY (pgsvc.sql.commands.listen
    keeps a transaction's actions until it commits)."""

    channels: list[str]  # the committed LISTENs, in order (pg_listening_channels)

    def commit(self, channels: list[str] | None, notifies: list[tuple[str, str]],
               do_commit: Callable[[], None]) -> None:
        """Commit a transaction that ran LISTEN/UNLISTEN/NOTIFY: do_commit() (the database
        COMMIT) runs under the queue's lock, then the (channel, payload) notifications are
        queued in commit order and `channels` (None: unchanged) becomes the listen list.
        Raises SqlError 54000 before do_commit() if the queue is full."""

    def usage(self) -> float:
        """pg_notification_queue_usage(): the fraction of the queue in use."""


class StatementProtocol(Protocol):
    """A parsed and translated statement (a prepared statement, or one of a simple query)."""

    sql: str  # the statement's own text
    param_oids: list[int]  # resolved parameter types (inferred where the client sent 0)
    columns: list[Column] | None  # result shape; None for statements that return no rows
    command: str  # command tag word(s): "SELECT", "INSERT", "CREATE TABLE", ...
    is_empty: bool  # an empty query string (EmptyQueryResponse)
    copy: CopySpec | None  # set for COPY FROM STDIN / TO STDOUT


class ResultProtocol(Protocol):
    columns: list[Column] | None
    rows: Iterator[tuple]  # lazily produced; the session loop may stop early (Execute max_rows)

    def tag(self, rows_sent: int) -> str:
        """CommandComplete tag, e.g. 'SELECT 5', 'INSERT 0 3', 'UPDATE 2', 'CREATE TABLE'."""

    def close(self) -> None:
        """Release the cursor (portal closed or transaction ended)."""


class EngineProtocol(Protocol):
    def __init__(self, session: SessionInfo) -> None: ...

    @staticmethod
    def may_connect(catalog, role, db) -> bool:
        """Login: may `role` CONNECT to `db` (pgsvc.cluster.global_catalog's rows)? Before any engine exists."""

    @staticmethod
    def apply_login_settings(settings: Settings, stored: list, taken: set[str]) -> tuple[list[SqlNotice], list]:
        """Login, before the engine opens: the stored ALTER ROLE/DATABASE ... SET items
        (GlobalCatalog.login_settings) not in `taken` become the session's starting values.
        Returns the WARNINGs to send and the items for apply_login_deferred."""

    def apply_login_deferred(self, deferred: list[tuple[str, str, str]]) -> None:
        """Login, once the engine is open: the (name, value, source) items that live in the
        engine (planner settings, SET ROLE / SESSION AUTHORIZATION)."""

    def parse_script(self, sql: str) -> list[StatementProtocol]:
        """Simple Query: every statement of the string; a syntax error raises before any runs."""

    def prepare(self, sql: str, param_oids: Sequence[int] = ()) -> StatementProtocol:
        """Extended Query's Parse: zero or one statement (more is 42601)."""

    def execute(self, stmt: StatementProtocol, params: Sequence[Any] = ()) -> ResultProtocol:
        """Run a statement with its parameter values; raises SqlError."""

    def copy_in(self, stmt: StatementProtocol, rows: Iterable[Sequence[Any]]) -> int:
        """COPY FROM STDIN: insert decoded rows (Python values, None for NULL); returns the count."""

    def begin_implicit(self) -> None:
        """Statements until end_implicit() outside an explicit block share one implicit transaction
        (a multi-statement simple query; an extended-protocol batch up to Sync)."""

    def end_implicit(self, success: bool) -> None:
        """Commit (success) or roll back the implicit transaction, if one is open."""

    def read_only_select(self, stmt: StatementProtocol) -> bool:
        """True for a statement that, alone in an extended-protocol batch (Sync follows its
        Execute), may run without begin_implicit(): what a one-statement simple query does."""

    def begin_statement(self) -> None:
        """An extended-protocol Execute starts (statement_timestamp())."""

    def sql_statement(self, name: str) -> Any:
        """The statement SQL PREPAREd as `name`, or None (one namespace with Parse's)."""

    def count_plan(self, plans: list, stmt: StatementProtocol) -> None:
        """Bind of a named statement: count PostgreSQL's plan choice (pg_prepared_statements)."""

    def cursor_columns(self, name: str) -> Any:
        """(columns, format code) of the DECLAREd cursor `name` (a portal for the protocol), or None."""

    def cursor_execute(self, name: str, max_rows: int) -> tuple[list, bool]:
        """Execute (portal) on a DECLAREd cursor: (rows, completed)."""

    def cursor_close(self, name: str) -> bool:
        """Close (portal) on a DECLAREd cursor; False if there is none."""

    def transaction_status(self) -> str:
        """ReadyForQuery's status: 'I' idle, 'T' in a block, 'E' in a failed block."""

    def abort_on_error(self, error: Exception) -> None:
        """A statement failed: inside a block the transaction becomes failed (25P02 until ROLLBACK)."""

    def close(self) -> None:
        """Roll back what is open and close the database (session end, fast shutdown)."""


class EngineContext(Protocol):
    """The engine as the SQL layer's lower stages see it (functions, catalog, translate,
    pg_functions, commands): what they may read and call on the `engine` they are handed,
    without importing pgsvc.sql.exec. Implemented by pgsvc.sql.exec.engine.Engine, which
    declares every attribute below in its __init__. Types from the layers above this base
    module are given as Any."""

    session: SessionInfo
    conn: Any  # the database's sqlite3.Connection
    catalog: Any  # pgsvc.sql.catalog.database.Catalog of this database
    txn: Any  # pgsvc.sql.exec.txn.TxnState
    fctx: Any  # pgsvc.sql.functions.FunctionContext
    sequences: Any  # pgsvc.sql.catalog.sequences.Sequences
    temp_schema: str  # this backend's pg_temp_<pid>
    shared_catalog: Any  # pgsvc.sql.catalog.shared.SharedCatalog, None until first used
    authz_state: Any  # pgsvc.sql.catalog.authz.Authz, None until first used
    statement_locals: dict | None  # set_config(..., true) outside a block: undone after the statement
    diag_value: Any  # the row a constraint-violation probe captured (pgsvc.sql.exec.diagnose)
    planner_settings: dict[str, str]  # SET enable_seqscan = off, ...
    planner_defaults: dict[str, str]  # the same from ALTER ROLE/DATABASE ... SET (RESET's values)
    simple_cache: dict
    script_cache: dict
    prepare_cache: dict
    sql_prepared: dict  # PREPARE name AS ...
    cursors: dict  # DECLARE name CURSOR ...
    protocol_portals: Any  # the backend's portals by name (one namespace with cursors): exec.portal_access
    protocol_statements: dict  # the backend's Parse statements by name (pg_prepared_statements)
    async_notify: Any  # pgsvc.sql.commands.listen.AsyncNotify: the transaction's LISTEN/NOTIFY
    call_depth: int  # user routine calls in progress (pgsvc.sql.exec.routines)
    advisory: Any  # pgsvc.sql.pg_functions.advisory.AdvisoryLocks, None until the first advisory lock

    def search_path(self) -> list[str]:
        """The schemas searched, in order (pg_temp first when it exists)."""

    def in_transaction_block(self) -> bool:
        """BEGIN's block or a multi-statement simple query's implicit one (IsTransactionBlock)."""

    def source_text(self, stmt: StatementProtocol) -> str:
        """The client's whole query string a statement came from (pg_cursors.statement)."""

    def reload_catalog(self) -> None:
        """Re-read this database's catalog (after DDL)."""

    def ensure_open(self) -> None:
        """Open the SQLite transaction of the current statement or block if none is."""

    def acquire_writer(self) -> None:
        """Take the database's writer lock for this transaction."""

    def run_atomic(self, fn: Callable[[], Any], writes: bool = True) -> Any:
        """Run fn() (several SQLite statements) atomically inside the current transaction."""

    def translate_stmt(self, text: str, node: Any, param_oids: list[int], literals: Any) -> StatementProtocol:
        """Translate one parsed statement (a pglast node)."""

    def finish_types(self, stmt: StatementProtocol) -> None:
        """Fix a statement's unresolved parameter types and precompute its converters."""

    def bind_values(self, stmt: StatementProtocol, params: Sequence[Any]) -> list:
        """Parameter values as SQLite takes them."""

    def run_sql(self, stmt: StatementProtocol, values: list) -> ResultProtocol:
        """Run a translated statement's SQLite SQL in the right transaction."""

    def execute(self, stmt: StatementProtocol, params: Sequence[Any] = ()) -> ResultProtocol:
        """Run a statement (with its checks), as for a client."""

    def sqlite_commit(self) -> None:
        """Commit the open transaction (and end the shared catalog's)."""

    def sqlite_rollback(self) -> None:
        """Roll back the open transaction (and the shared catalog's)."""

    def apply_synchronous(self) -> None:
        """Apply synchronous_commit to SQLite's PRAGMA synchronous (at once or at the transaction's end)."""

    def isolation_in_force(self) -> str:
        """'read committed' or 'serializable': the level the current transaction runs at."""

    def cancel_error(self) -> Exception:
        """The SqlError of the pending cancel request (57014 / 57P01)."""

    def sleep(self, secs: Any) -> None:
        """pg_sleep: wait, polling for cancel."""

    def call_routine(self, routine: Any, arg_oids: Any, ret_oid: int, args: list, columns: Any = (),
                     inlined: bool = False, trigger: Any = None, atomic: bool = True) -> Any:
        """Run a user function or procedure (pgsvc.sql.catalog.routines) once: STRICT,
        SECURITY DEFINER, SET and the depth limit applied, then its language's handler
        (pgsvc.sql.exec.routines). atomic=False: a CALL or DO outside a transaction block
        and any function, which may end the transaction (PL/pgSQL's COMMIT / ROLLBACK)."""
