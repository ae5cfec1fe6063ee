"""Row values: ROW(...) constructors, field selection ((c).f), assignment to fields and
array elements (INSERT INTO t (c.f, a[1]), UPDATE t SET c.f = ...), a row constructor or
record coerced to a composite type, and the comparison of row values (pgsvc.sql.types.composite:
a composite's stored form is its record_out text). Mixed into the Translator.

A ROW(...) is an anonymous record whose fields' types the translator knows: they are kept
by its SQL text (`row_items`), so that a cast to a composite type coerces each item to its
field's type (coerce_record_to_complex) and a record in a result column is sent in binary
with its fields' types (`record_types`, read by the runner).
"""

from __future__ import annotations

import json
from dataclasses import replace

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.translate.domains import cast_check_sql
from pgsvc.sql.translate.ex import Ex, array_element_json, collate_clause
from pgsvc.sql.translate.jsonb_subscript import jsonb_subscripts
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.composite import fields_of, is_composite
from pgsvc.sql.types.pg_type import find_oid, format_type

_CMP_OPS = ("=", "<>", "<", "<=", ">", ">=")
IMAGE_OPS = ("*=", "*<>", "*<", "*<=", "*>", "*>=")  # record_image_* (binary images compared)


def composite_base(oid: int) -> int:
    """The composite type a value of `oid` is (through domains), or 0."""
    base = U.base_of(oid)
    return base if is_composite(base) else 0


