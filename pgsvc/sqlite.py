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

import ctypes
import os
import sys


def _no_sqlean_extensions() -> None:
    for name in [k for k in os.environ if k.startswith("SQLEAN_ENABLE")]:
        del os.environ[name]
    os.environ["SQLEAN_ENABLE"] = "0"


_no_sqlean_extensions()

import sqlean as sqlite3  # noqa: E402 - after the environment is made safe for it

__all__ = ["sqlite3", "SQLITE_VERSION", "keep_wal_files"]

SQLITE_VERSION: str = sqlite3.sqlite_version

# -- WAL files kept between connections --------------------------------------------------
SQLITE_FCNTL_PERSIST_WAL = 10
# PRAGMA journal_size_limit: needed for the last close to cut a kept WAL back to 0 bytes;
# as a limit it only trims a WAL grown past it (a long transaction) when a checkpoint
# resets it, far above what the automatic checkpoints (1000 pages) let it reach.
WAL_SIZE_LIMIT = 64 << 20


def _sqlite_library():
    """The SQLite sqlean links statically into its module (its sqlite3_* symbols are
    exported), with the two calls keep_wal_files makes; None where that is not so."""
    try:
        lib = ctypes.CDLL(sys.modules[sqlite3.Connection.__module__.rsplit(".", 1)[0] + "._sqlite3"].__file__)
        lib.sqlite3_db_filename.restype, lib.sqlite3_db_filename.argtypes = ctypes.c_char_p, [ctypes.c_void_p,
                                                                                             ctypes.c_char_p]
        lib.sqlite3_file_control.restype = ctypes.c_int
        lib.sqlite3_file_control.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
    except (KeyError, AttributeError, OSError):
        return None
    return lib


_LIB = _sqlite_library()


def keep_wal_files(conn, path: str) -> bool:
    """Leave the database's -wal and -shm files in place when this connection is the last
    to close (SQLITE_FCNTL_PERSIST_WAL; the WAL is still checkpointed and then truncated
    to 0 bytes, as WAL_SIZE_LIMIT asks). By default the last connection to close deletes
    both, and the next one to open creates them again: with one backend per connection
    and nothing else holding the database open, every connection (and its login's
    shared catalog) paid two file creations, two unlinks and the inodes' set-up and
    release. True when set.

    The module gives no access to the connection's `sqlite3 *`: it is the first field
    after the object header (pysqlite's Connection, in every version of it), and is used
    only once SQLite itself names `path` as that handle's main database file."""
    if _LIB is None:
        return False
    db = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
    if not db:
        return False
    name = _LIB.sqlite3_db_filename(db, b"main")
    if not name:
        return False
    name = name.decode(errors="replace")  # SQLite's full path name, symbolic links resolved
    if name != os.path.abspath(path) and os.path.realpath(name) != os.path.realpath(path):
        return False
    on = ctypes.c_int(1)
    if _LIB.sqlite3_file_control(db, b"main", SQLITE_FCNTL_PERSIST_WAL, ctypes.byref(on)) != 0:
        return False
    conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}").fetchone()
    return True
