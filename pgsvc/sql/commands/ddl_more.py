"""DDL continued: DROP, TRUNCATE, ALTER TABLE, CREATE INDEX / VIEW / SEQUENCE / SCHEMA,
COMMENT. See pgsvc.sql.commands.ddl for the conventions.
"""

from __future__ import annotations

import json

import contextlib

from pglast import ast, enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import KIND_WORD, authz, not_owner
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.commands.ddl import Ddl, _deparse, _defarg
from pgsvc.sql.translate.expr import quote_ident, type_from_typename

_KIND_WORD = {"r": "table", "v": "view", "S": "sequence", "i": "index"}
_OBJ_KIND = {enums.ObjectType.OBJECT_TABLE: "r", enums.ObjectType.OBJECT_VIEW: "v",
             enums.ObjectType.OBJECT_SEQUENCE: "S", enums.ObjectType.OBJECT_INDEX: "i"}


class DdlMore(Ddl):
    def find(self, names: list[str]):
        schema = names[0] if len(names) == 2 else None
        return self.cat.lookup(schema, names[-1], self.engine.search_path())

    # --- DROP -----------------------------------------------------------------------

    def drop(self, node: ast.DropStmt) -> None:
        kind = _OBJ_KIND.get(node.removeType)
        if node.removeType in (enums.ObjectType.OBJECT_TYPE, enums.ObjectType.OBJECT_DOMAIN):
            from pgsvc.sql.commands.user_types import DdlTypes
            return DdlTypes(self.engine).drop_types(node)
        if node.removeType == enums.ObjectType.OBJECT_SCHEMA:
            return self.drop_schema(node)
        if kind is None:
            raise SqlError("0A000", f"DROP {node.removeType.name[7:]} is not supported")
        word = _KIND_WORD[kind]
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
                               hint=f"Use DROP {_KIND_WORD[rel.kind].upper()} to remove a {_KIND_WORD[rel.kind]}.")
            if not authz(self.engine).may_drop(rel):
                raise not_owner(KIND_WORD[rel.kind], rel.name)
            self.drop_relation(rel, node.behavior == enums.DropBehavior.DROP_CASCADE)
        self.refresh()

    def drop_relation(self, rel: C.Relation, cascade: bool) -> None:
        if rel.kind == "i":
            owner = next((r for r in self.cat.by_oid.values() if any(ix.oid == rel.oid for ix in r.indexes)), None)
            con = next((c for c in owner.constraints if c.index_oid == rel.oid), None) if owner else None
            if con is not None:
                raise SqlError("2BP01", f'cannot drop index {rel.name} because constraint {con.name} on table '
                               f'{owner.name} requires it',
                               hint=f"You can drop constraint {con.name} on table {owner.name} instead.")
            self.conn.execute(f"DROP INDEX IF EXISTS {quote_ident(rel.sqlite_name)}")
            C.delete_relation(self.conn, rel.oid)
            return
        deps = self.dependents(rel)
        if deps:
            word = _KIND_WORD.get(rel.kind, "relation")
            lines = [d[2] + f" depends on {word} {rel.name}" for d in deps]
            if not cascade:
                raise SqlError("2BP01", f"cannot drop {word} {rel.name} because other objects depend on it",
                               detail="\n".join(lines),
                               hint="Use DROP ... CASCADE to drop the dependent objects too.")
            if len(deps) == 1:
                self.notice(f"drop cascades to {deps[0][2]}")
            else:
                self.engine.session.notice(SqlNotice(
                    f"drop cascades to {len(deps)} other objects",
                    detail="\n".join(f"drop cascades to {d[2]}" for d in deps)))
            for kind, obj, _ in deps:
                if kind == "fk":
                    con, child = obj
                    self.conn.execute('DELETE FROM "pgsvc$constraint" WHERE oid = ?', (con.oid,))
                    self.refresh()
                    self.rebuild(self.cat.by_oid[child.oid])  # its SQLite definition carried the FK
            for kind, obj, _ in reversed(deps):
                if kind == "view" and obj.oid in self.cat.by_oid:
                    C.delete_relation(self.conn, obj.oid)
                elif kind == "child" and obj.oid in self.cat.by_oid:
                    self.drop_relation(self.cat.by_oid[obj.oid], True)
        if rel.kind == "r":
            for ix in rel.indexes:
                C.delete_relation(self.conn, ix.oid)
            self.conn.execute(f"DROP TABLE IF EXISTS {quote_ident(rel.sqlite_name)}")
            for seq_oid, in self.conn.execute('SELECT relid FROM "pgsvc$sequence" WHERE owner_relid = ?',
                                              (rel.oid,)).fetchall():
                C.delete_relation(self.conn, seq_oid)
        C.delete_relation(self.conn, rel.oid)

    def dependents(self, rel: C.Relation) -> list:
        """Objects that depend on rel, as PostgreSQL lists them: foreign keys, then views (recursively)."""
        out, seen = [], set()
        for other in self.cat.by_oid.values():
            if other.kind == "r" and rel.oid in other.options.get("inherits", ()):
                out.append(("child", other, f"table {other.name}"))
        for other in self.cat.by_oid.values():
            for c in other.constraints:
                if c.contype == "f" and c.frelid == rel.oid and other.oid != rel.oid:
                    out.append(("fk", (c, other), f"constraint {c.name} on table {other.name}"))
        todo = [rel]
        while todo:
            cur = todo.pop(0)
            for v in self.cat.by_oid.values():
                if v.kind == "v" and v.oid not in seen and v.oid != rel.oid and cur.oid in self.view_refs(v):
                    seen.add(v.oid)
                    out.append(("view", v, f"view {v.name}"))
                    todo.append(v)
        return out

    def view_refs(self, view: C.Relation) -> set[int]:
        import pglast
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

    def drop_schema(self, node: ast.DropStmt) -> None:
        for obj in node.objects:
            name = obj.sval if isinstance(obj, ast.String) else obj[0].sval
            if name not in self.cat.schemas:
                if node.missing_ok:
                    self.notice(f'schema "{name}" does not exist, skipping')
                    continue
                raise SqlError("3F000", f'schema "{name}" does not exist')
            authz(self.engine).check_schema_owner(name)
            rels = [r for r in self.cat.by_oid.values() if r.schema == name]
            from pgsvc.sql.types.usertypes import all_user_types
            types = [ut for ut in all_user_types() if ut.schema == name]  # domains and enums
            members = self.schema_dependents(name, rels, types)
            if members and node.behavior != enums.DropBehavior.DROP_CASCADE:
                raise SqlError("2BP01", f"cannot drop schema {name} because other objects depend on it",
                               detail="\n".join(f"{what} depends on {on}" for what, on in members),
                               hint="Use DROP ... CASCADE to drop the dependent objects too.")
            self.report_cascade([what for what, _ in members])
            with self.notices_muted():  # the one report above names everything that goes
                for r in rels:
                    if r.kind in ("r", "v", "S") and r.oid in self.cat.by_oid:
                        self.drop_relation(r, True)
                if types:
                    from pgsvc.sql.commands.user_types import DdlTypes
                    DdlTypes(self.engine).drop_types_of_schema(types)
            self.conn.execute('DELETE FROM "pgsvc$acl" WHERE objoid = ?', (self.cat.schemas[name],))
            self.conn.execute('DELETE FROM "pgsvc$namespace" WHERE nspname = ?', (name,))
        self.refresh()

    def schema_dependents(self, schema: str, rels: list, types: list) -> list[tuple[str, str]]:
        """What DROP SCHEMA takes with it, as PostgreSQL reports it: (object, what it
        depends on) for the schema's tables, views, sequences (not those a column owns:
        they go with it) and types in creation order, each followed by the objects
        elsewhere that depend on it."""
        owned = {seq for seq, in self.conn.execute(
            'SELECT relid FROM "pgsvc$sequence" WHERE owner_relid IS NOT NULL').fetchall()}
        prefix = "" if schema in self.engine.search_path() else schema + "."
        members = [(r.oid, f"{_KIND_WORD[r.kind]} {prefix}{r.name}", r)
                   for r in rels if r.kind in ("r", "v", "S") and r.oid not in owned]
        members += [(t.oid, f"type {prefix}{t.name}", None) for t in types]
        inside = {r.oid for r in rels}
        out: list[tuple[str, str]] = []
        for _, what, rel in sorted(members, key=lambda m: m[0]):
            out.append((what, f"schema {schema}"))
            if rel is None or rel.kind == "S":
                continue
            for kind, obj, dep in self.dependents(rel):
                other = obj[1] if kind == "fk" else obj
                if other.oid not in inside and all(dep != d for d, _ in out):
                    out.append((dep, what))
        return out

    def report_cascade(self, what: list[str]) -> None:
        if len(what) == 1:
            self.notice(f"drop cascades to {what[0]}")
        elif what:
            self.engine.session.notice(SqlNotice(f"drop cascades to {len(what)} other objects",
                                                 detail="\n".join(f"drop cascades to {w}" for w in what)))

    @contextlib.contextmanager
    def notices_muted(self):
        session = self.engine.session
        saved, session.notice = session.notice, lambda _notice: None
        try:
            yield
        finally:
            session.notice = saved

    def create_schema(self, node: ast.CreateSchemaStmt) -> None:
        from pgsvc.sql.commands.grants import new_owner_oid, schema_created
        if node.schemaElts:
            raise SqlError("0A000", "CREATE SCHEMA with elements is not supported")
        az = authz(self.engine)
        az.check_create_schema()
        owner = self.creator()
        if node.authrole is not None:
            owner = new_owner_oid(self.engine, node.authrole)
            if not az.is_member_of(self.creator(), owner):
                role = shared(self.engine).cat.find_role_oid(owner)
                raise SqlError("42501", f'must be member of role "{role.name}"')
        name = node.schemaname or shared(self.engine).cat.find_role_oid(owner).name
        # information_schema exists in every database (pgsvc.sql.catalog.system.information_schema), outside the catalog
        if name in self.cat.schemas or name == "information_schema":
            if node.if_not_exists:
                self.notice(f'schema "{name}" already exists, skipping')
                return
            raise SqlError("42P06", f'schema "{name}" already exists')
        if name.startswith("pg_"):
            raise SqlError("42939", f'unacceptable schema name "{name}"',
                           detail='The prefix "pg_" is reserved for system schemas.')
        self.conn.execute('INSERT INTO "pgsvc$namespace" VALUES (?, ?)', (C.new_oid(self.conn), name))
        self.refresh()
        schema_created(self.engine, name, owner)
        self.refresh()

    # --- TRUNCATE -------------------------------------------------------------------

    def truncate(self, node: ast.TruncateStmt) -> None:
        from pgsvc.sql.translate import Translator
        tr = Translator(self.engine, self.cat, [])
        rels = [tr.relation(rv) for rv in node.relations]
        for rel in rels:
            if rel.kind != "r":
                raise SqlError("42809", f'"{rel.name}" is not a table')
            authz(self.engine).check_truncate(rel)
            self.conn.execute(f"DELETE FROM {quote_ident(rel.sqlite_name)}")
            if node.restart_seqs:
                self.conn.execute('UPDATE "pgsvc$sequence" SET last_value = start, is_called = 0 '
                                  'WHERE owner_relid = ?', (rel.oid,))

    # --- CREATE INDEX / VIEW / SEQUENCE ---------------------------------------------------

    def create_index(self, node: ast.IndexStmt) -> None:
        from pgsvc.sql.translate import Translator
        rel = Translator(self.engine, self.cat, []).relation(node.relation)
        if rel.kind != "r":
            raise SqlError("42809", f'"{rel.name}" is not a table')
        authz(self.engine).check_owner(rel)
        if node.whereClause is not None or node.indexIncludingParams:
            raise SqlError("0A000", "partial indexes and INCLUDE are not supported")
        if node.accessMethod not in (None, "btree"):
            raise SqlError("0A000", f'access method "{node.accessMethod}" is not supported')
        cols, indoption = [], []
        for e in node.indexParams:
            if e.name is None:
                raise SqlError("0A000", "expression indexes are not supported")
            if rel.attr(e.name) is None:
                raise SqlError("42703", f'column "{e.name}" does not exist')
            cols.append(e.name)
            indoption.append(index_option(e))
        name = node.idxname or self.unique_rel_name(rel.schema, f"{rel.name}_{'_'.join(cols)}_idx")
        if C.relation_name_taken(self.cat, rel.schema, name):
            if node.if_not_exists:
                self.notice(f'relation "{name}" already exists, skipping')
                return
            raise SqlError("42P07", f'relation "{name}" already exists')
        # DESC / NULLS FIRST of each key as pg_index.indoption (kept with the index relation)
        ioid = C.insert_relation(self.conn, self.cat, rel.schema, name, "i",
                                 {"indoption": indoption} if any(indoption) else None)
        C.insert_index(self.conn, ioid, rel.oid, bool(node.unique), False, [rel.attr(c).attnum for c in cols])
        self.refresh()
        self.create_sqlite_index(rel, self.cat.by_oid[ioid].sqlite_name, bool(node.unique), cols, name)

    def create_view(self, node: ast.ViewStmt, sql: str) -> None:
        from pgsvc.sql.translate import Translator
        rv = node.view
        schema = self.schema_of(rv)
        existing = self.cat.relations.get((schema, rv.relname))
        body = _deparse(node.query)
        tr = Translator(self.engine, self.cat, [])
        q = tr.select(node.query)  # validates the query now, as PostgreSQL does
        if node.aliases:
            names = [a.sval for a in node.aliases]
            body = f"SELECT * FROM ({body}) AS v({', '.join(quote_ident(n) for n in names)})"
        options = {d.defname: _defarg(d.arg) for d in node.options or ()}  # WITH (security_barrier, ...)
        if existing is not None:
            if not node.replace:
                raise SqlError("42P07", f'relation "{rv.relname}" already exists')
            if existing.kind != "v":
                raise SqlError("42809", f'"{rv.relname}" is not a view')
            authz(self.engine).check_owner(existing)
            self.conn.execute('UPDATE "pgsvc$class" SET viewdef = ?, options = ? WHERE oid = ?',
                              (body, json.dumps(options) if options else None, existing.oid))
            self.conn.execute('DELETE FROM "pgsvc$attribute" WHERE relid = ?', (existing.oid,))
            oid = existing.oid
        else:
            oid = C.insert_relation(self.conn, self.cat, schema, rv.relname, "v", options or None, viewdef=body,
                                    sqlite_name="", owner=self.creator())
        for i, c in enumerate(q.columns):
            name = node.aliases[i].sval if node.aliases and i < len(node.aliases) else c.name
            C.insert_attr(self.conn, oid, C.Attr(i + 1, name, c.oid, c.typmod))
        self.refresh()

    def create_sequence(self, node: ast.CreateSeqStmt) -> None:
        rv = node.sequence
        schema = self.schema_of(rv)
        if C.relation_name_taken(self.cat, schema, rv.relname):
            if node.if_not_exists:
                self.notice(f'relation "{rv.relname}" already exists, skipping')
                return
            raise SqlError("42P07", f'relation "{rv.relname}" already exists')
        opts = self.sequence_options(node.options or ())
        oid = C.insert_relation(self.conn, self.cat, schema, rv.relname, "S", sqlite_name="", owner=self.creator())
        self.conn.execute('INSERT INTO "pgsvc$sequence" VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL)',
                          (oid, opts["typ"], opts["start"], opts["inc"], opts["min"], opts["max"],
                           int(opts["cycle"]), opts["start"]))
        self.refresh()

    def sequence_options(self, options, typ: int | None = None) -> dict:
        """CREATE SEQUENCE's options (an identity column's too: `typ` is the column's type)."""
        from pgsvc.sql.types import oids as O
        o = {"typ": typ or O.INT8, "inc": 1, "cycle": False, "start": None, "min": None, "max": None}
        for d in options:
            v = _defarg(d.arg)
            if d.defname == "as":
                o["typ"] = type_from_typename(d.arg)[0]
            elif d.defname == "increment":
                o["inc"] = int(v)
            elif d.defname in ("minvalue", "maxvalue"):
                o[d.defname[:3]] = int(v) if v is not None else None
            elif d.defname == "start":
                o["start"] = int(v)
            elif d.defname == "cycle":
                o["cycle"] = bool(v)
            elif d.defname in ("cache", "owned_by", "restart"):
                pass
            else:
                raise SqlError("0A000", f"sequence option {d.defname} is not supported")
        if o["inc"] == 0:
            raise SqlError("22023", "INCREMENT must not be zero")
        hi = {O.INT2: 32767, O.INT4: 2147483647}.get(o["typ"], 2**63 - 1)
        if o["min"] is None:
            o["min"] = 1 if o["inc"] > 0 else -hi - 1
        if o["max"] is None:
            o["max"] = hi if o["inc"] > 0 else -1
        if o["start"] is None:
            o["start"] = o["min"] if o["inc"] > 0 else o["max"]
        return o

    def comment(self, node: ast.CommentStmt) -> None:
        """COMMENT ON TABLE/VIEW/SEQUENCE/INDEX/COLUMN/CONSTRAINT/SCHEMA (pgsvc$description;
        pg_description's classoid follows from the catalog that holds the OID)."""
        t = enums.ObjectType
        kind = node.objtype
        sub = 0
        if kind == t.OBJECT_SCHEMA:
            name = node.object.sval
            oid = self.cat.schemas.get(name)
            if oid is None:
                raise SqlError("3F000", f'schema "{name}" does not exist')
            authz(self.engine).check_schema_owner(name)
        elif kind == t.OBJECT_TABCONSTRAINT:
            names = [n.sval for n in node.object]
            rel = self.comment_relation(names[:-1], None)
            con = next((c for c in rel.constraints if c.name == names[-1]), None)
            if con is None:
                raise SqlError("42704", f'constraint "{names[-1]}" for table "{rel.name}" does not exist')
            authz(self.engine).check_owner(rel)
            oid = con.oid
        elif kind == t.OBJECT_COLUMN:
            names = [n.sval for n in node.object]
            rel = self.comment_relation(names[:-1], None)
            if rel.kind in ("i", "S"):
                raise SqlError("42809", f'cannot set comment on relation "{rel.name}"',
                               detail=f"This operation is not supported for "
                                      f"{ {'i': 'indexes', 'S': 'sequences'}[rel.kind]}.")
            a = rel.attr(names[-1])
            if a is None:
                raise SqlError("42703", f'column "{names[-1]}" of relation "{rel.name}" does not exist')
            authz(self.engine).check_owner(rel)
            oid, sub = rel.oid, a.attnum
        elif kind in _OBJ_KIND:
            rel = self.comment_relation([n.sval for n in node.object], _OBJ_KIND[kind])
            authz(self.engine).check_owner(rel)
            oid = rel.oid
        elif kind in (t.OBJECT_DATABASE, t.OBJECT_ROLE):
            return self.comment_shared(node, kind == t.OBJECT_DATABASE)
        else:
            raise SqlError("0A000", f"COMMENT ON {kind.name[7:].replace('_', ' ')} is not supported")
        self.conn.execute('DELETE FROM "pgsvc$description" WHERE objoid = ? AND objsubid = ?', (oid, sub))
        if node.comment or oid == C.PUBLIC_OID:  # NULL or '' removes the comment, as in PostgreSQL
            # (public's: a row without text, so initdb's comment does not come back)
            self.conn.execute('INSERT INTO "pgsvc$description" VALUES (?, ?, ?)',
                              (oid, sub, node.comment or None))
        self.refresh()

    def comment_shared(self, node: ast.CommentStmt, database: bool) -> None:
        """COMMENT ON DATABASE / ROLE: pg_shdescription in the shared catalog."""
        sc = shared(self.engine)
        name = node.object.sval
        me = sc.me()
        if database:
            db = sc.cat.find_database(name)
            if db is None:  # a warning, not an error (as PostgreSQL, for restoring dumps)
                self.engine.session.notice(SqlNotice(f'database "{name}" does not exist', severity="WARNING",
                                                             sqlstate="3D000"))
                return
            if not me.superuser and not sc.is_member_of(db.owner):
                raise SqlError("42501", f"must be owner of database {name}")
            oid, classoid = db.oid, 1262
        else:
            role = sc.role(name)
            if role.superuser and not me.superuser:
                raise SqlError("42501", "must be superuser")
            if not sc.has_createrole():
                raise SqlError("42501", "must have CREATEROLE privilege")
            oid, classoid = role.oid, 1260
        sc.write(lambda: sc.cat.set_shared_description(oid, classoid, node.comment or None))

    def comment_relation(self, names: list[str], kind: str | None) -> C.Relation:
        rel = self.find(names)
        if rel is None:
            raise SqlError("42P01", f'relation "{".".join(names)}" does not exist')
        if kind is not None and rel.kind != kind:
            raise SqlError("42809", f'"{rel.name}" is not {"an" if kind == "i" else "a"} {_KIND_WORD[kind]}')
        return rel


def index_option(e: ast.IndexElem) -> int:
    """pg_index.indoption of a key: 1 DESC, 2 NULLS FIRST (the default with DESC)."""
    desc = e.ordering == enums.SortByDir.SORTBY_DESC
    nulls = e.nulls_ordering
    first = desc if nulls == enums.SortByNulls.SORTBY_NULLS_DEFAULT else nulls == enums.SortByNulls.SORTBY_NULLS_FIRST
    return int(desc) | (2 if first else 0)
