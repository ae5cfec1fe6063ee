"""PL/pgSQL cursors (pl_exec.c's exec_stmt_open, exec_stmt_fetch, exec_stmt_close,
exec_stmt_forc): bound cursors (DECLARE c [NO] SCROLL CURSOR [(args)] FOR query) and
refcursor variables, OPEN [FOR query | FOR EXECUTE ... USING], FETCH [direction] [FROM]
c INTO target, MOVE, CLOSE, and FOR r IN c [(args)] LOOP.

A portal here is the query's rows, read when it is OPENed, and a position over them
(0 before the first row, n+1 after the last), so every direction works. It lives in the
engine's cursor table beside SQL-level cursors (commands.portals), under the name the
cursor variable holds (or `<unnamed portal N>` when it held NULL): a function may return
the refcursor and the client FETCH from it by that name, until the transaction ends.

libpg_query's parser refuses these statements; source.Source.rewrite_cursors gives it
stand-ins, and the compiler's hooks (cursor_statement, cursor_marker, cursor_dynamic,
cursor_loop) build the statements below from what it recorded.
"""

from __future__ import annotations


from pgsvc.errors import SqlError
from pgsvc.sql.api import Column
from pgsvc.sql.exec.plpgsql import assign
from pgsvc.sql.exec.plpgsql.control import Stmt, check_interrupts, loop_signal, run_list
from pgsvc.sql.exec.plpgsql.exprs import Expr
from pgsvc.sql.exec.plpgsql.source import normalize_ident, tokens_of
from pgsvc.sql.exec.plpgsql.sqlstmts import dynamic_statement, plan_statement, run_dynamic, run_plan, set_found
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter

_MAX = 2**63 - 1


class PortalRows:
    """What SQL-level FETCH reads (commands.portals): the rows after the position, as
    Python values, advancing it."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.rows = self
        self.convs = [sqlite_adapter(t)[1] for t in portal.types]

    def __iter__(self):
        return self

    def __next__(self):
        p = self.portal
        if p.pos >= len(p.rows):
            p.pos = len(p.rows) + 1
            raise StopIteration
        row = p.rows[p.pos]
        p.pos += 1
        return tuple(c(v) if c is not None and v is not None else v for c, v in zip(self.convs, row))

    def close(self) -> None:
        self.portal.closed = True


class Portal:
    """An open cursor (see the module docstring)."""

    def __init__(self, name: str, rows: list, types: list[int], names: list[str], scroll: bool) -> None:
        self.name = name
        self.rows = rows
        self.types = types
        self.names = names
        self.pos = 0
        self.scroll = scroll
        self.closed = False
        self.hold = False
        self.failed = False
        self.stmt = type("PortalStmt", (), {})()
        self.stmt.columns = [Column(n, t) for n, t in zip(names, types)]
        self.result = PortalRows(self)

    def fetch(self, direction: str, count: int | None) -> tuple | None:
        """Move one step (FETCH): the row now under the position, or None."""
        n = len(self.rows)
        pos = self.pos
        if direction in ("next", "forward"):
            pos = pos + (1 if count is None else count)
        elif direction in ("prior", "backward"):
            pos = pos - (1 if count is None else count)
        elif direction == "first":
            pos = 1
        elif direction == "last":
            pos = n
        elif direction == "absolute":
            pos = count if count >= 0 else n + count + 1
        elif direction == "relative":
            pos = pos + count
        if not self.scroll and (direction in ("prior", "backward", "first", "last") or pos <= self.pos and
                                direction in ("absolute", "relative")):
            raise SqlError("55000", "cursor can only scan forward",
                           hint="Declare it with SCROLL option to enable backward scan.")
        self.pos = min(max(pos, 0), n + 1)
        return self.rows[self.pos - 1] if 1 <= self.pos <= n else None

    def move_many(self, direction: str, count: int) -> int:
        """MOVE FORWARD/BACKWARD n | ALL: how many rows it passed."""
        n = len(self.rows)
        if direction in ("backward", "prior"):
            if not self.scroll:
                raise SqlError("55000", "cursor can only scan forward",
                               hint="Declare it with SCROLL option to enable backward scan.")
            moved = min(count, self.pos - 1 if self.pos > 0 else 0)
            self.pos = max(self.pos - count, 0)
            return max(moved, 0)
        moved = max(min(count, n - self.pos), 0)
        self.pos = min(self.pos + count, n + 1)
        return moved


def portal_name(fr, dno: int) -> str:
    """The name to open a cursor under: the variable's value, else a fresh unnamed one."""
    value = fr.values[dno]
    if value is not None:
        return value
    engine = fr.engine
    n = getattr(engine, "plpgsql_portal_count", 0) + 1
    engine.plpgsql_portal_count = n
    return f"<unnamed portal {n}>"