class CompositeMixin:
    """Row constructors, field selection and composite coercion."""

    def row_registry(self) -> dict:
        reg = self.__dict__.get("_row_items")
        if reg is None:
            reg = self.__dict__["_row_items"] = {}
        return reg

    def record_types(self, columns) -> dict[int, tuple[int, ...]]:
        """Result column number -> its fields' types, for the record columns built by ROW(...)."""
        return {i: c.row_types for i, c in enumerate(columns) if c.oid == O.RECORD and c.row_types}

    def row_constructor(self, node: ast.RowExpr) -> Ex:
        raw = self.row_items(node.args or ())
        # an untyped item stays untyped (a cast to a composite gives it its field's type;
        # else it is text, as an unresolved parameter becomes when the statement is done)
        items = [replace(e, oid=O.TEXT) if e.oid == O.UNKNOWN else e for e in raw]
        ex = Ex(self.row_sql(items), O.RECORD, name="row", has_agg=any(e.has_agg for e in items),
                row_types=tuple(U.base_of(e.oid) for e in raw))  # untyped: unknown, as PostgreSQL sends it
        self.row_registry()[ex.sql] = raw
        self.remember_row_shape(ex.sql, [f"f{i + 1}" for i in range(len(raw))], ex.row_types)
        return ex

    def remember_row_shape(self, sql: str, names: list[str], types: tuple) -> None:
        """The field names and types of an anonymous record built by `sql` (row_to_json)."""
        self.__dict__.setdefault("_row_shapes", {})[sql] = (list(names), tuple(types))

    def remember_array_row_shape(self, sql: str, item_sqls: list[str]) -> None:
        """ARRAY[r, ...] of anonymous records all of one known shape (names and types): the
        array's shape, for to_json / array_to_json (PostgreSQL's records carry their types)."""
        shapes = self.__dict__.get("_row_shapes", {})
        found = [None if s == "NULL" else shapes.get(s) for s in item_sqls]
        if all(f is not None or s == "NULL" for f, s in zip(found, item_sqls, strict=True)):
            each = [None if f is None else [f[0], ",".join(str(U.base_of(t) if t != O.UNKNOWN else O.TEXT)
                                                          for t in f[1])] for f in found]
            self.__dict__.setdefault("_array_row_shapes", {})[sql] = each

    def record_json_call(self, node: ast.FuncCall, name: str) -> Ex | None:
        """row_to_json(r [, pretty]) / to_json(r) of an anonymous record whose fields the
        translator knows (ROW(...): f1, f2, ...; a subquery's whole row: its column names);
        to_json / array_to_json(a [, pretty]) of an array of such records."""
        args = node.args or ()
        if len(args) not in (1, 2) or (len(args) == 2 and name == "to_json") or node.agg_star:
            return None
        ex = self.expr(args[0])
        if ex.oid == O.RECORD and name != "array_to_json":
            shape = self.__dict__.get("_row_shapes", {}).get(ex.sql)
        else:
            shape = self.__dict__.get("_array_row_shapes", {}).get(ex.sql) if name != "row_to_json" else None
            if shape is None and name != "row_to_json":
                shape = self.aggregated_row_shape(args[0])
        if shape is None:
            return None
        pretty = self.coerce(self.expr(args[1]), O.BOOL).sql if len(args) == 2 else "0"
        if ex.oid != O.RECORD:  # each element's [names, types] (None for a NULL one)
            each = "'" + json.dumps(shape, ensure_ascii=False).replace("'", "''") + "'"
            return Ex(f"pgsvc_json_pretty_top(pgsvc_record_array_json({ex.sql}, {each}), {pretty})",
                      O.JSON, name=name, has_agg=ex.has_agg)
        names = "'" + json.dumps(shape[0], ensure_ascii=False).replace("'", "''") + "'"
        types = ",".join(str(U.base_of(t) if t != O.UNKNOWN else O.TEXT) for t in shape[1])
        return Ex(f"pgsvc_record_json({ex.sql}, {names}, '{types}', {pretty})", O.JSON, name=name,
                  has_agg=ex.has_agg)

    def aggregated_row_shape(self, node) -> dict | None:
        """array_agg(r) of anonymous records of one known shape (a subquery's whole row):
        {"all": [names, types]}, the shape of every element (functions.library_udfs)."""
        if not isinstance(node, ast.FuncCall) or node.funcname[-1].sval != "array_agg" or len(node.args or ()) != 1 \
                or node.agg_star or node.over is not None:
            return None
        found = self.__dict__.get("_row_shapes", {}).get(self.expr(node.args[0]).sql)
        if found is None:
            return None
        return {"all": [found[0], ",".join(str(U.base_of(t) if t != O.UNKNOWN else O.TEXT) for t in found[1])]}

    def record_as_json(self, ex: Ex, agg_item: bool = False) -> Ex:
        """An anonymous record of known fields as its json object (json_agg, json_build_object
        name its fields as row_to_json does); other values as they are. agg_item: marked as
        json_agg's composite item (functions.aggregates.JsonAgg puts it on a new line)."""
        shape = self.__dict__.get("_row_shapes", {}).get(ex.sql) if ex.oid == O.RECORD else None
        each = self.__dict__.get("_array_row_shapes", {}).get(ex.sql) if shape is None else None
        if each is not None:  # ARRAY[r, ...] of known records (record_json_call)
            sql = "'" + json.dumps(each, ensure_ascii=False).replace("'", "''") + "'"
            sql = f"pgsvc_record_array_json({ex.sql}, {sql})"
            return Ex(f"(char(1) || {sql})" if agg_item else sql, O.JSON, name=ex.name, has_agg=ex.has_agg)
        if shape is None:
            return ex
        names = "'" + json.dumps(shape[0], ensure_ascii=False).replace("'", "''") + "'"
        types = ",".join(str(U.base_of(t) if t != O.UNKNOWN else O.TEXT) for t in shape[1])
        sql = f"pgsvc_record_json({ex.sql}, {names}, '{types}', 0)"
        return Ex(f"(char(1) || {sql})" if agg_item else sql, O.JSON, name=ex.name, has_agg=ex.has_agg)

    @staticmethod
    def row_sql(items: list[Ex]) -> str:
        if not items:
            return "'()'"
        return "pgsvc_row(" + ", ".join(f"{U.base_of(e.oid)}, {e.sql}" for e in items) + ")"

    # --- coercion to a composite --------------------------------------------------------

    def coerce_to_composite(self, ex: Ex, target: int, context: str, position) -> Ex | None:
        """A ROW(...) or record to a composite type; None: not a row value."""
        comp = composite_base(target)
        if not comp or ex.oid != O.RECORD:
            return None
        items = self.row_registry().get(ex.sql)
        if items is None:  # a record of unknown shape: read field by field when it runs
            return Ex(f"pgsvc_from_text({ex.sql}, {comp}, -1)", target, name=ex.name, has_agg=ex.has_agg)
        fields = fields_of(comp)
        if len(items) != len(fields):
            raise SqlError("42846", f"cannot cast type record to {format_type(target, -1)}",
                           detail=f"Input has too {'few' if len(items) < len(fields) else 'many'} columns.",
                           position=position)
        out = []
        for i, (e, (_name, ftype, typmod)) in enumerate(zip(items, fields)):
            dom = ftype if getattr(U.find(ftype), "typtype", "") == "d" else 0
            try:
                if dom:  # a field of a domain type: its base type, then the domain's constraints
                    base = U.base_of(dom)
                    v = self.coerce(e, base, typmod, context)
                    out.append(Ex(cast_check_sql(self.engine, dom, base, typmod, v.sql), base, typmod))
                else:
                    out.append(self.coerce(e, ftype, typmod, context))
            except SqlError as err:
                if err.sqlstate not in ("42804", "42846"):
                    raise
                raise SqlError("42846", f"cannot cast type record to {format_type(target, -1)}",
                               detail=f"Cannot cast type {format_type(e.oid, -1)} to {format_type(ftype, -1)} "
                                      f"in column {i + 1}.", position=position) from None
        # in its type's order wherever SQLite compares it (DISTINCT, GROUP BY, IN: record_cmp)
        return Ex(f"({self.row_sql(out)}{collate_clause(comp)})", target, name=ex.name, has_agg=ex.has_agg)

    # --- field selection ----------------------------------------------------------------

    def select_field(self, base: Ex, name: str, position) -> Ex:
        """(base).name."""
        comp = composite_base(base.oid)
        if base.oid == O.RECORD:
            items = self.row_registry().get(base.sql)
            n = int(name[1:]) if name.startswith("f") and name[1:].isdigit() else 0
            if items is not None and 1 <= n <= len(items):
                e = self.finalize_unknown(items[n - 1])
                return Ex(e.sql, e.oid, e.typmod, name=name, has_agg=e.has_agg)
            if base.row_types and 1 <= n <= len(base.row_types):  # a ROW(...) column of a subquery
                ftype = base.row_types[n - 1] if base.row_types[n - 1] != O.UNKNOWN else O.TEXT
                return Ex(f"pgsvc_row_field({base.sql}, {n - 1}, {ftype})", ftype, name=name, has_agg=base.has_agg)
            shape = self.__dict__.get("_row_shapes", {}).get(base.sql)
            if shape is not None and name in shape[0] and shape[0].count(name) == 1:  # a FROM item's whole row
                ftype = U.base_of(shape[1][shape[0].index(name)])
                return Ex(f"pgsvc_row_field({base.sql}, {shape[0].index(name)}, {ftype})", ftype, name=name,
                          has_agg=base.has_agg)
            raise SqlError("42703", f'could not identify column "{name}" in record data type', position=position)
        if not comp:
            raise SqlError("42809", f"column notation .{name} applied to type {format_type(base.oid, -1)}, "
                           "which is not a composite type", position=position)
        for i, (fname, ftype, typmod) in enumerate(fields_of(comp)):
            if fname == name:
                stored = U.base_of(ftype)
                return Ex(f"pgsvc_row_field({base.sql}, {i}, {stored})", stored, typmod, name=name,
                          has_agg=base.has_agg)
        raise SqlError("42703", f'column "{name}" not found in data type {format_type(comp, -1)}', position=position)

    def composite_star(self, node: ast.A_Indirection) -> list[str] | None:
        """The field names (c).* expands to, or None when it is not a row value's star."""
        if not node.indirection or not isinstance(node.indirection[-1], ast.A_Star):
            return None
        inner = node.indirection[:-1]
        base = self.expr(ast.A_Indirection(arg=node.arg, indirection=tuple(inner)) if inner else node.arg)
        comp = composite_base(base.oid)
        if comp:
            return [f[0] for f in fields_of(comp)]
        if base.oid == O.RECORD:
            items = self.row_registry().get(base.sql)
            n = len(items) if items is not None else len(base.row_types or ())
            if n:
                return [f"f{i + 1}" for i in range(n)]
        return None

    def field_path(self, base: Ex, names: list[str], position) -> Ex:
        for n in names:
            base = self.select_field(base, n, position)
        return base

    # --- comparison ---------------------------------------------------------------------

    def record_compare(self, op: str, left: Ex, right: Ex, position) -> Ex | None:
        """op between two row values (composites of one type, or records): None when
        neither side is one."""
        lc, rc = composite_base(left.oid), composite_base(right.oid)
        lrec, rrec = left.oid == O.RECORD or lc, right.oid == O.RECORD or rc
        if not (lrec or rrec) or (op not in _CMP_OPS and op not in IMAGE_OPS):
            return None
        if (left.oid == O.UNKNOWN and not left.is_null) or (right.oid == O.UNKNOWN and not right.is_null):
            # record op record: an untyped literal would be read as an anonymous record
            # (record_in refuses it: at translation, or for a lifted literal when it is bound)
            if left.oid == O.UNKNOWN and not left.is_null:
                left = self.coerce(left, O.RECORD, position=position)
            if right.oid == O.UNKNOWN and not right.is_null:
                right = self.coerce(right, O.RECORD, position=position)
        if left.oid == O.UNKNOWN:
            left = self.coerce(left, right.oid)
        elif right.oid == O.UNKNOWN:
            right = self.coerce(right, left.oid)
        elif lc and right.oid == O.RECORD:
            right = self.coerce(right, lc, context="i", position=position)
        elif rc and left.oid == O.RECORD:
            left = self.coerce(left, rc, context="i", position=position)
        elif not (lrec and rrec):
            return None
        elif lc and rc and lc != rc:
            _check_similar(fields_of(lc), fields_of(rc))
        comp = lc or rc
        types = ",".join(str(U.base_of(f[1])) for f in fields_of(comp)) if comp else ""
        if not comp:
            items = self.row_registry().get(left.sql) or self.row_registry().get(right.sql)
            types = ",".join(str(e.oid) for e in items) if items else ""
        fn = "pgsvc_row_image_cmp" if op in IMAGE_OPS else "pgsvc_row_cmp"
        op = op.lstrip("*")
        sql = f"({fn}({left.sql}, {right.sql}, '{types}') {'!=' if op == '<>' else op} 0)"
        self._last_operands = (left, right)  # IS [NOT] DISTINCT FROM reads them (translate.operators)
        return Ex(sql, O.BOOL, has_agg=left.has_agg or right.has_agg)

    # --- assignment to fields and elements: INSERT INTO t (c.f, a[1]) / UPDATE t SET c.f = ... ---

    def field_target(self, a, indirection, position):
        """The pseudo attribute an assignment target c.f1[2].f2 stands for: the type of what
        is assigned, remembered with its column and path (merge_field_targets)."""
        path, typid, typmod = [], a.domain_oid or a.type_oid, a.typmod
        for n, ind in enumerate(indirection):
            if isinstance(ind, ast.A_Indices) and U.base_of(typid) == O.JSONB:  # j['a'][0] := v
                run = list(indirection[n:])
                if not all(isinstance(r, ast.A_Indices) for r in run):
                    raise SqlError("42804", f'cannot assign to a field of column "{a.name}" because its type '
                                   "jsonb is not a composite type", position=position)
                subs = jsonb_subscripts(self, run)
                path.append(("j", [s.sql for s in subs], subs[0].oid == O.INT4))
                typid, typmod = O.JSONB, -1
                break
            if isinstance(ind, ast.A_Indices) and path and path[-1][0] == "i" and not ind.is_slice:
                path.append(("i", self.coerce(self.expr(ind.uidx), O.INT4).sql, typid))
                continue
            if isinstance(ind, ast.A_Indices):
                t = find_oid(U.base_of(typid))
                if t is None or t.category != "A" or not t.elem_oid:
                    raise SqlError("42804", f'cannot subscript type {format_type(typid, -1)} because it does not '
                                   "support subscripting", position=position)
                if ind.is_slice or path and path[-1][0] == "s":  # a[l:u] := arr (its array type)
                    if path and path[-1][0] == "i" or not ind.is_slice:
                        raise SqlError("0A000", "assignment to a slice mixing single subscripts is not supported",
                                       position=position)

                    def bound(node):
                        return "'*'" if node is None else self.coerce(self.expr(node), O.INT4).sql
                    path.append(("s", bound(ind.lidx), bound(ind.uidx)))
                    continue
                idx = self.coerce(self.expr(ind.uidx), O.INT4)
                path.append(("i", idx.sql, t.elem_oid))
                typid, typmod = t.elem_oid, a.typmod if len(path) == 1 else -1
                continue
            comp = composite_base(typid)
            if not comp:
                raise SqlError("42804", f'cannot assign to field "{ind.sval}" of column "{a.name}" because its '
                               f"type {format_type(typid, -1)} is not a composite type", position=position)
            fields = fields_of(comp)
            idx = next((i for i, f in enumerate(fields) if f[0] == ind.sval), None)
            if idx is None:
                raise SqlError("42703", f'cannot assign to field "{ind.sval}" of column "{a.name}" because there '
                               f"is no such column in data type {format_type(comp, -1)}", position=position)
            path.append(("f", idx, len(fields), U.base_of(fields[idx][1])))
            typid, typmod = fields[idx][1], fields[idx][2]
        pseudo = type(a)(a.attnum, a.name, U.base_of(typid), typmod)
        self.__dict__.setdefault("_field_targets", {})[id(pseudo)] = (a, path, position)
        return pseudo

    def is_field_target(self, a) -> bool:
        return id(a) in self.__dict__.get("_field_targets", {})

    def check_target_default(self, a) -> None:
        """DEFAULT for a field or an element: PostgreSQL's refusal, at the target."""
        t = self.__dict__.get("_field_targets", {}).get(id(a))
        if t is not None:
            what = "an array element" if t[1][-1][0] in ("i", "s") else "a subfield"
            raise SqlError("0A000", f"cannot set {what} to DEFAULT", position=t[2])

    def merge_field_targets(self, attrs: list, vals: list[str], current: dict | None = None) -> tuple[list, list[str]]:
        """attrs/vals with the targets inside one column folded into one value of it, set
        over the column's current value (UPDATE: current[name]) or NULL."""
        targets = self.__dict__.get("_field_targets", {})
        out_attrs, out_vals, at = [], [], {}
        for a, v in zip(attrs, vals):
            t = targets.get(id(a))
            if t is None:
                out_attrs.append(a)
                out_vals.append(v)
                continue
            real, path, _ = t
            if real.name not in at:
                at[real.name] = len(out_attrs)
                out_attrs.append(real)
                out_vals.append((current or {}).get(real.name, "NULL"))
            i = at[real.name]
            out_vals[i] = _set_path(out_vals[i], path, v)
        return out_attrs, out_vals


