"""A SQL cursor (DECLARE name CURSOR ...) as PostgreSQL's portal moves through its rows:
FETCH and MOVE in every direction, the position kept as pquery.c's DoPortalRunFetch and
PortalRunSelect keep it (atStart, atEnd, portalPos), so that counts, re-fetches and the
NO SCROLL errors are PostgreSQL's.

A scrollable cursor keeps the rows it has read (the executor's backward scan in
PostgreSQL); a forward-only one keeps none. Whether a cursor declared without SCROLL or
NO SCROLL may scroll is PostgreSQL's plan-dependent answer (ExecSupportsBackwardScan),
decided here from the query's shape (backward_capable).

The extended protocol reaches the same cursors through the engine (a DECLAREd cursor is a
portal for Describe, Execute and Close), and pg_cursors lists them.
"""

from __future__ import annotations

import itertools

from pglast import ast, enums

from pgsvc.errors import SqlError

FETCH_ALL = 9223372036854775807  # LONG_MAX: FETCH ALL's count
OPT_BINARY, OPT_SCROLL, OPT_NO_SCROLL, OPT_HOLD = 0x0001, 0x0002, 0x0004, 0x0020

_FORWARD_ONLY_HINT = "Declare it with SCROLL option to enable backward scan."


class Cursor:
    """One DECLAREd cursor: its statement, the SQLite result it reads, and its position."""

    def __init__(self, name: str, stmt, result, options: int, scroll: bool, depth: int = 0,
                 source_text: str = "", created=None) -> None:
        self.name = name
        self.stmt = stmt
        self.result = result
        self.hold = bool(options & OPT_HOLD)
        self.held = False  # WITH HOLD and its transaction committed: outlives later rollbacks
        self.binary = bool(options & OPT_BINARY)
        self.scroll = scroll
        self.failed = False
        self.depth = depth  # how many savepoints were open when it was declared
        self.source_text = source_text  # pg_cursors.statement
        self.created = created  # pg_cursors.creation_time
        self._source = result.rows
        self._buf: list | None = [] if scroll else None  # the rows read (scrollable only)
        self._read = 0  # rows read from the source
        self._exhausted = False
        self._pos = 0  # executor position: 0 before the first row, k on row k, read+1 past the end
        self.at_start = True
        self.at_end = False
        self.portal_pos = 0

    @classmethod
    def over_rows(cls, portal, rows: list, pos: int) -> Cursor:
        """A scrollable-as-declared Cursor over rows already read, at position pos (0 before
        the first, len(rows) + 1 past the last): a PL/pgSQL portal seen by SQL's FETCH."""
        c = cls(portal.name, portal.stmt, portal.result, 0, portal.scroll)
        n = len(rows)
        c._buf, c._read, c._exhausted, c._pos = rows, n, True, pos
        c.at_start, c.at_end, c.portal_pos = pos == 0, pos > n, min(pos, n)
        return c

    @property
    def position(self) -> int:
        return self._pos

    # --- reading the source ---------------------------------------------------------

    def _next_source(self):
        try:
            row = next(self._source)
        except StopIteration:
            self._exhausted = True
            return None
        except SqlError:
            self.failed = True
            raise
        self._read += 1
        if self._buf is not None:
            self._buf.append(row)
        return (row,)

    def _scan(self, forward: bool, count: int, keep: bool) -> tuple[list, int]:
        """The executor: up to count rows (0: all) in a direction from the position.
        Returns (rows if keep, how many)."""
        out: list = []
        n = 0
        if forward:
            while count == 0 or n < count:
                if self._buf is not None and self._pos < len(self._buf):
                    row = self._buf[self._pos]
                else:
                    got = None if self._exhausted else self._next_source()
                    if got is None:
                        self._pos = self._read + 1
                        break
                    row = got[0]
                self._pos += 1
                n += 1
                if keep:
                    out.append(row)
            return out, n
        cur = min(self._pos, self._read + 1)
        while count == 0 or n < count:
            if cur - 1 < 1:
                cur = 0
                break
            cur -= 1
            n += 1
            if keep:
                out.append(self._buf[cur - 1])
        self._pos = cur
        return out, n

    # --- PostgreSQL's portal bookkeeping (pquery.c) ---------------------------------

    def _forward_only(self) -> SqlError:
        return SqlError("55000", "cursor can only scan forward", hint=_FORWARD_ONLY_HINT)

    def _run_select(self, forward: bool, count: int, keep: bool) -> tuple[list, int]:
        if forward:
            if self.at_end or count <= 0:
                return [], 0
            want = 0 if count == FETCH_ALL else count
            rows, n = self._scan(True, want, keep)
            if n > 0:
                self.at_start = False
            if want == 0 or n < want:
                self.at_end = True
            self.portal_pos += n
            return rows, n
        if not self.scroll:
            raise self._forward_only()
        if self.at_start or count <= 0:
            return [], 0
        want = 0 if count == FETCH_ALL else count
        rows, n = self._scan(False, want, keep)
        if n > 0 and self.at_end:
            self.at_end = False
            self.portal_pos += 1
        if want == 0 or n < want:
            self.at_start = True
            self.portal_pos = 0
        else:
            self.portal_pos -= n
        return rows, n

    def _rewind(self) -> None:
        if self.at_start and not self.at_end:
            return
        if not self.scroll:
            raise self._forward_only()
        self._pos = 0
        self.at_start = True
        self.at_end = False
        self.portal_pos = 0

    def fetch(self, direction: int, count: int, keep: bool = True) -> tuple[list, int]:
        """FETCH (keep) or MOVE: DoPortalRunFetch. Returns (rows, the tag's count). An
        error while it runs leaves the cursor failed, as PostgreSQL marks an active portal
        (after ROLLBACK TO it cannot be run)."""
        if self.failed:
            raise SqlError("55000", f'portal "{self.name}" cannot be run')
        try:
            return self._fetch(direction, count, keep)
        except SqlError:
            self.failed = True
            raise

    def _fetch(self, direction: int, count: int, keep: bool) -> tuple[list, int]:
        d = enums.FetchDirection
        if direction == d.FETCH_ABSOLUTE:
            if count > 0:
                if count - 1 <= self.portal_pos // 2 or self.portal_pos >= FETCH_ALL:
                    self._rewind()
                    if count > 1:
                        self._run_select(True, count - 1, False)
                else:
                    pos = self.portal_pos + (1 if self.at_end else 0)
                    if count <= pos:
                        self._run_select(False, pos - count + 1, False)
                    elif count > pos + 1:
                        self._run_select(True, count - pos - 1, False)
                return self._run_select(True, 1, keep)
            if count < 0:
                self._run_select(True, FETCH_ALL, False)
                if count < -1:
                    self._run_select(False, -count - 1, False)
                return self._run_select(False, 1, keep)
            self._rewind()
            return [], 0
        if direction == d.FETCH_RELATIVE:
            if count > 0:
                if count > 1:
                    self._run_select(True, count - 1, False)
                return self._run_select(True, 1, keep)
            if count < 0:
                if count < -1:
                    self._run_select(False, -count - 1, False)
                return self._run_select(False, 1, keep)
            direction = d.FETCH_FORWARD
        forward = direction == d.FETCH_FORWARD
        if count < 0:
            forward, count = not forward, -count
        if count == 0:
            on_row = not self.at_start and not self.at_end
            if not keep:
                return [], 1 if on_row else 0
            if on_row:
                self._run_select(False, 1, False)
                count, forward = 1, True
        if not forward and count == FETCH_ALL and not keep:
            n = self.portal_pos
            if n > 0 and not self.at_end:
                n -= 1
            self._rewind()
            return [], n
        return self._run_select(forward, count, keep)

    # --- the cursor's life ------------------------------------------------------------

    def materialise(self) -> None:
        """Read what is left of the query now (WITH HOLD at commit, ROLLBACK TO): the SQLite
        statement ends, the position stays."""
        if self.failed:
            return
        rest: list = []
        tail = iter(())
        try:
            while not self._exhausted:
                got = self._next_source()
                if got is not None and self._buf is None:
                    rest.append(got[0])
        except SqlError as err:
            # the query's own error stays ahead: the FETCH that reaches it fails, as it
            # would have where PostgreSQL reads on (the cursor is not failed before that)
            self.failed = False
            tail = raising(err)
        if self._buf is None:
            self._read -= len(rest)
            self._exhausted = False
        self._source = itertools.chain(rest, tail)
        self.result.close()