def open_portal(fr, dno: int, rows, types, names, scroll: bool) -> Portal:
    name = portal_name(fr, dno)
    if name in fr.engine.cursors:
        raise SqlError("42P03", f'cursor "{name}" already in use')
    portal = Portal(name, list(rows), list(types), list(names), scroll)
    fr.engine.cursors[name] = portal
    fr.values[dno] = name
    return portal


def find_portal(fr, dno: int) -> Portal:
    d = fr.func.datums[dno]
    name = fr.values[dno]
    if name is None:
        raise SqlError("22004", f'cursor variable "{d.name}" is null')
    portal = fr.engine.cursors.get(name)
    if portal is None:
        raise SqlError("34000", f'cursor "{name}" does not exist')
    if not isinstance(portal, Portal):
        raise SqlError("0A000", f'cursor "{name}" was not opened by PL/pgSQL')
    return portal


def split_args(text: str) -> list[tuple[str | None, str, int, int, int | None]]:
    """A bound cursor's arguments: [(name or None, expression text, where the argument
    starts in text, where the ',' or the end after it is, where a '=>' is)]. PostgreSQL 15
    names an argument with := only: 'name => value' is an expression, a syntax error."""
    out, depth, start = [], 0, 0
    toks = tokens_of(text)
    pieces = []
    for t in toks:
        if t.name in ("ASCII_40", "ASCII_91"):
            depth += 1
        elif t.name in ("ASCII_41", "ASCII_93"):
            depth -= 1
        elif t.name == "ASCII_44" and depth == 0:
            pieces.append((start, t.start))
            start = t.end
    pieces.append((start, len(text)))
    for a, b in pieces:
        piece = text[a:b]
        ptoks = tokens_of(piece)
        at = a + (ptoks[0].start if ptoks else 0)
        if len(ptoks) >= 2 and ptoks[1].name == "COLON_EQUALS":
            out.append((normalize_ident(ptoks[0].text), piece[ptoks[1].end:].strip(), at, b, None))
        else:
            arrow = next((a + t.start for t in ptoks if t.name == "EQUALS_GREATER"), None)
            out.append((None, piece.strip(), at, b, arrow))
    return out


def bind_args(c, d, args_text: str | None, lineno: int) -> Expr | None:
    """The arguments of OPEN c(...) / FOR r IN c(...) as one expression 'a AS p1, b AS p2'
    in the cursor's parameter order (PostgreSQL's own rewrite)."""
    params = [c.func.datums[a].name for a in d.cursor_args]
    if not params:
        if args_text is not None:
            raise SqlError("42601", f'cursor "{d.name}" has no arguments')
        return None
    if args_text is None:
        raise SqlError("42601", f'cursor "{d.name}" has arguments')
    given: dict[str, str] = {}
    args = split_args(args_text)
    for i, (name, expr, at, after, arrow) in enumerate(args):
        if name is None:  # a positional argument fills the parameter at its position
            name = params[i] if i < len(params) else None
        elif name not in params:
            raise arg_error(f'cursor "{d.name}" has no argument named "{name}"', at)
        if name in given:
            raise arg_error(f'value for parameter "{name}" of cursor "{d.name}" specified more than once', at)
        if arrow is not None:
            raise arg_error('syntax error at or near "=>"', arrow)
        if not expr:  # the ',' or ')' that ended it
            raise arg_error(f'missing expression at or near "{")" if after >= len(args_text) else ","}"', after)
        given[name] = expr
        # PostgreSQL reads one argument per parameter and complains at the token ending it
        if i == len(params) - 1 and i < len(args) - 1:
            raise arg_error(f'too many arguments for cursor "{d.name}"', after)
        if i == len(args) - 1 and i < len(params) - 1:
            raise arg_error(f'not enough arguments for cursor "{d.name}"', after)
    return Expr(", ".join(f"{given[p]} AS {p}" for p in params), 2, c.ns, c.func, lineno)


def arg_error(message: str, at: int) -> SqlError:
    err = SqlError("42601", message)
    err.arg_offset = at  # where in the arguments' text
    return err


