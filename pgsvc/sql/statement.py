"""A translated statement and its result: the objects behind pgsvc.sql.api's
StatementProtocol and ResultProtocol, shared by the runner (pgsvc.sql.exec) and the
commands that build utility statements (pgsvc.sql.commands, with `utility_statement` and
`done`). Plain data: typing a statement's values is the engine's (Runner.finish_types).
"""

from __future__ import annotations

from typing import Iterator

from pgsvc.sql.api import Column, CopySpec
from pgsvc.sqlite import sqlite3


class Statement:
    """A translated statement (StatementProtocol)."""

    def __init__(self, sql: str, command: str, columns: list[Column] | None = None) -> None:
        self.sql = sql
        self.command = command
        self.columns = columns
        self.param_oids: list[int] = []
        self.is_empty = False
        self.copy: CopySpec | None = None
        self.sqlite_sql: str | None = None
        self.writes = False
        self.returning = False
        self.handler = None  # utility statements: callable(engine, stmt) -> Result
        self.node = None
        self.version = 0
        self.cacheable = True
        self.literals: list[str] | None = None  # simple query: lifted literal texts
        self.in_convs: list = []
        self.out_convs: list | None = None
        self.txn_exit = False
        self.extra: dict = {}
        self.deferred = None  # (script text, pglast RawStmt): translated when it runs

    @classmethod
    def deferred_from(cls, sql: str, raw) -> Statement:
        """A later statement of a multi-statement query, translated only when it runs."""
        s = cls(sql, "SET" if type(raw.stmt).__name__ == "VariableSetStmt" else "")
        s.deferred = (sql, raw)
        s.cacheable = False
        return s

    @classmethod
    def empty(cls, sql: str) -> Statement:
        s = cls(sql, "")
        s.is_empty = True
        return s

    def bind_literals(self, text: str, literals: list[str], offsets: list[int]) -> Statement:
        bound = object.__new__(Statement)
        bound.__dict__.update(self.__dict__)
        bound.sql = text
        bound.literals = literals
        bound.lit_offsets = offsets
        bound.lit_oids = self.param_oids
        bound.param_oids = []
        return bound


class Result:
    formats: tuple = ()  # result format codes for a simple query (FETCH from a BINARY cursor)

    def __init__(self, columns, rows: Iterator[tuple] | list, tag_word: str, count: int | None = None,
                 cursor=None) -> None:
        self.columns = columns
        self.rows = iter(rows)
        self._tag = tag_word
        self._count = count
        self._cursor = cursor

    def tag(self, rows_sent: int) -> str:
        if self._tag in ("SELECT", "COPY", "FETCH", "MOVE") and self._count is None:
            return f"{self._tag} {rows_sent}"
        if self._tag == "INSERT":
            return f"INSERT 0 {self._count if self._count is not None else rows_sent}"
        if self._tag in ("UPDATE", "DELETE", "SELECT", "COPY", "MERGE", "FETCH", "MOVE"):
            return f"{self._tag} {self._count if self._count is not None else rows_sent}"
        return self._tag

    def close(self) -> None:
        if self._cursor is not None:
            try:
                self._cursor.close()
            except sqlite3.Error:
                pass
            self._cursor = None


def convert_rows(cursor, convs) -> Iterator[tuple]:
    if convs is None:
        yield from cursor
        return
    if convs == "zero":
        for _ in cursor:
            yield ()
        return
    pairs = [(i, c) for i, c in enumerate(convs) if c is not None]
    for row in cursor:
        row = list(row)
        for i, c in pairs:
            v = row[i]
            if v is not None:
                row[i] = c(v)
        yield tuple(row)


def utility_statement(text: str, command: str, handler, columns: list[Column] | None = None,
                      writes: bool = False, cacheable: bool = True) -> Statement:
    """A statement its handler runs at execute time: handler(engine, stmt, params) -> Result."""
    s = Statement(text, command, columns)
    s.handler = handler
    s.writes = writes
    s.cacheable = cacheable
    return s


def done(command: str) -> Result:
    """A result without rows: only its command tag."""
    return Result(None, [], command)