def raising(err: SqlError):
    """Rows that are an error: raised when the first is asked for."""
    raise err
    yield  # a generator


def fetch_from(c, direction: int, count: int, keep: bool = True) -> tuple[list, int]:
    """FETCH/MOVE on whatever the engine's cursor table holds under a name: a Cursor, or a
    PL/pgSQL portal a function OPENed and returned as a refcursor (pgsvc.sql.exec.plpgsql
    .cursors: its rows read at OPEN, a position 0..n+1 over them), moved here with the
    same bookkeeping through a Cursor over its rows."""
    if isinstance(c, Cursor):
        return c.fetch(direction, count, keep)
    if c.failed:
        raise SqlError("55000", f'portal "{c.name}" cannot be run')
    view = Cursor.over_rows(c, list(_converted(c)), c.pos)
    try:
        return view.fetch(direction, count, keep)
    finally:
        c.pos = view.position
        c.failed = view.failed


def _converted(portal):
    """A PL/pgSQL portal's rows as Python values (its PortalRows converters)."""
    convs = portal.result.convs
    for row in portal.rows:
        yield tuple(f(v) if f is not None and v is not None else v for f, v in zip(convs, row))


def settle(c) -> None:
    """ROLLBACK TO or the end of the transaction keeps the cursor: its query read now."""
    if isinstance(c, Cursor):
        c.materialise()


