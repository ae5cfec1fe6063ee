"""Python aggregates used as window functions (`sum(numeric) OVER w`, `array_agg(x) OVER w`).

SQLite calls a window function's xValue for every output row, also when the frame holds no
row yet: an empty frame (`ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING` on a partition's first
row) or a FILTER that rejected every row so far. The standard library's sqlite3 module (3.11
to 3.13, CPython gh-153800) then dereferences the aggregate instance its xStep never made,
and the backend dies of SIGSEGV. So no Python window function is ever registered: SQLite's
own group_concat collects the frame's rows (it handles empty frames, FILTER and the
inverse step in C), each row's arguments written with quote() (lossless for every storage
class: integers, reals to the last bit, text, blobs, NULL), and a plain scalar function
`pgsvcw_<name>(frame, site)` runs the Python aggregate over the decoded rows: an empty frame
arrives as NULL and gives what the aggregate gives on no input, as in PostgreSQL.

The translator writes the call with `window_call`; the engine registers the scalars with
`register_window_aggregates`.
"""

from __future__ import annotations

import re

from pgsvc.errors import SqlError
from pgsvc.sql.functions.context import FunctionContext, UdfError, interruptible_udf, raise_sql

# One quote()d value, then its separator. Text: '...' with '' doubled; blob: X'HEX';
# NULL; a number (integer, real in any notation, Inf/-Inf or 9.0e+999 for infinities).
_TOKEN = re.compile(r"'((?:[^']|'')*)'|X'([0-9A-Fa-f]*)'|(NULL)|([^,']+)")
_INTEGER = re.compile(r"[-+]?[0-9]+")


def window_call(name: str, args: list[str], filter_sql: str | None, over: str, site: int) -> str:
    """The SQL of Python aggregate `name` (its pgsvc_ name) over a window: its arguments'
    rows collected by group_concat, FILTER applied by SQLite; site tells the call sites of
    one statement apart (the call's position)."""
    row = "||','||".join(f"quote({a})" for a in args) if args else "'NULL'"
    filt = f" FILTER (WHERE {filter_sql})" if filter_sql else ""
    return f"pgsvcw_{name[len('pgsvc_'):]}(group_concat({row}, ','){filt} OVER {over}, {int(site)})"


def decode_frame(text: str | None, nargs: int) -> list[tuple]:
    """The rows group_concat collected: tuples of nargs values, as SQLite stored them."""
    if text is None:
        return []
    values: list = []
    pos, end = 0, len(text)
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"undecodable window frame at {pos}")
        s, blob, null, num = m.groups()
        if s is not None:
            values.append(s.replace("''", "'"))
        elif blob is not None:
            values.append(bytes.fromhex(blob))
        elif null is not None:
            values.append(None)
        else:
            values.append(int(num) if _INTEGER.fullmatch(num) else float(num))
        pos = m.end() + 1  # past the comma
    if nargs <= 1:
        return [(v,) for v in values]
    return [tuple(values[i:i + nargs]) for i in range(0, len(values), nargs)]


def _frame_function(ctx: FunctionContext, nargs: int, cls):
    """pgsvcw_<name>(frame, site): the aggregate over the frame's rows. Per call site (the
    call's position in its statement) the last frame is kept with its aggregate: the same
    frame again (a whole-partition frame, peers) is answered at once, and a frame that only
    grew at its end (a running frame, UNBOUNDED PRECEDING) only steps its new rows, so a
    running sum costs O(n), not O(n^2). The rows fully determine the state, so resuming from
    any earlier frame that is a prefix is the same as starting afresh; the aggregates'
    finalize() reads their state without changing it (aggregates.py, regr.py)."""
    sites: dict = {}

    def value(text, site):
        seen = sites.get(site)
        try:
            if text is None:
                return cls().finalize()
            if seen is not None and text == seen[0]:
                return seen[2]
            if seen is not None and text.startswith(seen[0]) and text[len(seen[0]):len(seen[0]) + 1] == ",":
                agg, rows = seen[1], decode_frame(text[len(seen[0]) + 1:], nargs)
            else:
                agg, rows = cls(), decode_frame(text, nargs)
            sites.pop(site, None)  # until the new state is complete
            for row in rows:
                agg.step(*row)
            out = agg.finalize()
        except UdfError:
            raise  # a SqlError already stashed on ctx by the aggregate
        except Exception as e:  # noqa: BLE001 - a Python error must reach the client as SQL
            raise_sql(ctx, e if isinstance(e, SqlError) else
                      SqlError("XX000", f"internal error in window aggregate: {e}"))
        if len(sites) > 64:
            sites.clear()
        sites[site] = (text, agg, out)
        return out
    return value


def register_window_aggregates(conn, ctx: FunctionContext, aggregates: dict) -> set:
    """aggregates: pgsvc_ name -> (nargs, class). Returns the names registered."""
    for name, (nargs, cls) in aggregates.items():
        conn.create_function("pgsvcw_" + name[len("pgsvc_"):], 2,
                             interruptible_udf(ctx, _frame_function(ctx, nargs, cls)))
    return set(aggregates)