def positioned_args(c, d, args_text, line: int, args_pos: int):
    """bind_args, an error pointing where PostgreSQL's parser reports it: the argument, or
    the ',' / ')' after the last one it read."""
    try:
        return bind_args(c, d, args_text, line)
    except SqlError as err:
        at = getattr(err, "arg_offset", None)
        if at is None:
            raise c.positioned(err, line, "(") from None
        err.position = args_pos + at + 1
        err.pl_line = c.src.text.count("\n", 0, args_pos + at) + 1
        raise err from None


class Open(Stmt):
    __slots__ = ("dno", "query", "dynquery", "params", "args", "scroll")
    typename = "OPEN"

    def __init__(self, lineno, dno, query, dynquery, params, args, scroll) -> None:
        super().__init__(lineno)
        self.dno = dno
        self.query = query
        self.dynquery = dynquery
        self.params = params
        self.args = args
        self.scroll = scroll

    def run(self, fr):
        d = fr.func.datums[self.dno]
        if d.isconst and fr.values[self.dno] is None:
            raise SqlError("22005", f'variable "{d.name}" is declared CONSTANT')
        if self.dynquery is not None:
            text, stmt, values = dynamic_statement(fr, self.dynquery, self.params)
            if stmt.columns is None:
                raise SqlError("42P11", "cannot open this query as a cursor")
            rows, _, types = run_dynamic(fr, text, stmt, values)
            names = [col.name for col in stmt.columns]
        else:
            if self.args is not None:
                values, types = self.args.row_value(fr)
                for a, v, t in zip(d.cursor_args, values, types):
                    assign.VarTarget(fr.func.datums[a]).assign(fr, v, t)
            query = self.query if self.query is not None else d.cursor_query
            plan = plan_statement(query, fr)
            sp = plan.extra
            if sp.kind != "select" and not sp.types:
                raise SqlError("42P11", "cannot open this query as a cursor")
            rows, _ = run_plan(fr, query, plan)
            types, names = sp.types, sp.names
        open_portal(fr, self.dno, rows, types, names, self.scroll)
        return None


class Fetch(Stmt):
    __slots__ = ("dno", "direction", "count", "target", "is_move")

    def __init__(self, lineno, dno, direction, count, target, is_move) -> None:
        super().__init__(lineno)
        self.dno = dno
        self.direction = direction
        self.count = count
        self.target = target
        self.is_move = is_move

    @property
    def typename(self) -> str:
        return "MOVE" if self.is_move else "FETCH"

    def run(self, fr):
        portal = find_portal(fr, self.dno)
        count = None
        direction = self.direction
        if direction == "all":
            direction, count = "forward", _MAX
        elif self.count is not None:
            text = self.count.text.strip().lower()
            count = _MAX if text == "all" else self.count.value(fr, (O.INT8, -1, 0))
            if count is None:
                raise SqlError("22004", f"{self.typename} count cannot be null")
        if self.is_move and direction in ("forward", "backward") and count is not None and count != 1:
            moved = portal.move_many(direction, count)
            fr.row_count = moved
            set_found(fr, moved > 0)
            return None
        if not self.is_move and direction in ("forward", "backward") and count is not None and count != 1:
            raise SqlError("42601", "FETCH statement cannot return multiple rows")
        row = portal.fetch(direction, count)
        fr.row_count = 1 if row is not None else 0
        if not self.is_move:
            assign.move_row(fr, self.target, row, portal.types, portal.names)
        set_found(fr, row is not None)
        return None


class Close(Stmt):
    __slots__ = ("dno",)
    typename = "CLOSE"

    def __init__(self, lineno, dno) -> None:
        super().__init__(lineno)
        self.dno = dno

    def run(self, fr):
        portal = find_portal(fr, self.dno)
        portal.closed = True
        fr.engine.cursors.pop(portal.name, None)
        return None


class ForC(Stmt):
    __slots__ = ("label", "target", "dno", "args", "body")
    typename = "FOR over cursor"

    def __init__(self, lineno, label, target, dno, args, body) -> None:
        super().__init__(lineno)
        self.label = label
        self.target = target
        self.dno = dno
        self.args = args
        self.body = body

    def run(self, fr):
        was_null = fr.values[self.dno] is None
        Open(self.lineno, self.dno, None, None, [], self.args, False).run(fr)
        portal = find_portal(fr, self.dno)
        out, found = None, False
        try:
            for row in portal.rows:
                found = True
                assign.move_row(fr, self.target, row, portal.types, portal.names)
                check_interrupts(fr)
                sig = run_list(fr, self.body)
                if sig is not None:
                    stop, out = loop_signal(sig, self.label)
                    if stop:
                        break
        finally:
            fr.engine.cursors.pop(portal.name, None)
            if was_null:
                fr.values[self.dno] = None
        set_found(fr, found)
        return out


