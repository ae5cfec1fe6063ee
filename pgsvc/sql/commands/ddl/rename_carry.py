"""What a RENAME must carry to the expressions that name the renamed column or table.

PostgreSQL stores expressions as trees that point at columns by number and relations by
OID, so renaming changes nothing in them. pgsvc stores CHECK constraints, column defaults
and view queries as source text (pgsvc.sql.catalog.database), so ALTER TABLE ... RENAME COLUMN /
RENAME TO rewrites the text that names the old name:
  - the table's own CHECK constraints and defaults: column references (bare or qualified
    by the table's name) to the renamed column;
  - views that read the table: re-printed from their analysed query (pgsvc.sql.deparse.printing*,
    every column qualified by its range entry, the view's column names kept), with the
    new column or table name. A view the deparser cannot print, or whose JOIN USING
    names the renamed column (PostgreSQL keeps the old name there through a column alias
    list), is left as it was;
  - defaults naming a renamed sequence ('seq'::regclass);
  - the table's triggers' WHEN conditions: OLD.col / NEW.col of the renamed column.
Called before the catalog changes (the old names still resolve), it returns the writes to
make after them: (catalog writer of pgsvc.sql.catalog.database, its arguments after the
connection).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pglast
from pglast import ast
from pglast.parser import scan

from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import policies as POL
from pgsvc.sql.catalog import rules as RU
from pgsvc.sql.catalog import triggers as TG
from pgsvc.sql.commands.ddl.node_text import source_text
from pgsvc.sql.deparse.nodes import JoinItem, RangeEntry, SubLink, Var
from pgsvc.sql.deparse.query import analyze_select, query_text
from pgsvc.sql.pg_functions.describe import analyzer_for, find_relation, view_query
from pgsvc.sql.quoting import quote_ident


def column_rename_writes(engine, rel, old: str, new: str) -> list[tuple[Callable, tuple]]:
    """The catalog writes (with their arguments) that carry a column rename into stored text."""
    writes = []
    for con in rel.constraints:
        if con.contype == "c" and con.expr:
            text = _rename_in_expr(con.expr, rel.name, old, new)
            if text != con.expr:
                writes.append((C.set_constraint_expr, (con.oid, text)))
    for a in rel.attrs:
        if a.default:
            text = _rename_in_expr(a.default, rel.name, old, new)
            if text != a.default:
                writes.append((C.set_column_default, (rel.oid, a.attnum, text)))
    for t in getattr(rel, "triggers", ()):
        if t.qual:  # a trigger's WHEN names columns as OLD.col / NEW.col
            text = _rename_in_when(t.qual, old, new)
            if text != t.qual:
                writes.append((TG.set_qual, (t.oid, text)))
    for ix in rel.indexes:  # an index's expressions and predicate
        keys = [_rename_in_expr(k, rel.name, old, new) if isinstance(k, str) else k for k in ix.keys]
        if keys != ix.keys:
            writes.append((C.set_index_keys, (ix.oid, keys)))
        irel = engine.catalog.by_oid.get(ix.oid)
        pred = irel.options.get("indpred") if irel is not None else None
        if pred and _rename_in_expr(pred, rel.name, old, new) != pred:
            writes.append((C.set_relation_option, (ix.oid, "indpred", _rename_in_expr(pred, rel.name, old, new))))
    key = rel.options.get("partkey")  # a partitioned table's key expressions (catalog.partitions)
    if key and any("expr" in k for k in key["keys"]):
        keys = [dict(k, expr=_rename_in_place(k["expr"], rel.name, old, new)) if "expr" in k else k
                for k in key["keys"]]
        if keys != key["keys"]:
            writes.append((C.set_relation_option, (rel.oid, "partkey", dict(key, keys=keys))))
    pols = POL.policies(rel)  # row-level security's USING / WITH CHECK (catalog.policies)
    moved = [replace(p, qual=p.qual and _rename_in_expr(p.qual, rel.name, old, new),
                     check=p.check and _rename_in_expr(p.check, rel.name, old, new)) for p in pols]
    if moved != pols:
        writes.append((lambda conn, r, ps: POL.save(conn, r, ps), (rel, moved)))
    rules = RU.rules(rel)  # its rules' NEW.col / OLD.col (catalog.rules)
    carried = [RU.renamed_column(r, old, new) for r in rules]
    if carried != rules:
        writes.append((lambda conn, r, rs: RU.save(conn, r, rs), (rel, carried)))
    return writes + _view_writes(engine, rel, column=(old, new))


def table_rename_writes(engine, rel, new: str) -> list[tuple[Callable, tuple]]:
    if rel.kind == "S":
        return _sequence_writes(engine, rel, new)
    return _view_writes(engine, rel, relname=new) + _rule_writes(engine, rel, new)


def _rule_writes(engine, rel, new: str) -> list[tuple[Callable, tuple]]:
    """Rules whose actions name the renamed relation (catalog.rules)."""
    writes = []
    for other in engine.catalog.by_oid.values():
        if other.options.get("rules"):
            rules = RU.rules(other)
            carried = [RU.renamed_relation(r, rel.schema, rel.name, new) for r in rules]
            if carried != rules:
                writes.append((lambda conn, r, rs: RU.save(conn, r, rs), (other, carried)))
    return writes


def _sequence_writes(engine, seq, new: str) -> list[tuple[Callable, tuple]]:
    """nextval('old'::regclass) defaults (a serial column's) name the renamed sequence."""
    writes = []
    for rel in engine.catalog.by_oid.values():
        for a in rel.attrs:
            if a.default and seq.name in a.default:
                text = _rename_regclass_literals(engine, a.default, seq, new)
                if text != a.default:
                    writes.append((C.set_column_default, (rel.oid, a.attnum, text)))
    return writes


def _rewrite_expr(text: str, edit) -> str:
    """The stored expression `text` with edit(node) applied to every node of its tree;
    edit returns True where it changed something. Unchanged text is returned as it was."""
    try:
        node = pglast.parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val
    except pglast.parser.ParseError:
        return text
    changed = False

    def visit(n):
        nonlocal changed
        if isinstance(n, ast.Node):
            changed = edit(n) or changed
            for slot in n.__slots__:
                visit(getattr(n, slot, None))
        elif isinstance(n, (tuple, list)):
            for x in n:
                visit(x)
    visit(node)
    return source_text(node) if changed else text


def _rename_regclass_literals(engine, text: str, seq, new: str) -> str:
    def edit(n) -> bool:
        if not (isinstance(n, ast.TypeCast) and isinstance(n.arg, ast.A_Const) and isinstance(n.arg.val, ast.String)
                and [x.sval for x in n.typeName.names][-1] == "regclass"):
            return False
        try:
            found = find_relation(engine, n.arg.val.sval)
        except Exception:  # noqa: BLE001 - not a relation name this rename is about
            found = None
        if found is None or found.oid != seq.oid:
            return False
        name = quote_ident(new)
        qualified = "." in n.arg.val.sval
        n.arg = ast.A_Const(val=ast.String(sval=f"{quote_ident(seq.schema)}.{name}" if qualified else name))
        return True
    return _rewrite_expr(text, edit)


def _rename_in_expr(text: str, table: str, old: str, new: str) -> str:
    def edit(n) -> bool:
        if not isinstance(n, ast.ColumnRef):
            return False
        names = [f.sval if isinstance(f, ast.String) else None for f in n.fields]
        if names[-1] == old and (len(names) == 1 or names[-2] == table):
            n.fields = tuple(n.fields[:-1]) + (ast.String(sval=new),)
            return True
        return False
    return _rewrite_expr(text, edit)


def _rename_in_place(text: str, table: str, old: str, new: str) -> str:
    """A deparsed expression (a partition key's, as pg_get_expr printed it) with its
    references to column `old` renamed in the text itself: its parentheses stay as printed."""
    sql = f"SELECT {text}".encode()
    try:
        node = pglast.parse_sql(sql.decode())[0].stmt.targetList[0].val
        tokens = scan(sql.decode())
    except pglast.parser.ParseError:
        return text
    spans = []

    def visit(n):
        if isinstance(n, ast.ColumnRef):
            names = [f.sval if isinstance(f, ast.String) else None for f in n.fields]
            if names[-1] == old and (len(names) == 1 or names[-2] == table):
                i = next((i for i, t in enumerate(tokens) if t.start == n.location), None)
                if i is not None and i + 2 * (len(names) - 1) < len(tokens):
                    t = tokens[i + 2 * (len(names) - 1)]
                    spans.append((t.start, t.end + 1))
        if isinstance(n, ast.Node):
            for slot in n.__slots__:
                visit(getattr(n, slot, None))
        elif isinstance(n, (tuple, list)):
            for x in n:
                visit(x)
    visit(node)
    for start, end in sorted(spans, reverse=True):
        sql = sql[:start] + quote_ident(new).encode() + sql[end:]
    return sql.decode()[len("SELECT "):]


def _rename_in_when(text: str, old: str, new: str) -> str:
    def edit(n) -> bool:
        if not isinstance(n, ast.ColumnRef):
            return False
        names = [f.sval if isinstance(f, ast.String) else None for f in n.fields]
        if len(names) == 2 and names[0] in ("old", "new") and names[1] == old:
            n.fields = (n.fields[0], ast.String(sval=new))
            return True
        return False
    return _rewrite_expr(text, edit)


def _view_writes(engine, rel, column=None, relname=None) -> list[tuple[Callable, tuple]]:
    writes = []
    for view in list(engine.catalog.by_oid.values()):
        if view.kind != "v" or not view.viewdef or not _mentions(view.viewdef, rel.name):
            continue
        try:
            q = analyze_select(analyzer_for(engine), view_query(pglast.parse_sql(view.viewdef)[0].stmt))
            entries, found = [], []
            _collect(q, entries)
            for e in entries:
                if isinstance(e, RangeEntry) and e.relation is not None and e.relation.oid == rel.oid:
                    found.append(e)
                    if relname is not None:
                        if not e.alias_given:
                            e.refname = relname
                        e.relation = replace(e.relation, name=relname)
            if not found:
                continue
            if column is not None and column[0] in _using_names(q):
                continue  # PostgreSQL would alias the column to keep JOIN USING's name: not modelled
            if column is not None:
                for v in _all_vars(q):
                    if isinstance(v, Var) and v.rte in found and v.name == column[0]:
                        v.name = column[1]
            text = query_text(engine, q, False, 0, [a.name for a in view.attrs]).strip()
        except Exception:  # noqa: BLE001 - a view the deparser cannot print keeps its text
            continue
        writes.append((C.set_viewdef, (view.oid, text)))
    return writes


def _using_names(q) -> set:
    names: set = set()

    def walk(x):
        if isinstance(x, JoinItem):
            names.update(x.using or ())
            walk(x.left)
            walk(x.right)
    for item in q.from_items:
        walk(item)
    return names


def _mentions(text: str, name: str) -> bool:
    return name.lower() in text.lower()


def _collect(q, out: list) -> None:
    """Every range entry of a query and its sub-queries."""
    out.extend(q.entries)
    for e in q.entries:
        if e.subquery is not None:
            _collect(e.subquery, out)
    if q.setop is not None:
        _collect(q.setop[2], out)
        _collect(q.setop[3], out)
    for cte in q.ctes:
        _collect(cte[2], out)
    for node in _all_vars(q, sublinks=True):
        _collect(node.query, out)


def _all_vars(q, sublinks: bool = False) -> list:
    """The Var nodes of a query (or, with sublinks, its SubLink nodes), sub-queries included."""
    want = SubLink if sublinks else Var
    out, seen = [], set()

    def walk(x):
        if id(x) in seen:
            return
        seen.add(id(x))
        if isinstance(x, want):
            out.append(x)
        if isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
        elif hasattr(x, "__dict__") and not isinstance(x, type):
            if getattr(x, "relation", None) is not None and not hasattr(x, "typ") and not hasattr(x, "targets"):
                walk(x.subquery)  # a RangeEntry: only its sub-query and function hold expressions
                walk(x.function)
                return
            for v in vars(x).values():
                walk(v)
    walk(q)
    return out
