"""Server logging: PostgreSQL-style lines on stderr.

Under systemd (stderr connected to the journal, JOURNAL_STREAM set) each line starts
with a `<N>` syslog priority so journald records the right level; otherwise lines
look like PostgreSQL's: `2024-01-02 03:04:05.678 UTC [1234] LOG:  message`.
"""

from __future__ import annotations

import logging
import os
import sys
import time

# Python level -> (PostgreSQL severity, syslog priority)
_SEVERITY = {
    logging.DEBUG: ("DEBUG", 7),
    logging.INFO: ("LOG", 6),
    logging.WARNING: ("WARNING", 4),
    logging.ERROR: ("ERROR", 3),
    logging.CRITICAL: ("FATAL", 2),
}
_MIN_LEVEL = {"debug5": logging.DEBUG, "debug4": logging.DEBUG, "debug3": logging.DEBUG,
              "debug2": logging.DEBUG, "debug1": logging.DEBUG, "info": logging.INFO,
              "notice": logging.INFO, "warning": logging.INFO, "log": logging.INFO,
              "error": logging.ERROR, "fatal": logging.CRITICAL, "panic": logging.CRITICAL}


def under_journald() -> bool:
    stream = os.environ.get("JOURNAL_STREAM")
    if not stream:
        return False
    try:
        dev, ino = (int(x) for x in stream.split(":"))
        st = os.fstat(sys.stderr.fileno())
        return st.st_dev == dev and st.st_ino == ino
    except (ValueError, OSError):
        return False


class PgFormatter(logging.Formatter):
    def __init__(self, journald: bool) -> None:
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        severity, prio = _SEVERITY.get(record.levelno, ("LOG", 6))
        severity = getattr(record, "pg_severity", severity)
        msg = record.getMessage()
        if record.exc_info:
            msg += "\n" + self.formatException(record.exc_info)
        if self.journald:
            return "\n".join(f"<{prio}>{severity}:  {line}" for line in msg.split("\n"))
        ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(record.created))
        ms = int(record.msecs)
        return f"{ts}.{ms:03d} UTC [{record.process}] {severity}:  {msg}"


def setup_logging(min_messages: str = "warning") -> logging.Logger:
    logger = logging.getLogger("pgsvc")
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PgFormatter(under_journald()))
    logger.addHandler(handler)
    logger.setLevel(_MIN_LEVEL.get(min_messages, logging.INFO))
    logger.propagate = False
    return logger


log = logging.getLogger("pgsvc")
