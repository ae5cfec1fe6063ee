"""Reading the change log (pgsvc.sql.catalog.changelog) for the walsender: committed
transactions in commit order, each change with its relation's layout as it was written and
its values in PostgreSQL's text output form (what pgoutput sends).

  read_transactions(conn, after_lsn, limit=100, ctx=None) -> list[Txn]
      the transactions with commit_lsn >= after_lsn, whole, at most `limit` of them. conn
      is any connection on the database file (pgsvc.sqlite); outside a transaction each
      call reads one consistent snapshot. User types (enums, domains) print as the
      process's loaded catalog knows them (pgsvc.sql.catalog.database.load).
  published_relids(conn, pub_names) -> {relid: {'insert', 'update', 'delete', 'truncate'}}
  relation_info(conn, relid) -> RelInfo | None   the table's latest recorded layout
  publication_roots(conn, pub_names) -> {partition relid: root relid}   for the publications
      WITH (publish_via_partition_root): pass it as read_transactions(..., roots=...) and
      their partitions' changes come as the root table's, as PostgreSQL sends them

Old tuples as pgoutput sends them: for REPLICA IDENTITY DEFAULT / USING INDEX an UPDATE
carries the old key ('K': key columns, the others None) only when the key changed, a DELETE
always; FULL carries the whole old row ('O'); NOTHING none.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import changelog as CL
from pgsvc.sql.catalog import publications as PUB
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.context import FormatContext
from pgsvc.sql.types.textio import text_encoder
from pgsvc.sqlite import sqlite3

# what PostgreSQL's apply worker asks its walsender for (libpqwalreceiver's options)
REPLICATION_CTX = FormatContext(datestyle="ISO, MDY", intervalstyle="postgres", timezone="UTC",
                                extra_float_digits=3)


@dataclass
class RelInfo:
    oid: int
    schema: str
    name: str
    replident: str  # 'd' 'n' 'f' 'i'
    columns: list[tuple[str, int, int, bool]]  # (name, type OID, typmod, part of the identity)
    version: int  # the layout's id: a different one means a different Relation message


@dataclass
class Change:
    kind: str  # 'I' 'U' 'D' 'T'
    lsn: int
    rel: RelInfo | None = None
    new: tuple | None = None  # text values (None for NULL), every column
    old: tuple | None = None
    old_kind: str | None = None  # 'K' key columns only, 'O' the whole old row, None not sent
    rels: list[RelInfo] = field(default_factory=list)  # TRUNCATE's tables
    cascade: bool = False
    restart_seqs: bool = False


@dataclass
class Txn:
    xid: int
    first_lsn: int
    commit_lsn: int
    end_lsn: int
    commit_time: _dt.datetime
    changes: list[Change] = field(default_factory=list)


class _Layouts:
    """The layouts read so far and their value printers (one per column)."""

    def __init__(self, conn, ctx: FormatContext) -> None:
        self.conn, self.ctx = conn, ctx
        self.rels: dict[int, RelInfo] = {}
        self.printers: dict[int, list] = {}

    def get(self, layout: int) -> RelInfo:
        rel = self.rels.get(layout)
        if rel is None:
            row = self.conn.execute('SELECT relid, info FROM "pgsvc$changelog_rel" WHERE layout = ?',
                                    (layout,)).fetchone()
            rel = self.rels[layout] = _relinfo(layout, row[0], json.loads(row[1]))
            self.printers[layout] = [_printer(oid, self.ctx) for _n, oid, _m, _k in rel.columns]
        return rel

    def latest(self, relid: int) -> RelInfo | None:
        """The table's newest layout (a partitioned table's, for publish_via_partition_root)."""
        row = self.conn.execute('SELECT max(layout) FROM "pgsvc$changelog_rel" WHERE relid = ?', (relid,)).fetchone()
        return self.get(row[0]) if row[0] is not None else None

    def text(self, layout: int, values) -> tuple:
        return tuple(None if v is None else p(v) for p, v in zip(self.printers[layout], values))


def _relinfo(layout: int, relid: int, info: dict) -> RelInfo:
    return RelInfo(relid, info["schema"], info["name"], info["replident"],
                   [tuple(c) for c in info["columns"]], layout)


def _printer(oid: int, ctx: FormatContext):
    from_sqlite = sqlite_adapter(oid)[1]
    enc = text_encoder(oid, ctx)
    if from_sqlite is None:
        return enc
    return lambda v: enc(from_sqlite(v))


def read_transactions(conn: sqlite3.Connection, after_lsn: int, limit: int = 100,
                      ctx: FormatContext | None = None, roots: dict[int, int] | None = None) -> list[Txn]:
    """roots: publication_roots' map: a partition's changes are reported as its root's."""
    min_last = max(0, -(-(after_lsn - CL.BASE_LSN - 8) // 16))  # commit_lsn >= after_lsn
    try:
        first = conn.execute('SELECT seq, xid FROM "pgsvc$changelog" WHERE seq >= ? ORDER BY seq LIMIT 1',
                             (min_last,)).fetchone()
    except sqlite3.OperationalError:
        return []  # a file from before the change log
    if first is None:
        return []
    before = conn.execute('SELECT max(seq) FROM "pgsvc$changelog" WHERE seq < ? AND xid <> ?', first).fetchone()[0]
    start = first[0] if before is None else before + 1
    layouts = _Layouts(conn, ctx or REPLICATION_CTX)
    out: list[Txn] = []
    txn, token, last = None, None, 0
    for seq, xid, ts, layout, op, old, new in conn.execute(
            'SELECT seq, xid, ts, layout, op, old, new FROM "pgsvc$changelog" WHERE seq >= ? ORDER BY seq', (start,)):
        if xid != token:
            if txn is not None:
                _finish(txn, last)
                if len(out) >= limit:
                    return out
            token = xid
            txn = Txn((seq % 0xFFFFFFF0) + 3, CL.change_lsn(seq), 0, 0, _dt.datetime.now(_dt.UTC))
            out.append(txn)
        last = seq
        txn.commit_time = _dt.datetime.fromtimestamp(ts, _dt.UTC)
        ch = _change(layouts, seq, layout, op, old, new)
        txn.changes.append(_as_root(layouts, ch, roots) if roots else ch)
    if txn is not None:
        _finish(txn, last)
    return out


def _finish(txn: Txn, last_seq: int) -> None:
    txn.commit_lsn = CL.change_lsn(last_seq) + 8
    txn.end_lsn = CL.end_lsn(last_seq)


def _change(layouts: _Layouts, seq: int, layout: int, op: str, old, new) -> Change:
    lsn = CL.change_lsn(seq)
    if op == "T":
        ids, cascade, restart = CL.unpack(new)
        return Change("T", lsn, rels=[layouts.get(i) for i in ids], cascade=bool(cascade),
                      restart_seqs=bool(restart))
    rel = layouts.get(layout)
    new_vals = CL.unpack(new)
    old_vals = CL.unpack(old)
    ch = Change(op, lsn, rel, layouts.text(layout, new_vals) if new_vals is not None else None)
    if old_vals is None:
        return ch
    keys = [i for i, c in enumerate(rel.columns) if c[3]]
    if rel.replident == "f":
        ch.old, ch.old_kind = layouts.text(layout, old_vals), "O"
        return ch
    if op == "U" and all(new_vals[i] == v for i, v in zip(keys, old_vals)):
        return ch  # the key did not change: no old tuple (as PostgreSQL logs it)
    full: list = [None] * len(rel.columns)
    for i, v in zip(keys, old_vals):
        full[i] = v
    ch.old, ch.old_kind = layouts.text(layout, full), "K"
    return ch


def _as_root(layouts: _Layouts, ch: Change, roots: dict[int, int]) -> Change:
    """A partition's change as its root's (publish_via_partition_root): the root's Relation,
    the values by column name, the old key as the root's identity has it."""
    if ch.kind == "T":
        out, seen = [], set()
        for rel in ch.rels:
            mapped = layouts.latest(roots[rel.oid]) if rel.oid in roots else rel
            mapped = mapped or rel
            if mapped.oid not in seen:
                seen.add(mapped.oid)
                out.append(mapped)
        ch.rels = out
        return ch
    root = layouts.latest(roots[ch.rel.oid]) if ch.rel.oid in roots else None
    if root is None:
        return ch
    names = [c[0] for c in ch.rel.columns]

    def remap(values):
        if values is None:
            return None
        by_name = dict(zip(names, values))
        return tuple(by_name.get(c[0]) for c in root.columns)
    old = remap(ch.old)
    if old is not None and ch.old_kind == "K":
        old = tuple(v if c[3] else None for v, c in zip(old, root.columns))
    return Change(ch.kind, ch.lsn, root, remap(ch.new), old, ch.old_kind)


def relation_info(conn: sqlite3.Connection, relid: int) -> RelInfo | None:
    row = conn.execute('SELECT layout, info FROM "pgsvc$changelog_rel" WHERE relid = ? ORDER BY layout DESC LIMIT 1',
                       (relid,)).fetchone()
    return None if row is None else _relinfo(row[0], relid, json.loads(row[1]))


def _chosen(conn: sqlite3.Connection, pub_names) -> list:
    by_name = {p.name: p for p in PUB.load(conn).values()}
    for name in pub_names:
        if name not in by_name:
            raise SqlError("42704", f'publication "{name}" does not exist')
    return [by_name[name] for name in pub_names]


def _tables(conn: sqlite3.Connection) -> list[tuple]:
    """(table, its schema OID, (OID, schema OID) of the partitioned tables above it)."""
    rows = conn.execute('SELECT c.oid, c.nspoid, n.nspname, c.options FROM "pgsvc$class" c '
                        'JOIN "pgsvc$namespace" n ON n.oid = c.nspoid WHERE c.relkind = \'r\'').fetchall()
    rels = {oid: (_Rel(oid, nspname, json.loads(options) if options else {}), nspoid)
            for oid, nspoid, nspname, options in rows}
    out = []
    for rel, nspoid in rels.values():
        up, parent = [], rel
        while parent.options.get("partbound") is not None and parent.options.get("inherits") and len(up) < 100:
            found = rels.get(parent.options["inherits"][0])
            if found is None:
                break
            parent = found[0]
            up.append((parent.oid, found[1]))
        out.append((rel, nspoid, up))
    return out


def published_relids(conn: sqlite3.Connection, pub_names) -> dict[int, set[str]]:
    """The tables the named publications cover, with the actions they publish for each."""
    chosen = _chosen(conn, pub_names)
    out: dict[int, set[str]] = {}
    for rel, nspoid, up in _tables(conn):
        for pub in chosen:
            if PUB.covers(pub, rel, nspoid, up):
                out.setdefault(rel.oid, set()).update(a for a, on in pub.actions.items() if on)
    return out


def publication_roots(conn: sqlite3.Connection, pub_names) -> dict[int, int]:
    """For the named publications with publish_via_partition_root: each covered partition's
    topmost partitioned table that the publication covers (read_transactions' `roots`)."""
    out: dict[int, int] = {}
    for pub in _chosen(conn, pub_names):
        if not pub.viaroot:
            continue
        for rel, _nspoid, up in _tables(conn):
            for oid, nsp in reversed(up):  # the farthest ancestor the publication names
                if pub.alltables or oid in pub.rels or nsp in pub.schemas:
                    out.setdefault(rel.oid, oid)
                    break
    return out


@dataclass
class _Rel:
    """What publications.covers needs of a table."""
    oid: int
    schema: str
    options: dict
    kind: str = "r"


__all__ = ["REPLICATION_CTX", "RelInfo", "Change", "Txn", "read_transactions", "relation_info",
           "published_relids", "publication_roots"]
