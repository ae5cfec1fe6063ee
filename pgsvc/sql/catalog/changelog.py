"""The logical change log: every row change of a published table, recorded in the same
SQLite transaction as the change (what PostgreSQL's logical decoding reads from its WAL).

Stored form, in each database's SQLite file:

  pgsvc$changelog      (seq INTEGER PRIMARY KEY, xid, ts, layout, op, old, new)
      one row per row change. seq never goes back: a new row's is the largest one's plus
      one, and compaction always keeps the newest transaction's rows (not AUTOINCREMENT,
      whose sqlite_sequence row would be one more page written by every commit; a file
      written before keeps its sqlite_sequence mark, which last_seq honours); writers to one
      database are serialised (one SQLite writer at a time), so the rows of one transaction are
      contiguous and transactions follow in commit order. xid: a token that differs between
      consecutive transactions (a random number of the writing connection and its
      transaction count, from the pgsvce_cl_xid() UDF). ts: the change's time (Unix
      seconds). op: 'I' 'U' 'D', or 'T' (TRUNCATE: new holds the layouts of every
      truncated table and its options). old/new: the stored SQLite values, packed by
      pgsvce_cl_pack (marshal of the tuple): new is the whole row, old the identity's
      columns (all for REPLICA IDENTITY FULL; NULL without).
  pgsvc$changelog_rel  (layout INTEGER PRIMARY KEY AUTOINCREMENT, relid, info JSON)
      a published table's layout as its changes were recorded: schema, name, replica
      identity, columns (name, type OID, typmod, part of the identity). A change names the
      layout it was written with, so a later ALTER TABLE does not change how it reads.

The rows are written by SQLite triggers on the published tables, "pgsvc$cl_<relid>_<op>",
one per action some publication publishes for the table: SQLite fires them for every
write whatever caused it (a statement, a PostgreSQL trigger's, a foreign key's cascade,
an upsert, COPY), in every backend, inside the writing transaction, so a rolled-back
change (or savepoint) is never recorded and a committed one always is. `sync` makes the
triggers what the catalog's publications need after each DDL statement (their bodies list
the columns); a table no publication covers has none and pays nothing.

LSNs (PostgreSQL's XLogRecPtr, printed X/X): the change with seq s is at BASE + 16*s. A
transaction whose rows are s1..sN commits at BASE + 16*sN + 8 and ends at BASE + 16*(sN+1),
which is below the next transaction's commit LSN: a subscriber's reported flush position
(an end LSN) as a start point skips exactly the transactions it has applied.
`current_lsn` is the end of the last transaction the connection's snapshot sees.
The reader for the walsender is pgsvc.sql.catalog.changelog_read.
"""

from __future__ import annotations

import json
import marshal
from contextlib import contextmanager

from pgsvc.sql.catalog import publications as PUB
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sqlite import sqlite3

TABLE_SQL = [
    'CREATE TABLE IF NOT EXISTS "pgsvc$changelog" (seq INTEGER PRIMARY KEY, '
    'xid INTEGER NOT NULL, ts REAL NOT NULL, layout INTEGER NOT NULL, op TEXT NOT NULL, old BLOB, new BLOB)',
    'CREATE TABLE IF NOT EXISTS "pgsvc$changelog_rel" (layout INTEGER PRIMARY KEY AUTOINCREMENT, '
    'relid INTEGER NOT NULL, info TEXT NOT NULL)',
]

BASE_LSN = 0x1000000
TRIGGER_PREFIX = "pgsvc$cl_"
_EVENTS = (("I", "INSERT", "insert"), ("U", "UPDATE", "update"), ("D", "DELETE", "delete"))


