"""The SQLite pgsvc runs on: one module, imported as `from pgsvc.sqlite import sqlite3`.

pgsvc ships its SQLite instead of taking whatever the host has: pysqlite3's wheels
(`pysqlite3` on PyPI, manylinux for CPython 3.9 and later) carry the standard library's
sqlite3 module compiled against a current SQLite amalgamation, statically linked. So a
crash or wrong answer fixed upstream cannot reach users through an old system library
(Debian bookworm's is 3.40.1), and every installation runs the SQLite the tests ran.

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
says why): the standard library's module crashes on an empty frame, and pysqlite3 answers
NULL without asking the aggregate.
"""

from __future__ import annotations

from pysqlite3 import dbapi2 as sqlite3

__all__ = ["sqlite3", "SQLITE_VERSION"]

SQLITE_VERSION: str = sqlite3.sqlite_version
