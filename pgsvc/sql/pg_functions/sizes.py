"""Size functions: pg_relation_size, pg_table_size, pg_indexes_size,
pg_total_relation_size, pg_database_size, pg_size_pretty and pg_size_bytes
(registered by pgsvc.sql.pg_functions.catalog_funcs).

A relation's size is the bytes of its SQLite b-tree pages (the dbstat table), a
database's the size of its file plus its write-ahead log: real sizes of pgsvc's
storage, not PostgreSQL's 8 kB heap pages, so they differ from PostgreSQL's numbers for
the same data. pg_size_pretty and pg_size_bytes are PostgreSQL 15's arithmetic exactly.
"""

from __future__ import annotations

import os
from decimal import ROUND_DOWN, Decimal

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.catalog.system.pg_catalog_defs import REL_OIDS
from pgsvc.sql.types.numeric import format_numeric


_FORKS = ("main", "fsm", "vm", "init")


def _btree_bytes(engine, sqlite_name: str) -> int:
    row = engine.conn.execute("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ? AND aggregate = 0",
                              (sqlite_name,)).fetchone()
    return int(row[0]) if row else 0


def _relation(engine, oid):
    return engine.catalog.by_oid.get(int(oid)) if oid is not None else None


def _index_names(engine, rel) -> list[str]:
    rows = engine.conn.execute("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?",
                               (rel.sqlite_name,)).fetchall()
    return [r[0] for r in rows]


def relation_size(engine, oid, fork="main"):
    """pg_relation_size(regclass[, fork]): the relation's own pages (the main fork)."""
    if fork not in _FORKS:
        raise SqlError("22023", "invalid fork name", hint='Valid fork names are "main", "fsm", "vm", and "init".')
    rel = _relation(engine, oid)
    if rel is None or fork != "main" or rel.kind == "v":
        return None if rel is None and oid is not None and not _is_catalog_oid(oid) else 0
    if rel.kind == "i":
        return _btree_bytes(engine, _index_sqlite_name(engine, rel))
    return _btree_bytes(engine, rel.sqlite_name) if rel.sqlite_name else 0


def _index_sqlite_name(engine, rel) -> str:
    return getattr(rel, "sqlite_name", None) or rel.name


def _is_catalog_oid(oid) -> bool:
    return int(oid) in REL_OIDS.values()


def table_size(engine, oid):
    rel = _relation(engine, oid)
    if rel is None:
        return 0 if oid is not None and _is_catalog_oid(oid) else None
    return relation_size(engine, oid)


def indexes_size(engine, oid):
    rel = _relation(engine, oid)
    if rel is None:
        return 0 if oid is not None and _is_catalog_oid(oid) else None
    if rel.kind != "r" or not rel.sqlite_name:
        return 0
    return sum(_btree_bytes(engine, name) for name in _index_names(engine, rel))


def total_relation_size(engine, oid):
    t = table_size(engine, oid)
    return None if t is None else t + indexes_size(engine, oid)


def database_size(engine, key, by_oid: bool):
    """pg_database_size(name | oid): the database file and its write-ahead log."""
    if key is None:
        return None
    cat = shared(engine).cat
    db = cat.find_database_oid(int(key)) if by_oid else cat.find_database(str(key))
    if db is None:
        if by_oid:
            return None
        raise SqlError("3D000", f'database "{key}" does not exist')
    path = _database_path(engine, db)
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def _database_path(engine, db) -> str:
    """DATADIR/base/<oid>.db (pgsvc.sql.commands.databases' layout)."""
    if db.name == engine.session.database:
        return engine.session.database_path
    return os.path.join(engine.session.datadir, "base", f"{int(db.oid)}.db")


# PostgreSQL 15's pg_size_pretty units: (name, limit, half-round, bits)
_UNITS = (("bytes", 10 * 1024, False, 0), ("kB", 20 * 1024 - 1, True, 10), ("MB", 20 * 1024 - 1, True, 20),
          ("GB", 20 * 1024 - 1, True, 30), ("TB", 20 * 1024 - 1, True, 40), ("PB", 20 * 1024 - 1, True, 50))


def size_pretty(size, numeric: bool = False):
    """pg_size_pretty(bigint | numeric): 10 kB and up in the next unit, half-rounded."""
    if size is None:
        return None
    value = Decimal(str(size)) if numeric else int(size)
    for i, (name, limit, rounds, bits) in enumerate(_UNITS):
        last = i == len(_UNITS) - 1
        if last or abs(value) < limit:
            if rounds:
                value = _trunc(value + (1 if value >= 0 else -1), 2)
            return f"{_num_text(value)} {name}"
        nxt = _UNITS[i + 1]
        shift = nxt[3] - bits - int(nxt[2]) + int(rounds)
        value = _trunc(value, 1 << shift)
    return None


def _trunc(value, divisor):
    """Division truncating toward zero (C's integer division, numeric_div_trunc)."""
    if isinstance(value, Decimal):
        return (value / divisor).to_integral_value(rounding=ROUND_DOWN)
    q = abs(value) // divisor
    return q if value >= 0 else -q


def _num_text(value) -> str:
    if isinstance(value, Decimal):
        return format_numeric(value)
    return str(value)


def size_bytes(text):
    """pg_size_bytes(text): '10 kB' -> 10240 (units bytes, kB, MB, GB, TB, PB; case-insensitive)."""
    if text is None:
        return None
    s = str(text).strip()
    num = ""
    i = 0
    while i < len(s) and (s[i].isdigit() or s[i] in "+-.eE" and not (s[i] in "eE" and not num)):
        num += s[i]
        i += 1
    unit = s[i:].strip()
    try:
        value = Decimal(num)
    except Exception:  # noqa: BLE001
        raise SqlError("22023", f'invalid size: "{text}"') from None
    factors = {"bytes": 0, "kb": 10, "mb": 20, "gb": 30, "tb": 40, "pb": 50, "": 0}
    if unit.lower() not in factors:
        raise SqlError("22023", f'invalid size: "{text}"',
                       detail=f'Invalid size unit: "{unit}".',
                       hint='Valid units are "bytes", "kB", "MB", "GB", "TB", and "PB".')
    result = int((value * (1 << factors[unit.lower()])).to_integral_value(rounding=ROUND_DOWN))
    if not -2**63 <= result < 2**63:
        raise SqlError("22003", "bigint out of range")
    return result