def format_lsn(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def change_lsn(seq: int) -> int:
    return BASE_LSN + 16 * seq


def end_lsn(last_seq: int) -> int:
    return BASE_LSN + 16 * (last_seq + 1)


def seq_before(lsn: int) -> int:
    """The highest seq whose transaction can have ended at or before lsn."""
    return (lsn - BASE_LSN) // 16 - 1


def ensure_tables(conn: sqlite3.Connection) -> None:
    """A database made before publications gets their tables and the change log's (one
    look-up when they are there: every connection opens through here)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pgsvc$changelog_rel'").fetchone() is None:
        for stmt in PUB.TABLE_SQL + TABLE_SQL:
            conn.execute(stmt)


def last_seq(conn: sqlite3.Connection) -> int:
    """The newest change's seq (compaction keeps it), or the high-water mark of a log
    written with AUTOINCREMENT before."""
    return conn.execute('SELECT max(coalesce((SELECT max(seq) FROM "pgsvc$changelog"), 0), '
                        "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'pgsvc$changelog'), 0))").fetchone()[0]


def current_lsn(conn: sqlite3.Connection) -> int:
    """The end LSN of the last transaction conn's snapshot sees (call it inside the read
    transaction whose snapshot the LSN must match)."""
    try:
        return end_lsn(last_seq(conn))
    except sqlite3.OperationalError:  # no change was ever recorded in this file
        return end_lsn(0)


def pack(*values) -> bytes:
    """pgsvce_cl_pack: a row's stored values as one BLOB (marshal keeps int, float, str,
    bytes and None exactly)."""
    return marshal.dumps(values)


def unpack(blob) -> tuple | None:
    return None if blob is None else marshal.loads(blob)


# --- the capture triggers ------------------------------------------------------------------

def layout_info(rel) -> dict:
    """What a change of rel needs to be read later: generated columns are not published
    (PostgreSQL 15's pgoutput leaves them out)."""
    kind, keys = PUB.identity(rel)
    cols = [a for a in rel.attrs if not a.generated]
    return {"schema": rel.schema, "name": rel.name, "replident": kind,
            "columns": [[a.name, a.domain_oid or a.type_oid, a.typmod, a.attnum in keys] for a in cols]}


def latest_layouts(conn: sqlite3.Connection) -> dict[int, tuple[int, str]]:
    """relid -> (its newest layout, that layout's info text)."""
    return {relid: (layout, info) for relid, layout, info in conn.execute(
        'SELECT relid, layout, info FROM "pgsvc$changelog_rel" WHERE layout IN '
        '(SELECT max(layout) FROM "pgsvc$changelog_rel" GROUP BY relid)')}


def _layout_id(conn: sqlite3.Connection, relid: int, info: dict, latest: dict | None = None) -> int:
    """The layout id of info: the table's newest one when it is the same, else a new one."""
    text = json.dumps(info, separators=(",", ":"))
    if latest is not None:
        row = latest.get(relid)
    else:
        row = conn.execute('SELECT layout, info FROM "pgsvc$changelog_rel" WHERE relid = ? '
                           'ORDER BY layout DESC LIMIT 1', (relid,)).fetchone()
    if row is not None and row[1] == text:
        return row[0]
    return conn.execute('INSERT INTO "pgsvc$changelog_rel" (relid, info) VALUES (?, ?)', (relid, text)).lastrowid


def wanted(conn: sqlite3.Connection, rel, actions: set[str], latest: dict | None = None) -> dict[str, str]:
    """name -> CREATE TRIGGER statement, for the change-log triggers rel needs (latest:
    latest_layouts, read once for many tables)."""
    if not actions.intersection(("insert", "update", "delete")):
        return {}
    info = layout_info(rel)
    layout = _layout_id(conn, rel.oid, info, latest)
    table = quote_sqlite_ident(rel.sqlite_name)
    cols = [a for a in rel.attrs if not a.generated]
    keys = [a for a, c in zip(cols, info["columns"]) if c[3]]

    def packed(rec: str, attrs) -> str:
        if not attrs:
            return "NULL"
        return "pgsvce_cl_pack(" + ", ".join(f"{rec}.{quote_sqlite_ident(a.name)}" for a in attrs) + ")"
    values = {"I": ("NULL", packed("NEW", cols)), "U": (packed("OLD", keys), packed("NEW", cols)),
              "D": (packed("OLD", keys), "NULL")}
    out = {}
    for op, event, action in _EVENTS:
        if action in actions:
            name = f"{TRIGGER_PREFIX}{rel.oid}_{op}"
            old, new = values[op]
            body = ('INSERT INTO "pgsvc$changelog" (xid, ts, layout, op, old, new) VALUES '
                    f"(pgsvce_cl_xid(), unixepoch('subsec'), {layout}, '{op}', {old}, {new})")
            if op != "I" and not keys and info["replident"] != "f":
                # no replica identity: what the translator refuses for a statement
                # (publications.check_replica_identity), refused here for a foreign key's
                # cascade too, as PostgreSQL does
                body = (f"SELECT pgsvce_cl_no_identity({_literal(rel.name)}, '{action}', "
                        f"{_literal(cascade_context(rel, op))})")
            out[name] = f"CREATE TRIGGER {quote_sqlite_ident(name)} AFTER {event} ON {table} BEGIN {body}; END"
    return out


def _literal(text: str | None) -> str:
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


def cascade_context(rel, op: str) -> str | None:
    """The CONTEXT PostgreSQL's error carries when a foreign key's action changes rel's rows
    (ri_triggers.c's statement), when one foreign key of rel can do it ('U' or 'D')."""
    fks = [c for c in rel.constraints if c.contype == "f" and
           (c.on_delete == "c" if op == "D" else c.on_update == "c" or c.on_delete in "nd" or c.on_update in "nd")]
    if len(fks) != 1:
        return None
    fk = fks[0]
    table = f'"{rel.schema}"."{rel.name}"'
    cols = ['"' + rel.attr_by_num(k).name.replace('"', '""') + '"' for k in fk.keys]
    if op == "D":
        where = " AND ".join(f"${i + 1} OPERATOR(pg_catalog.=) {c}" for i, c in enumerate(cols))
        return f'SQL statement "DELETE FROM ONLY {table} WHERE {where}"'
    if fk.on_update == "c":
        sets = ", ".join(f"{c} = ${i + 1}" for i, c in enumerate(cols))
        first = len(cols) + 1
    else:
        word = "NULL" if "n" in (fk.on_delete, fk.on_update) else "DEFAULT"
        sets = ", ".join(f"{c} = {word}" for c in cols)
        first = 1
    where = " AND ".join(f"${first + i} OPERATOR(pg_catalog.=) {c}" for i, c in enumerate(cols))
    return f'SQL statement "UPDATE ONLY {table} SET {sets} WHERE {where}"'


def existing(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                             "AND name LIKE 'pgsvc$cl\\_%' ESCAPE '\\'").fetchall())


