"""The logical walsender's commands plugged into the replication connection's dispatcher
(pgsvc.backend.walsender.dispatch; imported from its plugins module): CREATE_REPLICATION_SLOT,
DROP_REPLICATION_SLOT, READ_REPLICATION_SLOT and START_REPLICATION run by the session's
WalSender (pgsvc.replication.walsender), and the position IDENTIFY_SYSTEM reports (the
database's change log end)."""

from __future__ import annotations

from pgsvc.backend.walsender import dispatch
from pgsvc.errors import SqlError
from pgsvc.replication import commands
from pgsvc.replication.walsender import WalSender


def _walsender(session) -> WalSender:
    return session.extension("walsender", WalSender)


def run_command(session, cmd) -> None:
    """cmd: the dispatcher's parsed command; its text is read again by this package's parser
    (the fields WalSender runs on)."""
    parsed = commands.parse(cmd.text)
    if parsed is None:
        raise SqlError("42601", "syntax error")
    if getattr(session, "physical", False) and getattr(parsed, "kind", None) == "logical":
        raise SqlError("55000", "logical decoding requires a database connection")
    _walsender(session).run(parsed)


def current_lsn(session) -> int:
    return _walsender(session).current_lsn()


for _keyword in ("CREATE_REPLICATION_SLOT", "DROP_REPLICATION_SLOT", "READ_REPLICATION_SLOT", "START_REPLICATION"):
    dispatch.register(_keyword, run_command)
dispatch.register_lsn_source(current_lsn)
