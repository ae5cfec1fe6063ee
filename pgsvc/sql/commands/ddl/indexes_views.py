"""CREATE INDEX and CREATE [OR REPLACE] VIEW.
"""

from __future__ import annotations

import pglast
from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl.node_text import source_text
from pgsvc.sql.commands.ddl.sqlite_schema import index_sql
from pgsvc.sql.commands.ddl.views_alter import check_option_allowed, temp_view_check, view_options
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.catalog.system.opclass import GIST
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.names import ColInfo, RangeEntry
from pgsvc.sql.translate.wcte import has_dml_cte
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.pg_type import format_type
from pgsvc.sql.types.ranges import is_multirange, is_range


class IndexViewDdl:
    """CREATE INDEX / VIEW: methods of pgsvc.sql.commands.ddl.Ddl."""

    def create_index(self, node: ast.IndexStmt) -> None:
        rel = Translator(self.engine, self.cat, []).relation(node.relation)
        if rel.kind not in ("r", "m"):  # (a materialized view's rows are a table's: ddl.matviews)
            raise SqlError("42809", f'"{rel.name}" is not a table')
        authz(self.engine).check_owner(rel)
        self.check_not_in_use(rel, "CREATE INDEX")  # (ddl.triggers)
        if node.concurrent and P.partkey(rel) is not None:
            raise SqlError("0A000", f'cannot create index on partitioned table "{rel.name}" concurrently')
        if node.unique and node.nulls_not_distinct:  # SQLite's unique indexes keep NULLs distinct
            raise SqlError("0A000", "unique indexes with NULLS NOT DISTINCT are not supported")
        gist = node.accessMethod == "gist"
        if node.accessMethod not in (None, "btree", "gist"):
            raise SqlError("0A000", f'access method "{node.accessMethod}" is not supported')
        if gist and node.unique:
            raise SqlError("0A000", 'access method "gist" does not support unique indexes')
        if node.unique and P.partkey(rel) is not None:
            self.check_unique_covers_key(rel, [e.name for e in node.indexParams if e.name], False)
        keys, names, indoption, exprs = [], [], [], []
        for e in node.indexParams:
            if e.name is None:
                if gist:
                    raise SqlError("0A000", "expression indexes are not supported with gist")
                text = source_text(e.expr)
                tr = self.index_translator(rel)
                ex = tr.expr(e.expr)
                if tr.mutable_call:
                    raise SqlError("42P17", "functions in index expression must be marked IMMUTABLE")
                keys.append(text)
                names.append(_unique_name(_expr_column_name(e.expr), names))
                exprs.append((len(keys), names[-1], ex.oid, ex.typmod))
            else:
                if rel.attr(e.name) is None:
                    raise SqlError("42703", f'column "{e.name}" does not exist')
                keys.append(rel.attr(e.name).attnum)
                names.append(_unique_name(e.name, names))
                if gist:
                    check_gist_column(rel.attr(e.name).type_oid)
            indoption.append(index_option(e))
        include = []  # INCLUDE columns: recorded in the catalog; the SQLite index has the keys only
        for e in node.indexIncludingParams or ():
            if e.name is None:
                raise SqlError("0A000", "expressions are not supported in included columns")
            if rel.attr(e.name) is None:
                raise SqlError("42703", f'column "{e.name}" does not exist')
            include.append(rel.attr(e.name))
            names.append(_unique_name(e.name, names))
        pred = None
        if node.whereClause is not None:
            if gist:
                raise SqlError("0A000", "partial gist indexes are not supported")
            tr = self.index_translator(rel)
            tr.bool_expr(node.whereClause, "WHERE")
            if tr.mutable_call:
                raise SqlError("42P17", "functions in index predicate must be marked IMMUTABLE")
            pred = source_text(node.whereClause)
        name = node.idxname or self.unique_rel_name(rel.schema, f"{rel.name}_{'_'.join(names)}_idx")
        if C.relation_name_taken(self.cat, rel.schema, name):
            if node.if_not_exists:
                self.notice(f'relation "{name}" already exists, skipping')
                return
            raise SqlError("42P07", f'relation "{name}" already exists')
        # DESC / NULLS FIRST of each key as pg_index.indoption (kept with the index relation)
        options = {"indoption": indoption} if any(indoption) else {}
        if gist:  # pg_class.relam (a SQLite index in the ranges' order serves it)
            options["relam"] = GIST
        if pred is not None:  # pg_index.indpred, as PostgreSQL source text
            options["indpred"] = pred
        if include:
            options["include"] = [a.attnum for a in include]
        ioid = C.insert_relation(self.conn, self.cat, rel.schema, name, "i", options or None)
        C.insert_index(self.conn, ioid, rel.oid, bool(node.unique), False, keys)
        for attnum, colname, oid, typmod in exprs:  # the index's pg_attribute rows of expressions
            C.insert_attr(self.conn, ioid, C.Attr(attnum, colname, oid, typmod))
        for i, a in enumerate(include, len(keys) + 1):  # and of INCLUDE columns
            C.insert_attr(self.conn, ioid, C.Attr(i, names[i - 1], a.type_oid, a.typmod))
        self.refresh()
        self.recreate_index(self.cat.by_oid[rel.oid], next(i for i in self.cat.by_oid[rel.oid].indexes
                                                           if i.oid == ioid))
        if P.partkey(rel) is not None and node.relation.inh:  # on each partition too (ddl.partitions)
            self.index_on_partitions(rel, node, ioid)
        elif P.partkey(rel) is not None:  # ON ONLY: INVALID until its partitions' are attached
            self.mark_index_invalid(self.cat.by_oid[rel.oid], ioid)

    def index_translator(self, rel: C.Relation) -> Translator:
        tr = Translator(self.engine, self.cat, [])
        tr.index_expr = True
        tr.scope.add(RangeEntry(rel.name, [ColInfo(a.name, a.type_oid, a.typmod, quote_sqlite_ident(a.name))
                                           for a in rel.attrs]))
        return tr

    def recreate_index(self, rel: C.Relation, ix: C.Index) -> None:
        """The SQLite index of ix (CREATE INDEX, and a table's rebuild)."""
        irel = self.cat.by_oid.get(ix.oid)
        pred = irel.options.get("indpred") if irel is not None else None
        try:
            self.conn.execute(index_sql(rel, self.engine, ix.sqlite_name, ix.unique, ix.keys, pred))
        except SqlError:
            raise
        except Exception as e:
            if "UNIQUE constraint failed" in str(e):
                raise SqlError("23505", f'could not create unique index "{ix.name}"',
                               detail="Key is duplicated.") from None
            if "non-deterministic" in str(e):
                where = "predicate" if "WHERE" in str(e) or "partial" in str(e) else "expression"
                raise SqlError("42P17", f"functions in index {where} must be marked IMMUTABLE") from None
            if "prohibited" in str(e):  # pgsvc's translation of it needs what SQLite refuses in an index
                raise SqlError("0A000", f"this index expression or predicate is not supported ({e})") from None
            raise

    def create_view(self, node: ast.ViewStmt, sql: str) -> None:
        temp_view_check(self, node)  # over a temporary relation: a temporary view (ddl.views_alter)
        rv = node.view
        schema = self.schema_of(rv)
        existing = self.cat.relations.get((schema, rv.relname))
        body = source_text(node.query)
        tr = Translator(self.engine, self.cat, [])
        tr.defining_view = True
        q = tr.select(node.query)  # validates the query now, as PostgreSQL does
        if has_dml_cte(node.query):
            raise SqlError("0A000", "views must not contain data-modifying statements in WITH")
        if node.aliases:
            names = [a.sval for a in node.aliases]
            body = f"SELECT * FROM ({body}) AS v({', '.join(quote_sqlite_ident(n) for n in names)})"
        options = view_options(node.options, node.withCheckOption)  # WITH (...), CHECK OPTION (ddl.views_alter)
        if node.aliases and len(node.aliases) > len(q.columns):
            raise SqlError("42601", "CREATE VIEW specifies more column names than columns")
        names = [node.aliases[i].sval if node.aliases and i < len(node.aliases) else c.name
                 for i, c in enumerate(q.columns)]
        if existing is None or not node.replace:
            for i, name in enumerate(names):  # (DefineRelation's MergeAttributes)
                if name in names[:i]:
                    raise SqlError("42701", f'column "{name}" specified more than once')
        check_option_allowed(self.engine, self.cat, body, names, options)
        if existing is not None:
            if not node.replace:
                raise SqlError("42P07", f'relation "{rv.relname}" already exists')
            if existing.kind != "v":
                raise SqlError("42809", f'"{rv.relname}" is not a view')
            authz(self.engine).check_owner(existing)
            check_view_columns(existing, names, q.columns)
            C.replace_view_definition(self.conn, existing.oid, body, options)
            C.delete_attrs(self.conn, existing.oid)
            oid = existing.oid
        else:
            oid = C.insert_relation(self.conn, self.cat, schema, rv.relname, "v", options or None, viewdef=body,
                                    sqlite_name="", owner=self.creator())
        for i, c in enumerate(q.columns):
            name = node.aliases[i].sval if node.aliases and i < len(node.aliases) else c.name
            C.insert_attr(self.conn, oid, C.Attr(i + 1, name, c.oid, c.typmod))
        self.refresh()


