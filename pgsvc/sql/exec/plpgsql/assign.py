"""Assigning values to PL/pgSQL targets (pl_exec.c's exec_assign_value, exec_move_row):
a variable (coerced to its type, NOT NULL checked), an array element (`a[i] := v`), a
record field (`r.f := v`, `NEW.col := v`), a whole record, and the rows a query gives to a
row of targets (INTO a, b) or a record (INTO r): by position, missing columns NULL, extra
ones ignored, each value cast to its target's type.
"""

from __future__ import annotations

import json

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.functions import array_bounds as AB
from pgsvc.sql.exec.plpgsql.exprs import Expr, coerce_value, run_sql_value, split_assignment
from pgsvc.sql.exec.plpgsql.frame import Rec, need_rec, shape_of
from pgsvc.sql.exec.plpgsql.source import normalize_ident, tokens_of
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.ex import Ex
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.composite import fields_of
from pgsvc.sql.types.pg_type import element_of, format_type


def cast_value(fr, value, src: int, target: tuple):
    """A stored value of type src as the target (oid, typmod, domain) wants it."""
    oid, typmod, domain = target
    if src == oid and typmod < 0 and not domain or oid in (O.RECORD, O.UNKNOWN, 0):
        return value
    if value is None and not domain:
        return None
    if src in (O.UNKNOWN, 0) and isinstance(value, str):
        src = O.TEXT  # a field of a record of unknown shape: its text form, read by the target's input
    casts = fr.func.casts
    key = (src, target)
    sql = casts.get(key)
    if sql is None:
        tr = Translator(fr.engine, fr.engine.catalog, [])
        sql = casts[key] = "SELECT " + coerce_value(tr, Ex("?1", src if src else O.UNKNOWN), target).sql
    return run_sql_value(fr.engine, sql, (value,))


def check_row_type(shape, routine, message: str) -> None:
    """A record returned by a function whose result is a table's row type must have its
    columns' types (and typmods) exactly, as PostgreSQL's tuple conversion requires."""
    if routine is None or routine.rowtype is None:
        return
    for i, ((_, t, tm), (_, ct), cm) in enumerate(zip(shape, routine.rowtype, routine.rowtype_mods)):
        if t != O.UNKNOWN and (t != ct or tm != cm and cm >= 0):
            raise SqlError("42804", message, detail=f"Returned type {format_type(t, tm)} does not match expected "
                                                    f"type {format_type(ct, cm)} in column {i + 1}.")


def check_column_types(shape, columns, message: str) -> None:
    """A record returned by a function whose result columns a column definition list gives
    (RETURNS record / SETOF record) must have those columns' types (convert_tuples_by_position)."""
    for i, ((_, t, tm), (_, ct)) in enumerate(zip(shape, columns)):
        if t not in (O.UNKNOWN, ct) and ct not in (O.RECORD, O.ANYELEMENT):
            raise SqlError("42804", message, detail=f"Returned type {format_type(t, tm)} does not match expected "
                                                    f"type {format_type(ct, -1)} in column {i + 1}.")


def record_literal(text: str, ncols: int) -> list:
    """PostgreSQL's record_in: '(1,"a b",)' as its fields' texts (None for an empty field)."""
    def bad(detail: str) -> SqlError:
        return SqlError("22P02", f'malformed record literal: "{text}"', detail=detail)
    s, i, n = text, 0, len(text)
    while i < n and s[i].isspace():
        i += 1
    if i >= n or s[i] != "(":
        raise bad("Missing left parenthesis.")
    i += 1
    out: list = []
    for k in range(ncols):
        if k:
            if i < n and s[i] == ",":
                i += 1
            else:
                raise bad("Too few columns.")
        if i < n and s[i] in ",)":
            out.append(None)
            continue
        buf, quoted = [], False
        while True:
            if i >= n:
                raise bad("Unexpected end of input.")
            ch = s[i]
            if ch == "\\" and i + 1 < n:
                buf.append(s[i + 1])
                i += 2
            elif ch == '"':
                if quoted and i + 1 < n and s[i + 1] == '"':
                    buf.append('"')
                    i += 2
                else:
                    quoted = not quoted
                    i += 1
            elif not quoted and ch in ",)":
                break
            else:
                buf.append(ch)
                i += 1
        out.append("".join(buf))
    if i >= n or s[i] != ")":
        raise bad("Too many columns.")
    i += 1
    if s[i:].strip():
        raise bad("Junk after right parenthesis.")
    return out