class CursorBuilder:
    """Mixed into compiler.Compiler: builds the cursor statements from the stand-ins the
    parser was given (source.Source.rewrite_cursors)."""

    def statement_cursor(self, cs) -> int:
        keyword = {"loop": "in", "move": "move", "close": "close", "fetch": "fetch"}.get(cs.kind, "open")
        return self.cursor_var(cs.cursor, cs.line, keyword)

    def cursor_var(self, name: str, lineno: int, keyword: str = "") -> int:
        """The cursor variable a statement names (errors point at it, after the keyword)."""
        dno = self.ns.lookup(name)
        if dno is None:
            raise self.positioned(SqlError("42601", f'"{name}" is not a known variable'), lineno, keyword, name)
        d = self.func.datums[dno]
        if d.kind != "var" or (d.oid != O.REFCURSOR and not d.is_cursor):
            raise self.positioned(SqlError("42804", f'variable "{name}" must be of type cursor or refcursor'),
                                  lineno, keyword, name)
        return dno

    def cursor_statement(self, expr, lineno: int, body: dict):
        """An execsql stand-in: FETCH ... INTO, or OPEN ... FOR <query>."""
        text = expr.text.strip()
        if text.startswith("SELECT pgsvc$fetch_"):
            cs = self.src.cursor_stmts[int(text.split("_", 1)[1].split()[0])]
            count = Expr(cs.count, 2, self.ns, self.func, cs.line) if cs.count else None
            return Fetch(cs.line, self.statement_cursor(cs), cs.direction, count,
                                 self.target(body.get("target")), False)
        for cs in self.src.cursor_stmts:
            if cs.kind == "open_query" and not cs.used and cs.match_line == lineno and cs.query == text:
                cs.used = True
                return Open(cs.line, self.statement_cursor(cs), expr, None, [], None,
                                    "no" not in cs.options)
        return None

    def cursor_marker(self, expr, lineno: int):
        """A PERFORM pgsvc$cursor(N) stand-in: OPEN of a bound cursor, MOVE, CLOSE."""
        text = expr.text.strip()
        if not text.startswith("SELECT pgsvc$cursor("):
            return None
        cs = self.src.cursor_stmts[int(text[len("SELECT pgsvc$cursor("):].rstrip(")"))]
        dno = self.statement_cursor(cs)
        if cs.kind == "close":
            return Close(cs.line, dno)
        if cs.kind == "move":
            count = Expr(cs.count, 2, self.ns, self.func, cs.line) if cs.count else None
            return Fetch(cs.line, dno, cs.direction, count, None, True)
        d = self.func.datums[dno]
        if d.cursor_query is None:
            raise self.positioned(SqlError("42601", "syntax error at or near \";\""), cs.line, ";")
        scroll = not (d.cursor_options & 0x0004) and "no" not in cs.options
        return Open(cs.line, dno, None, None, [], positioned_args(self, d, cs.args, cs.line, cs.args_pos), scroll)

    def cursor_dynamic(self, body: dict, lineno: int):
        """An EXECUTE stand-in for OPEN ... FOR EXECUTE."""
        for cs in self.src.cursor_stmts:
            if cs.kind == "open_exec" and not cs.used and cs.match_line == lineno:
                cs.used = True
                params = [self.expr(p, lineno) for p in body.get("params", ())]
                return Open(cs.line, self.statement_cursor(cs), None,
                                    self.expr(body.get("query"), lineno), params, None, "no" not in cs.options)
        return None

    def cursor_loop(self, body: dict, label, lineno: int, upper):
        """FOR r IN c [(args)] LOOP (given to the parser as an integer FOR: r is its variable)."""
        cs = self.src.cursor_stmts[int(upper.text.strip())]
        dno = self.statement_cursor(cs)
        d = self.func.datums[dno]
        if d.cursor_query is None:
            raise self.positioned(SqlError("42601", "cursor FOR loop must use a bound cursor variable"),
                                  cs.line, "in", cs.cursor)
        args = positioned_args(self, d, cs.args, cs.line, cs.args_pos)
        target = self.loop_var(body["var"])
        t = self.func.datums[target]
        t.kind, t.oid = "rec", O.RECORD
        self.push(label, "loop")
        self.ns.names[t.name] = target
        try:
            return ForC(lineno, label, target, dno, args, self.stmts(body.get("body")))
        finally:
            self.pop()


__all__ = ["Open", "Fetch", "Close", "ForC", "Portal", "bind_args", "split_args", "CursorBuilder"]