def check_view_columns(view: C.Relation, names: list[str], columns) -> None:
    """CREATE OR REPLACE VIEW: the old columns kept, in order, with their names and types
    (checkViewTupleDesc); new ones only added after them, under names not taken."""
    old = view.attrs
    if len(names) < len(old):
        raise SqlError("42P16", "cannot drop columns from view")
    for a, name, c in zip(old, names, columns):
        if a.name != name:
            raise SqlError("42P16", f'cannot change name of view column "{a.name}" to "{name}"',
                           hint="Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead.")
        if (a.type_oid, a.typmod) != (c.oid, c.typmod):
            raise SqlError("42P16", f'cannot change data type of view column "{a.name}" from '
                           f"{format_type(a.type_oid, a.typmod)} to {format_type(c.oid, c.typmod)}")
    for i in range(len(old), len(names)):  # (ALTER TABLE ... ADD COLUMN of each new one)
        if names[i] in names[:i]:
            raise SqlError("42701", f'column "{names[i]}" of relation "{view.name}" already exists')


def index_reads_column(cat, ix: C.Index, a: C.Attr) -> bool:
    """Whether index ix reads column a: a key, an INCLUDE column, or a column its expressions
    or predicate name (DROP COLUMN drops such an index, as PostgreSQL)."""
    irel = cat.by_oid.get(ix.oid)
    options = irel.options if irel is not None else {}
    if a.attnum in ix.keys or a.attnum in (options.get("include") or ()):
        return True
    texts = [k for k in ix.keys if isinstance(k, str)] + ([options["indpred"]] if options.get("indpred") else [])
    return any(a.name in _column_names(t) for t in texts)


