"""DML on partitioned tables and on inheritance parents, and the partition functions of
FROM (pg_partition_tree, pg_partition_ancestors). Mixed into the Translator.

A partitioned table's rows live in its leaves (pgsvc.sql.catalog.partitions), so its
DML runs row by row in the engine (exec.partition_dml), through the trigger machinery's
spec (translate.trigger_dml) with a `part` entry:

  tables  per partitioned table of the subtree (OID as text): `pick`, SQL over the row
          (?n+1..?n+k, the target's columns in order) giving the index in `kids` of the
          partition the row belongs to (-1: none); `name`, `keys`, `kvals` (the key's
          texts for the error's detail)
  ins     per leaf: the INSERT of one row (?n+1..: the target's columns) [ON CONFLICT]
          [RETURNING]
  upd     per table (UPDATE): the UPDATE of one row by rowid (?n+k+1)
  del     per table (UPDATE moving a row, DELETE): the DELETE of one row by rowid (?n+1)

UPDATE and DELETE read their rows (`src`: tableoid, rowid, old row[, new row]) from the
union of the target and its descendants, as a SELECT of the parent reads them. An
UPDATE whose new row belongs to another partition deletes it and inserts it there.
"""

from __future__ import annotations

import pglast
from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.quoting import quote_ident, quote_sqlite_ident
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope
from pgsvc.sql.translate.trigger_dml import param_count, rowid_name, row_insert_source
from pgsvc.sql.types import oids as O

TABLEOID_MARK = "/*pgsvc$tableoid*/"