def _check_similar(left: list, right: list) -> None:
    """Two different composite types compared: record_cmp's errors when they do not match."""
    for i, (a, b) in enumerate(zip(left, right)):
        if U.base_of(a[1]) != U.base_of(b[1]):
            raise SqlError("42804", f"cannot compare dissimilar column types {format_type(a[1], -1)} and "
                           f"{format_type(b[1], -1)} at record column {i + 1}")
    if len(left) != len(right):
        raise SqlError("42804", "cannot compare record types with different numbers of columns")


def _set_path(cur: str, path: list[tuple], value: str) -> str:
    step = path[0]
    if step[0] == "f":
        _, idx, natts, oid = step
        if len(path) > 1:
            value = _set_path(f"pgsvc_row_field({cur}, {idx}, {oid})", path[1:], value)
        return f"pgsvc_row_set({cur}, {natts}, {idx}, {oid}, {value})"
    if step[0] == "j":  # jsonb subscripts (functions.jsonb_edit.jsonb_assign)
        subs = ", ".join(f"CAST({x} AS TEXT)" for x in step[1])
        return f"pgsvc_jsonb_assign({cur}, json_array({subs}), {value}, {int(step[2])})"
    if step[0] == "s":  # a[l:u][..] := arr (pgsvc_array_put_slice)
        pairs = ", ".join(f"json_array({p[1]}, {p[2]})" for p in path)
        return f"pgsvc_array_put_slice({cur}, json_array({pairs}), {value})"
    k = 1  # a[i][j]: every subscript of one element together (pgsvc_array_put)
    while k < len(path) and path[k][0] == "i":
        k += 1
    idxs = "json_array(" + ", ".join(p[1] for p in path[:k]) + ")"
    elem = path[k - 1][2]
    if k < len(path):
        value = _set_path(f"pgsvc_array_get({cur}, {idxs})", path[k:], value)
    return f"pgsvc_array_put({cur}, {idxs}, json_array({array_element_json(value, elem)}))"