def backward_capable(query) -> bool:
    """Would PostgreSQL's plan for this query scan backward (ExecSupportsBackwardScan)?
    Scans of one table, function or VALUES list, and anything sorted at the top, do;
    joins, aggregation, DISTINCT, set operations other than UNION ALL of such scans,
    set-returning functions in the select list, FROM-less selects and row locks do not."""
    if not isinstance(query, ast.SelectStmt) or query.lockingClause:
        return False
    if query.op != enums.SetOperation.SETOP_NONE:
        if query.sortClause:
            return True
        return query.op == enums.SetOperation.SETOP_UNION and query.all and \
            backward_capable(query.larg) and backward_capable(query.rarg)
    if query.valuesLists:
        return True
    if query.distinctClause is not None:
        return False
    if query.groupClause or query.havingClause is not None or query.windowClause or query.withClause:
        return False
    if _has_aggregate_or_window(query.targetList) or _has_aggregate_or_window(query.sortClause):
        return False
    if query.sortClause:
        return True
    if _has_set_returning(query.targetList):
        return False
    items = query.fromClause or ()
    if len(items) != 1:
        return False
    item = items[0]
    if isinstance(item, ast.RangeVar):
        return True
    if isinstance(item, ast.RangeFunction):
        return not item.lateral
    if isinstance(item, ast.RangeSubselect):
        return not item.lateral and backward_capable(item.subquery)
    return False


_AGGREGATE_NAMES = frozenset({"count", "sum", "avg", "min", "max", "array_agg", "string_agg", "bool_and",
                              "bool_or", "every", "json_agg", "jsonb_agg", "json_object_agg",
                              "jsonb_object_agg", "xmlagg", "bit_and", "bit_or", "bit_xor", "stddev",
                              "variance", "stddev_pop", "stddev_samp", "var_pop", "var_samp", "corr",
                              "covar_pop", "covar_samp", "percentile_cont", "percentile_disc", "mode",
                              "rank", "dense_rank", "percent_rank", "cume_dist"})
_SRF_NAMES = frozenset({"generate_series", "unnest", "generate_subscripts", "regexp_matches",
                        "regexp_split_to_table", "json_each", "jsonb_each", "json_array_elements",
                        "jsonb_array_elements", "json_each_text", "jsonb_each_text", "json_object_keys",
                        "jsonb_object_keys", "json_array_elements_text", "jsonb_array_elements_text",
                        "pg_listening_channels", "string_to_table", "jsonb_path_query"})


def _calls(nodes):
    """The function calls in an expression tree, not looking into subqueries."""
    stack = list(nodes or ())
    while stack:
        node = stack.pop()
        if isinstance(node, ast.SubLink):
            continue
        if isinstance(node, ast.FuncCall):
            yield node
        if isinstance(node, ast.Node):
            for name in node:
                value = getattr(node, name)
                if isinstance(value, ast.Node):
                    stack.append(value)
                elif isinstance(value, tuple):
                    stack.extend(v for v in value if isinstance(v, ast.Node))


def _func_name(call) -> str:
    return call.funcname[-1].sval.lower() if call.funcname else ""


def _has_aggregate_or_window(nodes) -> bool:
    return any(c.over is not None or c.agg_star or c.agg_order or c.agg_filter is not None or
               _func_name(c) in _AGGREGATE_NAMES for c in _calls(nodes))


def _has_set_returning(nodes) -> bool:
    return any(_func_name(c) in _SRF_NAMES for c in _calls(nodes))
