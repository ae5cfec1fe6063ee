"""DROP TABLE / VIEW / SEQUENCE / INDEX (types: pgsvc.sql.commands.ddl.user_types, schemas:
pgsvc.sql.commands.ddl.schemas) with PostgreSQL's dependency rules and CASCADE reports,
and TRUNCATE.
"""

from __future__ import annotations

import pglast
from pglast import ast, enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import changelog
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog import rules as RU
from pgsvc.sql.catalog.authz import KIND_WORD, authz, not_owner
from pgsvc.sql.commands.ddl.base import OBJECT_RELKIND
from pgsvc.sql.commands.ddl.fk_keys import dependent_foreign_keys
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate import Translator


class DropDdl:
    """DROP and TRUNCATE: methods of pgsvc.sql.commands.ddl.Ddl."""

    # --- DROP -----------------------------------------------------------------------

    def drop(self, node: ast.DropStmt) -> None:
        kind = OBJECT_RELKIND.get(node.removeType)
        if node.removeType in (enums.ObjectType.OBJECT_TYPE, enums.ObjectType.OBJECT_DOMAIN):
            return self.drop_types(node)
        if node.removeType == enums.ObjectType.OBJECT_SCHEMA:
            return self.drop_schema(node)
        if node.removeType in (enums.ObjectType.OBJECT_FUNCTION, enums.ObjectType.OBJECT_PROCEDURE,
                               enums.ObjectType.OBJECT_ROUTINE, enums.ObjectType.OBJECT_AGGREGATE):
            return self.drop_routines(node)  # pgsvc.sql.commands.ddl.routines
        if node.removeType == enums.ObjectType.OBJECT_TRIGGER:
            return self.drop_triggers(node)  # pgsvc.sql.commands.ddl.triggers
        if node.removeType == enums.ObjectType.OBJECT_POLICY:
            return self.drop_policies(node)  # pgsvc.sql.commands.ddl.policies
        if node.removeType == enums.ObjectType.OBJECT_OPCLASS:
            return self.drop_opclasses(node)  # pgsvc.sql.commands.ddl.opclasses
        if node.removeType == enums.ObjectType.OBJECT_RULE:
            return self.drop_rules(node)  # pgsvc.sql.commands.ddl.rules
        if kind is None:
            raise SqlError("0A000", f"DROP {node.removeType.name[7:]} is not supported")
        word = KIND_WORD[kind]
        rels = []
        for obj in node.objects:
            names = [n.sval for n in obj]
            rel = self.find(names)
            if rel is None:
                if node.missing_ok:
                    self.notice(f'{word} "{names[-1]}" does not exist, skipping')
                    continue
                raise SqlError("42P01", f'{word} "{".".join(names)}" does not exist')
            if rel.kind != kind:
                raise SqlError("42809", f'"{rel.name}" is not a {word}',
                               hint=f"Use DROP {KIND_WORD[rel.kind].upper()} to remove a {KIND_WORD[rel.kind]}.")
            if not authz(self.engine).may_drop(rel):
                raise not_owner(KIND_WORD[rel.kind], rel.name)
            rels.append(rel)
        # the objects named are dropped together: one's dependency on another of them is no
        # obstacle (a table referencing another by a foreign key goes first)
        together = frozenset(r.oid for r in rels)
        for rel in self.referencing_first(rels) if len(rels) > 1 else rels:
            if rel.oid in self.cat.by_oid:  # not already taken by an earlier one's CASCADE
                try:
                    self.drop_relation(self.cat.by_oid[rel.oid], node.behavior == enums.DropBehavior.DROP_CASCADE,
                                       together)
                except SqlError as err:
                    if len(rels) > 1 and err.sqlstate == "2BP01" and err.message.endswith("depend on it"):
                        err.message = "cannot drop desired object(s) because other objects depend on them"
                    raise
                if len(rels) > 1:
                    self.refresh()
        self.refresh()

    def drop_relation(self, rel: C.Relation, cascade: bool, together: frozenset = frozenset()) -> None:
        """Drop rel; objects depending on it are an error without cascade unless they are
        among `together` (the other objects named by the same DROP, removed with it silently)."""
        if rel.kind == "i":
            owner = next((r for r in self.cat.by_oid.values() if any(ix.oid == rel.oid for ix in r.indexes)), None)
            con = next((c for c in owner.constraints if c.index_oid == rel.oid), None) if owner else None
            if con is not None:
                raise SqlError("2BP01", f'cannot drop index {rel.name} because constraint {con.name} on table '
                               f'{owner.name} requires it',
                               hint=f"You can drop constraint {con.name} on table {owner.name} instead.")
            deps = dependent_foreign_keys(self.cat, owner, ix.keys, ix.oid) if owner and (
                ix := next(i for i in owner.indexes if i.oid == rel.oid)).unique else []
            if deps:  # (ddl.fk_keys) foreign keys that use this unique index
                what = [f"constraint {c.name} on table {r.name}" for r, c in deps]
                if not cascade:
                    raise SqlError("2BP01", f"cannot drop index {rel.name} because other objects depend on it",
                                   detail="\n".join(f"{w} depends on index {rel.name}" for w in what),
                                   hint="Use DROP ... CASCADE to drop the dependent objects too.")
                self.report_cascade(what)
                for r, c in deps:
                    C.delete_constraint(self.conn, c.oid)
                    self.refresh()
                    self.rebuild(self.cat.by_oid[r.oid])  # its SQLite definition carried the FK
            above = self.cat.by_oid.get(rel.options.get("parent_index") or 0)
            if above is not None:  # a partition's copy of a partitioned table's index
                raise SqlError("2BP01", f"cannot drop index {rel.name} because index {above.name} requires it",
                               hint=f"You can drop index {above.name} instead.")
            for part in [r for r in self.cat.by_oid.values() if r.kind == "i"
                         and r.options.get("parent_index") == rel.oid]:
                C.set_relation_option(self.conn, part.oid, "parent_index", None)  # its partitions' go with it
                self.refresh()
                self.drop_relation(self.cat.by_oid[part.oid], cascade)
            self.conn.execute(f"DROP INDEX IF EXISTS {quote_sqlite_ident(rel.sqlite_name)}")
            C.delete_relation(self.conn, rel.oid)
            return
        if P.partkey(rel) is not None:  # a partitioned table's partitions go with it
            for p in P.partitions_of(self.cat, rel):
                try:
                    self.drop_relation(self.cat.by_oid[p.oid], cascade)
                except SqlError as err:
                    if err.sqlstate == "2BP01" and err.message.endswith("because other objects depend on it"):
                        err.message = f"cannot drop table {rel.name} because other objects depend on it"
                    raise
            self.refresh()
            rel = self.cat.by_oid[rel.oid]
        deps = self.dependents(rel)
        outer = [d for d in deps if dependent_oid(d) not in together]
        if outer:
            word = KIND_WORD.get(rel.kind, "relation")
            # (a function found through a view depends on that view: its 4th item names it)
            lines = [d[2] + f" depends on {d[3] if len(d) > 3 else f'{word} {rel.name}'}" for d in outer]
            if not cascade:
                raise SqlError("2BP01", f"cannot drop {word} {rel.name} because other objects depend on it",
                               detail="\n".join(lines),
                               hint="Use DROP ... CASCADE to drop the dependent objects too.")
            if len(outer) == 1:
                self.notice(f"drop cascades to {outer[0][2]}")
            else:
                self.engine.session.notice(SqlNotice(
                    f"drop cascades to {len(outer)} other objects",
                    detail="\n".join(f"drop cascades to {d[2]}" for d in outer)))
        if deps:
            for kind, obj, *_ in deps:
                if kind == "fk":
                    con, child = obj
                    C.delete_constraint(self.conn, con.oid)
                    self.refresh()
                    self.rebuild(self.cat.by_oid[child.oid])  # its SQLite definition carried the FK
            for kind, obj, *_ in reversed(deps):
                if kind == "view" and obj.oid in self.cat.by_oid:
                    if obj.kind == "m":  # a materialized view's rows and indexes (ddl.matviews)
                        self.drop_relation_storage(obj)
                    C.delete_relation(self.conn, obj.oid)
                elif kind == "child" and obj.oid in self.cat.by_oid:
                    self.drop_relation(self.cat.by_oid[obj.oid], cascade, together)
                elif kind == "function":
                    self.delete_routine(obj)
                elif kind == "rule" and obj[0].oid in self.cat.by_oid:
                    other = self.cat.by_oid[obj[0].oid]
                    RU.save(self.conn, other, [r for r in RU.rules(other) if r.oid != obj[1].oid])
                    self.refresh()
        if rel.kind in ("r", "m"):
            self.drop_relation_storage(rel)
        C.delete_relation(self.conn, rel.oid)
        parent = P.parent_of(self.cat, rel)
        if parent is not None and P.bound(rel)["kind"] != "d":  # the default partition widens
            self.refresh()
            self.rebuild_default(parent)

    def drop_relation_storage(self, rel: C.Relation) -> None:
        """A table's (or materialized view's) indexes, SQLite table and owned sequences."""
        for ix in rel.indexes:
            C.delete_relation(self.conn, ix.oid)
        self.conn.execute(f"DROP TABLE IF EXISTS {quote_sqlite_ident(rel.sqlite_name)}")
        for seq_oid in C.owned_sequences(self.conn, rel.oid):
            C.delete_relation(self.conn, seq_oid)

    def dependents(self, rel: C.Relation) -> list:
        """Objects that depend on rel, as PostgreSQL lists them: functions returning its row type
        (reached through the type first), foreign keys, then views (recursively)."""
        out, seen = [], set()
        if self.cat.routines:
            out += [d for d in self.routines_on_relation(rel) if len(d) > 3]
        for other in self.cat.by_oid.values():
            if other.kind == "r" and rel.oid in other.options.get("inherits", ()) and P.bound(other) is None:
                out.append(("child", other, f"table {other.name}"))
        for other in self.cat.by_oid.values():
            for c in other.constraints:
                if c.contype == "f" and c.frelid == rel.oid and other.oid != rel.oid:
                    out.append(("fk", (c, other), f"constraint {c.name} on table {other.name}"))
        todo: list = [(rel, None)]  # depth first, as PostgreSQL's findDependentObjects lists them
        while todo:
            cur, dep = todo.pop()
            if dep is not None:
                out.append(dep)
            found = []
            for v in self.cat.by_oid.values():
                if v.kind in ("v", "m") and v.oid not in seen and v.oid != rel.oid and cur.oid in self.view_refs(v):
                    seen.add(v.oid)
                    found.append((v, ("view", v, f"{KIND_WORD[v.kind]} {v.name}") if cur is rel else
                                  ("view", v, f"{KIND_WORD[v.kind]} {v.name}", f"{KIND_WORD[cur.kind]} {cur.name}")))
            todo += reversed(found)
        if RU.has_rules(self.cat):  # other relations' rules naming it (catalog.rules), but not those
            # of a view going with it or of the partitioned table it is dropped for
            going = {d[1].oid for d in out if d[0] in ("view", "child")}
            up = P.parent_of(self.cat, rel)
            while up is not None:
                going.add(up.oid)
                up = P.parent_of(self.cat, up)
            for other, r in RU.rules_naming(self.cat, rel, self.engine.search_path()):
                if other.oid not in going:
                    out.append(("rule", (other, r), f"rule {r.name} on {KIND_WORD.get(other.kind, 'table')} "
                                                    f"{other.name}"))
        if self.cat.routines:  # BEGIN ATOMIC bodies (and defaults) that read it or its views
            for on in [rel] + [d[1] for d in out if d[0] == "view"]:
                found = [d for d in self.routines_on_relation(on) if all(d[1] is not o[1] for o in out)]
                out += found if on is rel else [(*d, f"view {on.name}") for d in found]
        return out

    def view_refs(self, view: C.Relation) -> set[int]:
        refs: set[int] = set()

        def visit(n):
            if isinstance(n, ast.RangeVar):
                r = self.cat.lookup(n.schemaname, n.relname, self.engine.search_path())
                if r is not None:
                    refs.add(r.oid)
            if isinstance(n, ast.Node):
                for attr in n.__slots__:
                    visit(getattr(n, attr, None))
            elif isinstance(n, (tuple, list)):
                for x in n:
                    visit(x)
        try:
            visit(pglast.parse_sql(view.viewdef))
        except Exception:  # noqa: BLE001 - an unparsable definition depends on nothing we can name
            pass
        return refs

    # --- TRUNCATE -------------------------------------------------------------------

    def truncate(self, node: ast.TruncateStmt) -> None:
        tr = Translator(self.engine, self.cat, [])
        rels = []
        for rv in node.relations:
            rel = tr.relation(rv)
            if not rv.inh and P.partkey(rel) is not None:
                raise SqlError("42809", "cannot truncate only a partitioned table",
                               hint="Do not specify the ONLY keyword, or use TRUNCATE ONLY on the partitions directly.")
            # a parent's children and partitions are truncated with it (unless ONLY)
            rels += [r for r in [rel, *(tr.descendants(rel) if rv.inh and rel.kind == "r" else [])] if r not in rels]
        for rel in rels:
            if rel.kind != "r":
                raise SqlError("42809", f'"{rel.name}" is not a table')
            authz(self.engine).check_truncate(rel)
        rels = self.truncate_fk_closure(rels, node.behavior == enums.DropBehavior.DROP_CASCADE)
        # TRUNCATE triggers (statement level: BEFORE for every table, the truncation, AFTER);
        # no row trigger sees the rows go (exec.triggers)
        fire = [rel for rel in rels if any(t.fires_on("TRUNCATE") for t in rel.triggers)]
        for rel in fire:
            self.engine.fire_statement_triggers(rel, "TRUNCATE", "BEFORE")
        cascade = node.behavior == enums.DropBehavior.DROP_CASCADE
        with self.engine.capture_off(), changelog.truncating(self.conn, self.cat, rels, cascade, node.restart_seqs):
            for rel in self.referencing_first(rels):
                self.conn.execute(f"DELETE FROM {quote_sqlite_ident(rel.sqlite_name)}")
                if node.restart_seqs:
                    C.restart_owned_sequences(self.conn, rel.oid)
        for rel in fire:
            self.engine.fire_statement_triggers(rel, "TRUNCATE", "AFTER")

    def truncate_fk_closure(self, rels: list, cascade: bool) -> list:
        """PostgreSQL's ExecuteTruncate and foreign keys: CASCADE adds the tables that
        reference a truncated one (transitively, each with a NOTICE); without it, such a
        table not truncated too is an error."""
        rels = list(rels)
        while True:
            oids = {r.oid for r in rels}
            more = sorted({c.relid for r in self.cat.by_oid.values() for c in r.constraints
                           if c.contype == "f" and c.frelid in oids and c.relid not in oids})
            if not more:
                return rels
            child = self.cat.by_oid[more[0]]
            if not cascade:
                parent = next(self.cat.by_oid[c.frelid] for c in sorted(child.constraints, key=lambda c: c.oid)
                              if c.contype == "f" and c.frelid in oids)
                raise SqlError("0A000", "cannot truncate a table referenced in a foreign key constraint",
                               detail=f'Table "{child.name}" references "{parent.name}".',
                               hint=f'Truncate table "{child.name}" at the same time, or use TRUNCATE ... CASCADE.')
            for oid in more:
                rel = self.cat.by_oid[oid]
                authz(self.engine).check_truncate(rel)
                self.notice(f'truncate cascades to table "{rel.name}"')
                rels.append(rel)

    def referencing_first(self, rels: list) -> list:
        """rels ordered so that a table referencing another by a foreign key is emptied first."""
        todo, out = list(rels), []
        while todo:
            oids = {r.oid for r in todo}
            ready = [r for r in todo if not any(c.contype == "f" and c.relid != r.oid and c.frelid == r.oid
                                                for o in todo for c in o.constraints if o.oid in oids)]
            for r in ready or todo[:1]:
                out.append(r)
                todo.remove(r)
        return out


def dependent_oid(dep: tuple) -> int | None:
    """The relation a dependents() entry names (None for a routine)."""
    kind, obj = dep[0], dep[1]
    if kind in ("fk", "rule"):
        return obj[0].oid if kind == "rule" else obj[1].oid
    return obj.oid if kind in ("child", "view") else None