def is_row_type(src: int) -> bool:
    """A composite type's value or an anonymous record."""
    return src == O.RECORD or bool(fields_of(U.base_of(src)))


def composite_row(fr, value, src: int):
    """A row value (of a composite type, or an anonymous record) returned where the function
    returns rows: (its fields' values, their shape), as exec_stmt_return and
    exec_stmt_return_next take a composite expression apart; None when src is no row type,
    ([], None) for a NULL record."""
    fields = fields_of(U.base_of(src))
    if not fields and src != O.RECORD:
        return None
    shape = [(n, U.base_of(t), tm) for n, t, tm in fields] if fields else None
    if value is None:
        return [None] * len(shape) if shape is not None else [], shape
    text = value if src == O.RECORD else cast_value(fr, value, src, (O.TEXT, -1, 0))
    if shape is None:  # an anonymous record: as many fields as its text holds
        n = next((k for k in range(1, len(str(text)) + 1) if _fits(str(text), k)), 0)
        shape = [(f"f{i + 1}", O.UNKNOWN, -1) for i in range(n)]
    texts = record_literal(str(text), len(shape))
    return [cast_value(fr, t, O.TEXT, (ft, tm, 0)) for t, (_, ft, tm) in zip(texts, shape)], shape


def _fits(text: str, ncols: int) -> bool:
    try:
        record_literal(text, ncols)
    except SqlError:
        return False
    return True


def not_null_error(name: str) -> SqlError:
    return SqlError("22004", f'null value cannot be assigned to variable "{name}" declared NOT NULL')


class VarTarget:
    __slots__ = ("dno", "target", "name", "notnull")

    def __init__(self, d) -> None:
        self.dno = d.dno
        self.target = (d.oid, d.typmod, d.domain)
        self.name = d.name
        self.notnull = d.notnull

    def assign_expr(self, fr, expr: Expr) -> None:
        value = expr.value(fr, self.target)
        if value is None and self.notnull:
            raise not_null_error(self.name)
        fr.values[self.dno] = value

    def assign(self, fr, value, src: int) -> None:
        value = cast_value(fr, value, src, self.target)
        if value is None and self.notnull:
            raise not_null_error(self.name)
        fr.values[self.dno] = value


class SubscriptTarget:
    """arr[i][j] := v: the array rebuilt with the element set (as an UPDATE's a[i] = v)."""

    __slots__ = ("var", "indexes", "elem")

    def __init__(self, d, indexes: list[Expr]) -> None:
        self.var = VarTarget(d)
        self.indexes = indexes
        self.elem = element_of(d.oid) or O.TEXT

    def assign_expr(self, fr, expr: Expr) -> None:
        arr_oid = self.var.target[0]
        new = put_element(fr, fr.values[self.var.dno], arr_oid, self.elem, self.indexes, expr)
        self.var.assign(fr, new, arr_oid)  # a domain's CHECK too


def put_element(fr, current, arr_oid: int, elem: int, indexes: list[Expr], expr: Expr):
    """The array `current` (of type arr_oid) with expr's value set at the subscripts."""
    value = expr.value(fr, (elem, -1, 0))
    subs = []
    for ix in indexes:
        i = ix.value(fr, (O.INT4, -1, 0))
        if i is None:
            raise SqlError("22004", "array subscript in assignment must not be null")
        subs.append(i)
    to_stored = sqlite_adapter(arr_oid)[0]
    if current is not None and not isinstance(current, str):
        current = to_stored(current) if to_stored else json.dumps(current)
    conv = sqlite_adapter(elem)[1]
    pyval = conv(value) if conv is not None and value is not None else value
    one = to_stored([pyval]) if to_stored else json.dumps([pyval])
    # array_set_element's rules (functions.array_bounds): bounds kept, a 1-D array extended
    # either way with NULLs, a NULL or empty one starting at the subscripts
    return AB.array_put(current, json.dumps(subs), one)