def _column_names(text: str) -> set[str]:
    found: set[str] = set()

    def visit(n):
        if isinstance(n, ast.ColumnRef) and isinstance(n.fields[-1], ast.String):
            found.add(n.fields[-1].sval)
        if isinstance(n, ast.Node):
            for k in n.__slots__:
                visit(getattr(n, k, None))
        elif isinstance(n, (tuple, list)):
            for x in n:
                visit(x)
    visit(pglast.parse_sql(f"SELECT {text}")[0].stmt)
    return found


def _expr_column_name(node) -> str:
    """An expression column's name in the index, as PostgreSQL's FigureColname: a function
    call's or column's name (through casts), else the cast's type, case, coalesce, greatest /
    least, array; else expr."""
    return _figure_name(node) or "expr"


def _figure_name(node) -> str | None:
    return _figure(node)[0]


def _figure(node) -> tuple[str | None, int]:
    """(name, strength) as FigureColnameInternal: 2 a function or column, 1 a construct's word."""
    if isinstance(node, ast.FuncCall):
        return node.funcname[-1].sval, 2
    if isinstance(node, ast.ColumnRef) and isinstance(node.fields[-1], ast.String):
        return node.fields[-1].sval, 2
    if isinstance(node, ast.TypeCast):
        name, strength = _figure(node.arg)
        if strength <= 1:
            return node.typeName.names[-1].sval, 1
        return name, strength
    if isinstance(node, ast.CaseExpr):
        return "case", 1
    if isinstance(node, ast.CoalesceExpr):
        return "coalesce", 2
    if isinstance(node, ast.MinMaxExpr):
        return ("greatest" if node.op == enums.MinMaxOp.IS_GREATEST else "least"), 2
    if isinstance(node, ast.A_ArrayExpr):
        return "array", 2
    return None, 0


def _unique_name(name: str, taken: list[str]) -> str:
    """expr, expr1, expr2 ... as PostgreSQL's ChooseIndexColumnNames."""
    out, n = name, 0
    while out in taken:
        n += 1
        out = f"{name}{n}"
    return out


def check_gist_column(typid: int) -> None:
    """GiST indexes of range and multirange columns (range_ops, multirange_ops); another
    type has no default GiST operator class here (btree_gist is not available)."""
    base = U.base_of(typid)
    if not (is_range(base) or is_multirange(base)):
        raise SqlError("42704", f'data type {format_type(typid)} has no default operator class for access method '
                       '"gist"', hint="You must specify an operator class for the index or define a default "
                       "operator class for the data type.")


def index_option(e: ast.IndexElem) -> int:
    """pg_index.indoption of a key: 1 DESC, 2 NULLS FIRST (the default with DESC)."""
    desc = e.ordering == enums.SortByDir.SORTBY_DESC
    nulls = e.nulls_ordering
    first = desc if nulls == enums.SortByNulls.SORTBY_NULLS_DEFAULT else nulls == enums.SortByNulls.SORTBY_NULLS_FIRST
    return int(desc) | (2 if first else 0)
