"""The run-time state of one PL/pgSQL call (PostgreSQL's PLpgSQL_execstate) and the pieces
every statement kind shares: record values, control signals, CONTEXT lines.

Variables live in `Frame.values`, one slot per datum of the compiled function (its dno),
holding the value in its *stored form* (pgsvc.sql.types: what SQLite holds), so that the
list itself is the parameter vector of every translated expression: the variable of dno d
is the SQLite parameter ?(d+1), and a statement runs with `values[:n]`. Record fields
referenced by an expression get slots of their own after the datums (Function.field_slot),
filled from the record just before the statement runs. Records themselves are in
`Frame.recs` (a Rec per record datum).
"""

from __future__ import annotations

from pgsvc.errors import SqlError


class Rec:
    """A record variable's value: its columns (shape: ((name, type, typmod), ...)) and
    values (stored forms; None: the record is NULL, its fields read as NULL), or no shape at
    all (a `record` not assigned yet)."""

    __slots__ = ("shape", "values", "declared")

    def __init__(self, shape: tuple | None = None, values: list | None = None, declared: bool = False) -> None:
        self.shape = shape
        self.values = values
        self.declared = declared  # a %ROWTYPE / composite variable keeps its shape

    def is_null(self) -> bool:
        return self.values is None or all(v is None for v in self.values)


_SHAPES: dict[tuple, tuple] = {}


def shape_of(cols) -> tuple:
    """The interned shape of columns [(name, type, typmod), ...] (identity compares)."""
    key = tuple((n, int(t), int(m)) for n, t, m in cols)
    found = _SHAPES.get(key)
    if found is None:
        if len(_SHAPES) > 5000:
            _SHAPES.clear()
        found = _SHAPES[key] = key
    return found


class Signal:
    """EXIT / CONTINUE (label or None) and RETURN, as statement results."""

    __slots__ = ("kind", "label")

    def __init__(self, kind: str, label: str | None = None) -> None:
        self.kind = kind
        self.label = label


RETURN = Signal("return")


class PlError(Exception):
    """Raised inside the interpreter to carry a SqlError past Python frames unchanged."""


class Frame:
    """One execution of a compiled function."""

    __slots__ = ("func", "engine", "values", "recs", "err_stmt", "err_text", "call", "result", "rows",
                 "handled", "row_count", "atomic", "trigger", "cursors", "parent", "depth", "sql_ctx")

    def __init__(self, func, engine, call, parent) -> None:
        self.func = func
        self.engine = engine
        self.values: list = [None] * func.nslots
        self.recs: list = [None] * len(func.datums)
        self.err_stmt = None
        self.err_text: str | None = "during initialization of execution state"
        self.call = call
        self.result = None  # RETURN's value (stored form, a tuple for a row)
        self.rows: list | None = [] if func.retset else None  # RETURN NEXT / QUERY
        self.handled: list[SqlError] = []  # errors being handled (innermost last): RAISE;, GET STACKED
        self.row_count = 0
        self.atomic = True
        self.trigger = None
        self.cursors: list[str] = []  # portals this call opened (closed at exit unless returned)
        self.parent = parent  # the PL/pgSQL frame that called us, if any
        self.depth = 0
        self.sql_ctx: str | None = None  # the SQL statement running now (functions it calls are under it)

    def context(self) -> str:
        """This frame's CONTEXT line (plpgsql_exec_error_callback)."""
        sig = self.func.signature
        stmt = self.err_stmt
        if self.err_text is not None:
            if stmt is not None:
                return f"PL/pgSQL function {sig} line {stmt.lineno} {self.err_text}"
            return f"PL/pgSQL function {sig} {self.err_text}"
        if stmt is not None and stmt.lineno > 0:
            return f"PL/pgSQL function {sig} line {stmt.lineno} at {stmt.typename}"
        return f"PL/pgSQL function {sig}"

    def stack_context(self) -> str:
        """The CONTEXT lines of this frame and the PL/pgSQL frames that called it (with the
        SQL statements they were running)."""
        lines = [self.context()]
        fr = self.parent
        while fr is not None:
            if fr.sql_ctx:
                lines.append(fr.sql_ctx)
            lines.append(fr.context())
            fr = fr.parent
        return "\n".join(lines)


def add_context(err: SqlError, line: str) -> SqlError:
    """One more CONTEXT line (outer ones last); none for an error thrown again by RAISE;,
    which keeps the context it had when first raised (misc.complete)."""
    if getattr(err, "pl_complete", False):
        return err
    err.context = f"{err.context}\n{line}" if err.context else line
    return err


def need_rec(fr: Frame, dno: int) -> Rec:
    rec = fr.recs[dno]
    if rec is None or rec.shape is None:
        name = fr.func.datums[dno].name
        raise SqlError("55000", f'record "{name}" is not assigned yet',
                       detail="The tuple structure of a not-yet-assigned record is indeterminate.")
    return rec


__all__ = ["Rec", "Frame", "Signal", "RETURN", "PlError", "shape_of", "add_context", "need_rec"]
