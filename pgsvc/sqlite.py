"""The SQLite pgsvc runs on: one module, imported as `from pgsvc.sqlite import sqlite3`.

pgsvc ships its SQLite instead of taking whatever the host has: sqlean.py's wheels
(`sqlean.py` on PyPI, manylinux for CPython 3.9 and later) carry the standard library's
sqlite3 module (the pysqlite3 fork) compiled against a current SQLite amalgamation,
statically linked. So a crash or wrong answer fixed upstream cannot reach users through an
old system library (Debian bookworm's is 3.40.1), and every installation runs the SQLite
the tests ran. Of the drop-in wheels it is the one built with what pgsvc uses of SQLite
beyond the core: the dbstat table (pg_relation_size and the other size functions); the
pysqlite3 wheels lack it.

sqlean.py also compiles in its own SQL extensions (fileio, crypto, define, ...), which it
turns on for a connection when SQLEAN_ENABLE / SQLEAN_ENABLE_<NAME> is set in the
environment. fileio would let SQL read and write the server account's files, so every
such variable is removed here and SQLEAN_ENABLE=0 set, before any connection opens
(the engine's authorizer denies the fileio_ functions as well).
tests/unit/test_sqlite_module.py checks that an environment asking for them gets none.

The module is a drop-in for the standard library's `sqlite3` for everything pgsvc uses:
connect(uri=, isolation_level=None, check_same_thread=, cached_statements=),
create_function(deterministic=), create_aggregate, create_collation, set_authorizer,
set_progress_handler, set_trace_callback, enable_load_extension, backup, in_transaction,
the exception classes and the SQLITE_* authorizer constants. Two differences pgsvc
allows for:
- its exceptions carry SQLite's primary result code in `sqlite_errorcode` (SQLITE_BUSY,
  never the extended SQLITE_BUSY_SNAPSHOT): catalog.sqlite_errors tells a stale snapshot
  by the situation instead;
- it has no blobopen, serialize or getlimit/setlimit (pgsvc uses none).

Every part of one process must use this module and no other SQLite: two copies of SQLite
in one process do not see each other's POSIX locks on a database file, and closing a
file in one would drop the other's locks. tests/unit/test_sqlite_module.py keeps
`import sqlite3` out of pgsvc.

Window functions written in Python are never registered (pgsvc.sql.functions.window_aggs
says why): the standard library's module crashes on an empty frame.
"""

from __future__ import annotations

import os


def _no_sqlean_extensions() -> None:
    for name in [k for k in os.environ if k.startswith("SQLEAN_ENABLE")]:
        del os.environ[name]
    os.environ["SQLEAN_ENABLE"] = "0"


_no_sqlean_extensions()

import sqlean as sqlite3  # noqa: E402 - after the environment is made safe for it

__all__ = ["sqlite3", "SQLITE_VERSION"]

SQLITE_VERSION: str = sqlite3.sqlite_version