class FieldTarget:
    """r.f := v (and NEW.col := v)."""

    __slots__ = ("rec_dno", "field", "recname")

    def __init__(self, rec_dno: int, field: str, recname: str) -> None:
        self.rec_dno = rec_dno
        self.field = field
        self.recname = recname

    def index(self, fr) -> tuple[Rec, int]:
        rec = need_rec(fr, self.rec_dno)
        for i, (name, _, _) in enumerate(rec.shape):
            if name == self.field:
                return rec, i
        raise SqlError("42703", f'record "{self.recname}" has no field "{self.field}"')

    def assign_expr(self, fr, expr: Expr) -> None:
        rec, i = self.index(fr)
        _, oid, typmod = rec.shape[i]
        value = expr.value(fr, (oid, typmod, 0))
        if rec.values is None:
            rec.values = [None] * len(rec.shape)
        rec.values[i] = value

    def assign(self, fr, value, src: int) -> None:
        rec, i = self.index(fr)
        _, oid, typmod = rec.shape[i]
        if rec.values is None:
            rec.values = [None] * len(rec.shape)
        rec.values[i] = cast_value(fr, value, src, (oid, typmod, 0))


class FieldSubscriptTarget(FieldTarget):
    """r.f[i] := v: the field's array rebuilt with the element set."""

    __slots__ = ("indexes",)

    def __init__(self, rec_dno: int, field: str, recname: str, indexes: list[Expr]) -> None:
        super().__init__(rec_dno, field, recname)
        self.indexes = indexes

    def assign_expr(self, fr, expr: Expr) -> None:
        rec, i = self.index(fr)
        _, oid, typmod = rec.shape[i]
        elem = element_of(oid)
        if not elem:
            raise SqlError("42804", f"cannot subscript type {format_type(oid, None)} because it does not support "
                           "subscripting")
        if rec.values is None:
            rec.values = [None] * len(rec.shape)
        new = put_element(fr, rec.values[i], oid, elem, self.indexes, expr)
        rec.values[i] = cast_value(fr, new, oid, (oid, typmod, 0))


class RecTarget:
    """r := <record variable> / NULL."""

    __slots__ = ("dno", "name")

    def __init__(self, d) -> None:
        self.dno = d.dno
        self.name = d.name

    def assign_expr(self, fr, expr: Expr) -> None:
        text = expr.expression_text().strip()
        src = expr.ns.lookup(normalize_ident(text)) if _is_ident(text) else None
        if src is not None and fr.func.datums[src].kind == "rec":
            other = need_rec(fr, src)
            move_row(fr, self.dno, list(other.values) if other.values is not None else None,
                     [t for _, t, _ in other.shape], [n for n, _, _ in other.shape])
            return
        value = expr.value(fr)
        if value is None:
            move_row(fr, self.dno, None, [], [])
            return
        d = fr.func.datums[self.dno]
        src = expr.plan.types[0] if expr.plan is not None and expr.plan.types else O.UNKNOWN
        if d.shape is None:
            if is_row_type(src):  # a row value: the record takes its fields (and their names)
                vals, shape = composite_row(fr, value, src)
                known = expr.plan.row_types if src == O.RECORD else None
                if known and len(known) == len(shape):  # ROW(...)'s fields' own types
                    vals = [cast_value(fr, v, O.TEXT, (t, -1, 0)) for v, t in zip(vals, known)]
                    shape = [(n, t, -1) for (n, _, _), t in zip(shape, known)]
                move_row(fr, self.dno, vals, [t for _, t, _ in shape], [n for n, _, _ in shape],
                         [tm for _, _, tm in shape])
                return
            raise SqlError("0A000", "input of anonymous composite types is not implemented")
        # a row type's variable takes the value's text as a record literal (record_in)
        text = value if src in (O.TEXT, O.UNKNOWN, O.RECORD) else cast_value(fr, value, src, (O.TEXT, -1, 0))
        try:
            fields = record_literal(str(text), len(d.shape))
            move_row(fr, self.dno, fields, [O.TEXT] * len(fields), [n for n, _, _ in d.shape])
        except SqlError as err:
            rest = expr.text[expr.body_offset:]
            if rest.strip().startswith("'") and rest.strip().endswith("'") and err.internal_query is None \
                    and err.position is None:
                # a literal is read as the row type when the statement is parsed: its position
                err.internal_query = expr.text
                err.internal_position = expr.body_offset + len(rest) - len(rest.lstrip()) + 1
            raise


