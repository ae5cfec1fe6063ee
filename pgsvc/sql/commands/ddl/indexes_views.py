"""CREATE INDEX and CREATE [OR REPLACE] VIEW.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl.node_text import option_value, source_text
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.catalog.system.opclass import GIST
from pgsvc.sql.translate import Translator
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.pg_type import format_type
from pgsvc.sql.types.ranges import is_multirange, is_range


class IndexViewDdl:
    """CREATE INDEX / VIEW: methods of pgsvc.sql.commands.ddl.Ddl."""

    def create_index(self, node: ast.IndexStmt) -> None:
        rel = Translator(self.engine, self.cat, []).relation(node.relation)
        if rel.kind != "r":
            raise SqlError("42809", f'"{rel.name}" is not a table')
        authz(self.engine).check_owner(rel)
        if node.whereClause is not None or node.indexIncludingParams:
            raise SqlError("0A000", "partial indexes and INCLUDE are not supported")
        gist = node.accessMethod == "gist"
        if node.accessMethod not in (None, "btree", "gist"):
            raise SqlError("0A000", f'access method "{node.accessMethod}" is not supported')
        if gist and node.unique:
            raise SqlError("0A000", 'access method "gist" does not support unique indexes')
        cols, indoption = [], []
        for e in node.indexParams:
            if e.name is None:
                raise SqlError("0A000", "expression indexes are not supported")
            if rel.attr(e.name) is None:
                raise SqlError("42703", f'column "{e.name}" does not exist')
            cols.append(e.name)
            indoption.append(index_option(e))
            if gist:
                check_gist_column(rel.attr(e.name).type_oid)
        name = node.idxname or self.unique_rel_name(rel.schema, f"{rel.name}_{'_'.join(cols)}_idx")
        if C.relation_name_taken(self.cat, rel.schema, name):
            if node.if_not_exists:
                self.notice(f'relation "{name}" already exists, skipping')
                return
            raise SqlError("42P07", f'relation "{name}" already exists')
        # DESC / NULLS FIRST of each key as pg_index.indoption (kept with the index relation)
        options = {"indoption": indoption} if any(indoption) else {}
        if gist:  # pg_class.relam (a SQLite index in the ranges' order serves it)
            options["relam"] = GIST
        ioid = C.insert_relation(self.conn, self.cat, rel.schema, name, "i", options or None)
        C.insert_index(self.conn, ioid, rel.oid, bool(node.unique), False, [rel.attr(c).attnum for c in cols])
        self.refresh()
        self.create_sqlite_index(rel, self.cat.by_oid[ioid].sqlite_name, bool(node.unique), cols, name)

    def create_view(self, node: ast.ViewStmt, sql: str) -> None:
        rv = node.view
        schema = self.schema_of(rv)
        existing = self.cat.relations.get((schema, rv.relname))
        body = source_text(node.query)
        tr = Translator(self.engine, self.cat, [])
        q = tr.select(node.query)  # validates the query now, as PostgreSQL does
        if node.aliases:
            names = [a.sval for a in node.aliases]
            body = f"SELECT * FROM ({body}) AS v({', '.join(quote_sqlite_ident(n) for n in names)})"
        options = {d.defname: option_value(d.arg) for d in node.options or ()}  # WITH (security_barrier, ...)
        if existing is not None:
            if not node.replace:
                raise SqlError("42P07", f'relation "{rv.relname}" already exists')
            if existing.kind != "v":
                raise SqlError("42809", f'"{rv.relname}" is not a view')
            authz(self.engine).check_owner(existing)
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