def published(catalog) -> dict[int, set[str]]:
    """relid -> the actions some publication publishes for it."""
    if not catalog.publications:
        return {}
    out = {}
    for rel in catalog.by_oid.values():
        if rel.kind == "r":
            acts = PUB.actions_for(catalog.publications, rel, catalog.schemas.get(rel.schema, 0),
                                   PUB.lineage(catalog, rel))
            if acts:
                out[rel.oid] = acts
    return out


def sync(conn: sqlite3.Connection, catalog) -> None:
    """Make the change-log triggers what the catalog's publications need (after each DDL
    statement that may have changed a publication or a published table)."""
    have = existing(conn)
    if not catalog.publications and not have:
        return
    want: dict[str, str] = {}
    latest = latest_layouts(conn)
    for relid, acts in published(catalog).items():
        want.update(wanted(conn, catalog.by_oid[relid], acts, latest))
    for name, sql in have.items():
        if want.get(name) != sql:
            conn.execute(f"DROP TRIGGER IF EXISTS {quote_sqlite_ident(name)}")
    for name, sql in want.items():
        if have.get(name) != sql:
            conn.execute(sql)


@contextmanager
def truncating(conn: sqlite3.Connection, catalog, rels: list, cascade: bool, restart_seqs: bool):
    """TRUNCATE of rels: one 'T' change for the published ones (when some publication
    publishes their truncation), and none of the row deletes that empty them (the DELETE
    triggers are set aside meanwhile, inside the same transaction)."""
    pub = published(catalog)
    rels = [r for r in rels if r.oid in pub]
    if not rels:
        yield
        return
    dropped = {n: s for n, s in existing(conn).items()
               if any(n == f"{TRIGGER_PREFIX}{r.oid}_D" for r in rels)}
    for name in dropped:
        conn.execute(f"DROP TRIGGER {quote_sqlite_ident(name)}")
    yield
    for sql in dropped.values():
        conn.execute(sql)
    logged = [_layout_id(conn, r.oid, layout_info(r)) for r in rels if "truncate" in pub[r.oid]]
    if logged:
        conn.execute('INSERT INTO "pgsvc$changelog" (xid, ts, layout, op, old, new) VALUES '
                     "(pgsvce_cl_xid(), unixepoch('subsec'), ?, 'T', NULL, ?)",
                     (logged[0], pack(tuple(logged), cascade, restart_seqs)))


__all__ = ["TABLE_SQL", "BASE_LSN", "format_lsn", "parse_lsn", "change_lsn", "end_lsn", "seq_before",
           "ensure_tables", "last_seq", "current_lsn", "pack", "unpack", "layout_info", "latest_layouts", "wanted",
           "existing", "published", "sync", "truncating"]
