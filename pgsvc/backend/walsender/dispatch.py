"""The walsender command dispatcher: one handler per command keyword, registered by the
module that implements it (listed in pgsvc.backend.walsender.plugins), and the rules every
command shares, as PostgreSQL's exec_replication_command.

A handler is `fn(session, cmd)`: `session` is the pgsvc.backend.walsender.session
WalSenderSession of the connection, `cmd` the parsed command (pgsvc.backend.walsender.grammar;
`cmd.text` is the command's text, `cmd.keyword` its tag). The handler sends every message of
its answer up to and including CommandComplete (`session.send_result(...)` and
`session.command_complete(...)` do the usual ones; `session.copy_both()` and
`session.copy_out()` start a COPY); an error is a raised SqlError, which the dispatcher
reports (ErrorResponse) before ReadyForQuery, as after any statement.
"""

from __future__ import annotations

from collections.abc import Callable

from pgsvc.backend.walsender.grammar import Command
from pgsvc.errors import SqlError

Handler = Callable[[object, Command], None]
_HANDLERS: dict[tuple[str, str | None], Handler] = {}

# PreventInTransactionBlock in exec_replication_command: these may not run inside BEGIN.
_NOT_IN_BLOCK = ("BASE_BACKUP", "START_REPLICATION", "TIMELINE_HISTORY")


def register(keyword: str, handler: Handler, kind: str | None = None) -> None:
    """The handler of one command keyword (IDENTIFY_SYSTEM, BASE_BACKUP, START_REPLICATION,
    ...); a later registration replaces an earlier one. With `kind` ("physical" or
    "logical"), only for the commands of that kind (CREATE_REPLICATION_SLOT and
    START_REPLICATION have one); the handler without a kind takes the others."""
    _HANDLERS[(keyword, kind)] = handler


def handler_for(keyword: str, kind: str | None = None) -> Handler | None:
    return _HANDLERS.get((keyword, kind)) or _HANDLERS.get((keyword, None))


def run(session, cmd: Command) -> None:
    """One parsed command, after the checks PostgreSQL makes before any of them."""
    status = session.transaction_status()
    if status == "E":
        raise SqlError("25P02", "current transaction is aborted, commands ignored until end of transaction block")
    if cmd.keyword in _NOT_IN_BLOCK and status == "T":
        raise SqlError("25001", f"{cmd.keyword} cannot run inside a transaction block")
    handler = handler_for(cmd.keyword, getattr(cmd, "kind", None))
    if handler is None:
        raise SqlError("0A000", f"{cmd.keyword} is not supported by pgsvc")
    session.before_command()
    handler(session, cmd)


_LSN_SOURCE: list[Callable] = []


def register_lsn_source(fn: Callable) -> None:
    """fn(session) -> int: the current position of a replication=database connection's
    database (the change log's); IDENTIFY_SYSTEM and BASE_BACKUP report it."""
    _LSN_SOURCE[:] = [fn]


def lsn_source() -> Callable | None:
    return _LSN_SOURCE[0] if _LSN_SOURCE else None