def _is_ident(text: str) -> bool:
    toks = tokens_of(text)
    return len(toks) == 1 and (toks[0].name == "IDENT" or toks[0].name.endswith("_P") or toks[0].name.isupper())


def target_for(c, varno: int, expr: Expr):
    """The target of an assignment statement (its datum and the text before :=)."""
    d = c.func.datums[varno]
    target_text, _ = split_assignment(expr.text)
    if d.kind == "recfield":
        parent = c.func.datums[d.parent]
        if "[" in target_text:
            return FieldSubscriptTarget(d.parent, d.fieldname, parent.name,
                                        subscript_exprs(c, target_text, expr.lineno))
        return FieldTarget(d.parent, d.fieldname, parent.name)
    if d.kind == "rec":
        return RecTarget(d)
    if "[" in target_text:
        return SubscriptTarget(d, subscript_exprs(c, target_text, expr.lineno))
    return VarTarget(d)


def subscript_exprs(c, text: str, lineno: int) -> list[Expr]:
    out, depth, start = [], 0, 0
    for t in tokens_of(text):
        if t.name == "ASCII_91":
            depth += 1
            if depth == 1:
                start = t.end
        elif t.name == "ASCII_93":
            depth -= 1
            if depth == 0:
                out.append(Expr(text[start:t.start].strip(), 2, c.ns, c.func, lineno))
        elif t.name == "ASCII_58" and depth == 1:
            raise SqlError("0A000", "assignment to an array slice is not supported")
    return out


def target_setters(fr, dno: int) -> list:
    """The assignable targets of a row datum (INTO a, b, r.f)."""
    func = fr.func
    cache = func.row_targets
    found = cache.get(dno)
    if found is None:
        found = []
        for f in func.datums[dno].fields:
            d = func.datums[f]
            if d.kind == "recfield":
                found.append(FieldTarget(d.parent, d.fieldname, func.datums[d.parent].name))
            else:
                found.append(VarTarget(d))
        cache[dno] = found
    return found


def multi_assignment_mismatch(fr, level: str) -> None:
    """plpgsql.extra_errors / extra_warnings = strict_multi_assignment."""
    args = ("42804", "number of source and target fields in assignment does not match")
    detail = "strict_multi_assignment check of " + ("extra_errors" if level == "ERROR" else "extra_warnings") + \
        " is active."
    hint = "Make sure the query returns the exact list of columns."
    if level == "ERROR":
        raise SqlError(*args, detail=detail, hint=hint)
    fr.engine.session.notice(SqlNotice(args[1], sqlstate=args[0], severity="WARNING", detail=detail, hint=hint,
                                       context=fr.stack_context()))


def move_row(fr, dno: int, row, types: list[int], names: list[str], typmods=None) -> None:
    """A query's row (None: no row) into the target datum dno (a row of targets or a record)."""
    d = fr.func.datums[dno]
    level = fr.func.strict_multi
    if level is not None and row is not None:
        wanted = len(d.fields) if d.kind == "row" else len(d.shape) if d.shape is not None else len(row)
        if d.kind != "var" and wanted != len(row):
            multi_assignment_mismatch(fr, level)
    if d.kind == "row":
        for i, t in enumerate(target_setters(fr, dno)):
            if row is not None and i < len(row):
                t.assign(fr, row[i], types[i])
            else:
                t.assign(fr, None, O.UNKNOWN)
        return
    if d.kind == "var":
        VarTarget(d).assign(fr, row[0] if row else None, types[0] if types else O.UNKNOWN)
        return
    rec = fr.recs[dno]
    if d.shape is not None:
        if rec is None:
            rec = fr.recs[dno] = Rec(d.shape)
        vals = []
        for i, (_, oid, typmod) in enumerate(d.shape):
            v = row[i] if row is not None and i < len(row) else None
            vals.append(cast_value(fr, v, types[i] if i < len(types) else O.UNKNOWN, (oid, typmod, 0)))
        rec.values = vals if row is not None else [None] * len(d.shape)
        return
    shape = shape_of(zip(names, types, typmods or [-1] * len(types)))
    fr.recs[dno] = Rec(shape, list(row) if row is not None else None)


__all__ = ["cast_value", "move_row", "target_for", "VarTarget", "FieldTarget", "target_setters"]
