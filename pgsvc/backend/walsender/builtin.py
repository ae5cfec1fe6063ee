"""The walsender commands every replication connection has, as PostgreSQL 15's
walsender.c answers them: IDENTIFY_SYSTEM, SHOW and TIMELINE_HISTORY."""

from __future__ import annotations

from pgsvc.backend.walsender import dispatch
from pgsvc.backend.walsender.grammar import IdentifySystem, Show, TimelineHistory
from pgsvc.cluster.sysid import system_identifier
from pgsvc.errors import SqlError
from pgsvc.sql.types import oids as O


def format_lsn(lsn: int) -> str:
    """An LSN as PostgreSQL prints it: %X/%X."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def identify_system(session, cmd: IdentifySystem) -> None:
    """systemid, timeline (always 1: pgsvc has no recovery that would fork one), the
    current position, and the database of a replication=database connection (NULL for
    a physical one)."""
    sysid = system_identifier(session.layout.datadir)
    session.send_result([("systemid", O.TEXT), ("timeline", O.INT4), ("xlogpos", O.TEXT), ("dbname", O.TEXT)],
                        [(str(sysid), "1", format_lsn(session.current_lsn()),
                          None if session.physical else session.db.name)])
    session.command_complete("IDENTIFY_SYSTEM")


def show(session, cmd: Show) -> None:
    session.show_setting(cmd.name)
    session.command_complete("SHOW")


def timeline_history(session, cmd: TimelineHistory) -> None:
    """Timeline 1 has no history file, in PostgreSQL as here, and there is no other."""
    raise SqlError("58P01", f'could not open file "pg_wal/{cmd.timeline:08X}.history": No such file or directory')


dispatch.register("IDENTIFY_SYSTEM", identify_system)
dispatch.register("SHOW", show)
dispatch.register("TIMELINE_HISTORY", timeline_history)
