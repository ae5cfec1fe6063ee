"""Sequences: nextval/currval/setval over the pgsvc$sequence catalog rows.

The UDFs run inside the calling statement's SQLite transaction (the statement is
classified as a write, so the writer lock is held). PostgreSQL's sequences are not
transactional: a value handed out stays used even if the statement or transaction
rolls back. So every nextval/setval of the transaction is remembered (`advanced`) and
written again after a rollback (still under the writer lock) — see `reapply`.
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.functions.context import raise_sql


class Sequences:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.current: dict[int, int] = {}
        self.advanced: dict[int, tuple[int, int]] = {}  # oid -> (last_value, is_called) this transaction
        self.stmt_before: dict[int, tuple[int, int]] = {}  # oid -> value before the current statement

    def check(self, oid: int, func: str) -> None:
        """PostgreSQL checks sequence privileges at each call, as the current role."""
        rel = self.engine.catalog.by_oid.get(oid)
        if rel is not None:
            try:
                authz(self.engine).check_sequence_call(rel, func)
            except SqlError as err:
                raise_sql(self.engine.fctx, err)

    def _name(self, oid: int) -> str:
        rel = self.engine.catalog.by_oid.get(oid)
        return rel.name if rel else str(oid)

    def nextval(self, oid: int) -> int:
        self.check(oid, "nextval")
        conn = self.engine.conn
        row = conn.execute('SELECT increment, minvalue, maxvalue, cycle, last_value, is_called '
                           'FROM "pgsvc$sequence" WHERE relid = ?', (oid,)).fetchone()
        if row is None:
            raise_sql(self.engine.fctx, "42P01", f"relation with OID {oid} does not exist")
        inc, lo, hi, cycle, last, called = row
        self.stmt_before.setdefault(oid, (last, called))
        value = last + inc if called else last
        if value > hi or value < lo:
            if not cycle:
                word = "maximum" if value > hi else "minimum"
                bound = hi if value > hi else lo
                raise_sql(self.engine.fctx, "2200H",
                          f'nextval: reached {word} value of sequence "{self._name(oid)}" ({bound})')
            value = lo if inc > 0 else hi
        conn.execute('UPDATE "pgsvc$sequence" SET last_value = ?, is_called = 1 WHERE relid = ?', (value, oid))
        self.current[oid] = value
        self.advanced[oid] = (value, 1)
        return value

    def currval(self, oid: int) -> int:
        self.check(oid, "currval")
        if oid not in self.current:
            raise_sql(self.engine.fctx, "55000",
                      f'currval of sequence "{self._name(oid)}" is not yet defined in this session')
        return self.current[oid]

    def setval(self, oid: int, value: int, called) -> int:
        self.check(oid, "setval")
        conn = self.engine.conn
        row = conn.execute('SELECT minvalue, maxvalue FROM "pgsvc$sequence" WHERE relid = ?', (oid,)).fetchone()
        if row is None:
            raise_sql(self.engine.fctx, "42P01", f"relation with OID {oid} does not exist")
        lo, hi = row
        if value is None:
            return None
        if not lo <= value <= hi:
            raise_sql(self.engine.fctx, SqlError(
                "22003", f'setval: value {value} is out of bounds for sequence "{self._name(oid)}" ({lo}..{hi})'))
        conn.execute('UPDATE "pgsvc$sequence" SET last_value = ?, is_called = ? WHERE relid = ?',
                     (value, 1 if called else 0, oid))
        self.advanced[oid] = (value, 1 if called else 0)
        if called:
            self.current[oid] = value
        return value

    def reapply(self) -> None:
        """Write the transaction's sequence advances again (after a rollback undid them)."""
        for oid, (value, called) in self.advanced.items():
            self.engine.conn.execute('UPDATE "pgsvc$sequence" SET last_value = ?, is_called = ? WHERE relid = ?',
                                     (value, called, oid))

    def rewind_statement(self) -> None:
        """Put the sequences back as they were before the current statement (for a probe re-run)."""
        for oid, (value, called) in self.stmt_before.items():
            self.engine.conn.execute('UPDATE "pgsvc$sequence" SET last_value = ?, is_called = ? WHERE relid = ?',
                                     (value, called, oid))