class PartitionMixin:
    """See the module docstring."""

    # --- FROM pg_partition_tree(...) / pg_partition_ancestors(...) ----------------------------

    def partition_function_item(self, node: ast.RangeFunction, alias: ast.Alias, call, name: str) -> str:
        args = [self.expr(a) for a in call.args or ()]
        if len(args) != 1:
            raise SqlError("42883", f"function {name} does not exist", position=location(call))
        arg = self.coerce(args[0], O.REGCLASS)
        names = [c.sval for c in alias.colnames or ()]
        inh = ('(SELECT c.oid AS oid, j.value AS parent FROM main."pgsvc$class" c, '
               "json_each(json_extract(c.options, '$.inherits')) j "
               "WHERE json_extract(c.options, '$.partbound') IS NOT NULL)")
        partlike = ("(json_extract(x.options, '$.partkey') IS NOT NULL OR "
                    "json_extract(x.options, '$.partbound') IS NOT NULL)")
        if name == "pg_partition_ancestors":
            sql = (f"(WITH RECURSIVE a(oid, n) AS (SELECT x.oid, 1 FROM main.\"pgsvc$class\" x "
                   f"WHERE x.oid = {arg.sql} AND {partlike} "
                   f"UNION ALL SELECT i.parent, a.n + 1 FROM a JOIN {inh} i ON i.oid = a.oid) "
                   "SELECT oid AS c0, n AS c1 FROM a ORDER BY n)")
            cols = [ColInfo(names[0] if names else "relid", O.REGCLASS)]
            if node.ordinality:
                cols.append(ColInfo(names[1] if len(names) > 1 else "ordinality", O.INT8))
            return self.add_derived(ast.Alias(aliasname=alias.aliasname), cols, sql)
        if node.ordinality:
            raise SqlError("0A000", f"WITH ORDINALITY on {name}() is not supported", position=location(call))
        sql = (f"(WITH RECURSIVE t(oid, parent, level, seq) AS (SELECT x.oid, NULL, 0, '' FROM main.\"pgsvc$class\" x "
               f"WHERE x.oid = {arg.sql} AND {partlike} "
               f"UNION ALL SELECT i.oid, i.parent, t.level + 1, t.seq || printf('%012d', i.oid) "
               f"FROM t JOIN {inh} i ON i.parent = t.oid) "
               "SELECT t.oid AS c0, t.parent AS c1, "
               "(SELECT json_extract(x.options, '$.partkey') IS NULL FROM main.\"pgsvc$class\" x WHERE x.oid = t.oid) "
               "AS c2, t.level AS c3 FROM t ORDER BY t.level, t.seq)")
        out = ["relid", "parentrelid", "isleaf", "level"]
        cols = [ColInfo(names[i] if i < len(names) else out[i], oid)
                for i, oid in enumerate((O.REGCLASS, O.REGCLASS, O.BOOL, O.INT4))]
        return self.add_derived(ast.Alias(aliasname=alias.aliasname), cols, sql)

    # --- routing ----------------------------------------------------------------------------

    def row_scope_sql(self, rel, n: int, expr_text: str, boolean: bool = True, cols: list | None = None) -> str:
        """PostgreSQL source over rel's columns, as SQL over parameters ?n+1.. (one per column),
        or over the SQL expressions `cols` (one per column)."""
        saved = self.scope
        self.scope = Scope()
        self.scope.add(RangeEntry(rel.name, [ColInfo(a.name, a.type_oid, a.typmod,
                                                     cols[i] if cols is not None else f"?{n + i + 1}")
                                             for i, a in enumerate(rel.attrs)]))
        try:
            node = pglast.parse_sql(f"SELECT {expr_text}")[0].stmt.targetList[0].val
            ex = self.bool_expr(node, "partition") if boolean else self.coerce(self.expr(node), O.TEXT, -1, "e")
            return ex.sql
        finally:
            self.scope = saved

    def routing(self, rel, n: int) -> dict:
        """spec['part']['tables'] for the partitioned tables at and under rel."""
        out: dict = {}
        todo = [rel] if P.partkey(rel) is not None else []
        while todo:
            t = todo.pop(0)
            kids = P.partitions_of(self.catalog, t)
            arms = []
            for i, k in enumerate(kids):
                quals = P.own_quals(self.catalog, k, plain=True)
                cond = self.row_scope_sql(rel, n, " AND ".join(quals)) if quals else "1"
                arms.append(f"WHEN {cond} THEN {i}")
            pick = f"SELECT CASE {' '.join(arms)} ELSE -1 END" if arms else "SELECT -1"
            keys = P.key_texts(t)
            out[str(t.oid)] = {"name": t.name, "kids": [k.oid for k in kids], "pick": pick,
                               "keys": P.key_error_display(t),
                               "kvals": "SELECT " + ", ".join(self.row_scope_sql(rel, n, k, False) for k in keys)}
            todo += [k for k in kids if P.partkey(k) is not None]
        if P.bound(rel) is not None and out:
            # a target that is itself a partition: a row outside its own constraint is refused
            # before any routing (ExecPartitionCheck)
            check = P.constraint_text(self.catalog, rel, plain=True)
            out["self"] = {"check": "SELECT " + self.row_scope_sql(rel, n, check), "name": rel.name,
                           "row": "SELECT " + ", ".join(self.row_scope_sql(rel, n, quote_ident(a.name), False)
                                                        for a in rel.attrs)}
        return out

    def row_text_sql(self, rel, n: int) -> str:
        """The row (?n+1..) as text values, in rel's column order: the "Failing row contains"
        of a routed row's error shows it as the target has it (exec.partition_dml)."""
        return "SELECT " + ", ".join(self.row_scope_sql(rel, n, quote_ident(a.name), False) for a in rel.attrs)

    def leaf_sql(self, sql: str, rel, leaf) -> str:
        """A piece written for rel (RETURNING qualified by its table, tableoid) made for leaf."""
        return sql.replace(quote_sqlite_ident(rel.sqlite_name) + ".", quote_sqlite_ident(leaf.sqlite_name) + ".") \
            .replace(f"{TABLEOID_MARK}{rel.oid}", str(leaf.oid))

    def route_partitioned_insert(self, d, node, sa: str, with_sql: str, source: str, names: list, conflict: str,
                                 returning) -> None:
        rel = d.relation
        if source == "DEFAULT VALUES":
            source, names = "VALUES (NULL)", []
        spec = {"k": "I", "rel": rel.oid, "src": with_sql + source, "names": names, "cap": []}
        n = spec["n"] = param_count(d.sql, spec["src"])
        ret = returning[0] if returning else ""
        cols, values = row_insert_source(rel, n)
        ins = {}
        for leaf in P.leaves(self.catalog, rel):
            w = f"{with_sql}INSERT INTO {quote_sqlite_ident(leaf.sqlite_name)} AS {sa} ({cols}) {values}{conflict}{ret}"
            ins[str(leaf.oid)] = self.leaf_sql(w, rel, leaf)
        spec["part"] = {"tables": self.routing(rel, n), "ins": ins, "rowtext": self.row_text_sql(rel, n)}
        if not with_sql and names and "self" not in spec["part"]["tables"]:
            spec["src_pick"] = self.source_with_pick(rel, source, names)
        if not conflict and not returning:
            spec["part"]["batch"] = 1  # rows for one partition may be written together
        oc = node.onConflictClause
        if oc is not None and oc.action == enums.OnConflictAction.ONCONFLICT_UPDATE:
            spec["part"]["upsert"] = 1  # a DO UPDATE row may not leave its partition
            spec["conf"] = "u"  # UPDATE's statement triggers fire too
            if self.catalog.triggers:  # the row a new row conflicts with, in rel's columns (its transition tables)
                at = {a.name: i for i, a in enumerate(rel.attrs)}
                names = ", ".join(quote_sqlite_ident(a.name) for a in rel.attrs)
                find = {}
                for leaf in P.leaves(self.catalog, rel):
                    cond = " AND ".join(f"{quote_sqlite_ident(c)} = ?{n + at[c] + 1}"
                                        for c in self.conflict_target or () if c in at)
                    table = f"{quote_sqlite_ident(leaf.sqlite_name)}"
                    find[str(leaf.oid)] = [f"SELECT {rowid_name(leaf)}, {names} FROM {table} WHERE {cond or '0'}",
                                           f"SELECT {names} FROM {table} WHERE {rowid_name(leaf)} = ?1"]
                spec["part"]["find"] = find
        self.finish_route(d, spec, returning)

    def source_with_pick(self, rel, source: str, names: list) -> str:
        """The new rows with, last, the index of the partition of rel each goes to (-1: none),
        computed in the same query rather than row by row."""
        at = {nm: i for i, nm in enumerate(names)}
        cols = [f'"pgsvc$s".c{at[a.name]}' if a.name in at else "NULL" for a in rel.attrs]
        arms = []
        for i, k in enumerate(P.partitions_of(self.catalog, rel)):
            quals = P.own_quals(self.catalog, k, plain=True)
            cond = self.row_scope_sql(rel, 0, " AND ".join(quals), cols=cols) if quals else "1"
            arms.append(f"WHEN {cond} THEN {i}")
        pick = f"CASE {' '.join(arms)} ELSE -1 END" if arms else "-1"
        listed = ", ".join(f"c{i}" for i in range(len(names)))
        return f'WITH "pgsvc$s"({listed}) AS ({source}) SELECT *, {pick} FROM "pgsvc$s"'

    def partition_copy_spec(self, rel, attrs: list, values: str) -> dict:
        """COPY FROM into a partitioned table: `src` makes one COPY row (?1..) a row of
        `names` (defaults evaluated), routed as an INSERT's (exec.partition_dml)."""
        cols, source = row_insert_source(rel, 0)
        ins = {str(leaf.oid): f"INSERT INTO {quote_sqlite_ident(leaf.sqlite_name)} ({cols}) {source}"
               for leaf in P.leaves(self.catalog, rel)}
        return {"k": "I", "rel": rel.oid, "n": 0, "ncol": 0, "src": f"SELECT {values}",
                "names": [a.name for a in attrs],
                "part": {"tables": self.routing(rel, 0), "ins": ins, "rowtext": self.row_text_sql(rel, 0)}}

    def inherited_target(self, rel, sa: str) -> str:
        """The FROM item of an UPDATE/DELETE of a parent: its rows and its descendants', with
        each row's table and rowid."""
        names = ", ".join(quote_sqlite_ident(a.name) for a in rel.attrs)
        parts = [f'SELECT {names}, {t.oid} AS "pgsvc$tableoid", {rowid_name(t)} AS "pgsvc$rowid" '
                 f"FROM {quote_sqlite_ident(t.sqlite_name)}" for t in [rel, *self.descendants(rel)]]
        return f"({' UNION ALL '.join(parts)}) AS {sa}"

    def route_inherited_update(self, d, sa: str, with_sql: str, from_sql: str, items: list, where: str,
                               returning) -> None:
        rel = d.relation
        sets = {a.name: sql for a, sql in items}
        old = ", ".join(f"{sa}.{quote_sqlite_ident(a.name)}" for a in rel.attrs)
        new = ", ".join(sets.get(a.name, f"{sa}.{quote_sqlite_ident(a.name)}") for a in rel.attrs)
        more = ", " + from_sql[len(" FROM "):] if from_sql else ""
        src = (f'{with_sql}SELECT {sa}."pgsvc$tableoid", {sa}."pgsvc$rowid", {old}, {new} '
               f"FROM {self.inherited_target(rel, sa)}{more}{where}")
        spec = {"k": "U", "rel": rel.oid, "src": src, "cols": [a.attnum for a, _ in items], "cap": []}
        n = spec["n"] = param_count(d.sql, src)
        k = len(rel.attrs)
        ret = returning[0] if returning else ""
        sets_sql = ", ".join(f"{quote_sqlite_ident(a.name)} = ?{n + i + 1}" for i, a in enumerate(rel.attrs)
                             if not a.generated)
        upd, dele, ins = {}, {}, {}
        cols, values = row_insert_source(rel, n)
        for t in [rel, *self.descendants(rel)]:
            table = quote_sqlite_ident(t.sqlite_name)
            upd[str(t.oid)] = self.leaf_sql(f"{with_sql}UPDATE {table} SET {sets_sql} WHERE {rowid_name(t)} = "
                                            f"?{n + k + 1}{ret}", rel, t)
            dele[str(t.oid)] = f"DELETE FROM {table} WHERE {rowid_name(t)} = ?{n + 1}"
            ins[str(t.oid)] = self.leaf_sql(f"{with_sql}INSERT INTO {table} ({cols}) {values}{ret}", rel, t)
        spec["part"] = {"tables": self.routing(rel, n), "upd": upd, "del": dele, "ins": ins,
                        "rowtext": self.row_text_sql(rel, n)}
        self.finish_route(d, spec, returning)

    def route_inherited_delete(self, d, sa: str, with_sql: str, where: str, returning) -> None:
        rel = d.relation
        old = ", ".join(f"{sa}.{quote_sqlite_ident(a.name)}" for a in rel.attrs)
        src = (f'{with_sql}SELECT {sa}."pgsvc$tableoid", {sa}."pgsvc$rowid", {old} '
               f"FROM {self.inherited_target(rel, sa)}{where}")
        spec = {"k": "D", "rel": rel.oid, "src": src, "cap": []}
        n = spec["n"] = param_count(d.sql, src)
        ret = returning[0] if returning else ""
        dele = {}
        for t in [rel, *self.descendants(rel)]:
            table = quote_sqlite_ident(t.sqlite_name)
            dele[str(t.oid)] = self.leaf_sql(f"{with_sql}DELETE FROM {table} WHERE {rowid_name(t)} = ?{n + 1}{ret}",
                                             rel, t)
        spec["part"] = {"tables": {}, "del": dele}
        self.finish_route(d, spec, returning)


__all__ = ["PartitionMixin", "TABLEOID_MARK"]
