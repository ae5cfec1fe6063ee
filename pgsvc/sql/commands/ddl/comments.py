"""COMMENT ON TABLE / VIEW / SEQUENCE / INDEX / COLUMN / CONSTRAINT / SCHEMA / TYPE / DOMAIN /
FUNCTION / TRIGGER (pgsvc$description) and ON DATABASE / ROLE (the shared catalog's pg_shdescription).
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.cluster.builtin_oids import PUBLIC_SCHEMA_OID
from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import KIND_WORD, authz
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.commands.ddl.base import OBJECT_RELKIND
from pgsvc.sql.commands.ddl.publications import check_pub_owner
from pgsvc.sql.commands.ddl.publications import find as find_publication


class CommentDdl:
    """COMMENT ON: methods of pgsvc.sql.commands.ddl.Ddl."""

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
        elif kind == t.OBJECT_DOMCONSTRAINT:
            oid = self.comment_domain_constraint(node.object[0], node.object[1].sval)
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
        elif kind in OBJECT_RELKIND:
            rel = self.comment_relation([n.sval for n in node.object], OBJECT_RELKIND[kind])
            authz(self.engine).check_owner(rel)
            oid = rel.oid
        elif kind in (t.OBJECT_DATABASE, t.OBJECT_ROLE):
            return self.comment_shared(node, kind == t.OBJECT_DATABASE)
        elif kind in (t.OBJECT_FUNCTION, t.OBJECT_PROCEDURE, t.OBJECT_ROUTINE, t.OBJECT_AGGREGATE):
            r = self.lookup_routine(node.object, kind)  # pgsvc.sql.commands.ddl.routines
            self.check_routine_owner(r)
            oid = r.oid
        elif kind == t.OBJECT_TRIGGER:
            oid = self.comment_trigger([n.sval for n in node.object])  # pgsvc.sql.commands.ddl.triggers
        elif kind == t.OBJECT_RULE:
            oid = self.comment_rule([n.sval for n in node.object])  # pgsvc.sql.commands.ddl.rules
        elif kind == t.OBJECT_PUBLICATION:
            pub = find_publication(self, node.object.sval)  # pgsvc.sql.commands.ddl.publications
            check_pub_owner(self, pub)
            oid = pub.oid
        else:
            raise SqlError("0A000", f"COMMENT ON {kind.name[7:].replace('_', ' ')} is not supported")
        C.delete_description(self.conn, oid, sub)
        if node.comment or oid == PUBLIC_SCHEMA_OID:  # NULL or '' removes the comment, as in PostgreSQL
            # (public's: a row without text, so initdb's comment does not come back)
            C.insert_description(self.conn, oid, sub, node.comment or None)
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
            raise SqlError("42809", f'"{rel.name}" is not {"an" if kind == "i" else "a"} {KIND_WORD[kind]}')
        return rel

    def comment_domain_constraint(self, tn: ast.TypeName, conname: str) -> int:
        """COMMENT ON CONSTRAINT c ON DOMAIN d: the OID of the domain's constraint (a type
        that is not a domain is 42809, named as written; a missing constraint 42704)."""
        names = [n.sval for n in tn.names]
        written = ".".join(names)
        try:
            ut = self.find_type(names)
        except SqlError as e:
            if e.sqlstate == "0A000":  # a built-in type
                raise SqlError("42809", f'"{written}" is not a domain') from None
            raise
        if ut.typtype != "d":
            raise SqlError("42809", f'"{written}" is not a domain')
        con = next((c for c in ut.checks if c.name == conname), None)
        if con is None:
            raise SqlError("42704", f'constraint "{conname}" for domain {ut.name} does not exist')
        self.check_owner_of(ut)
        return con.oid

    def comment_type(self, node: ast.CommentStmt) -> None:
        """COMMENT ON TYPE / DOMAIN (pgsvc$description; NULL or '' removes it)."""
        ut = self.find_type([n.sval for n in node.object.names])
        if node.objtype == enums.ObjectType.OBJECT_DOMAIN and ut.typtype != "d":
            raise SqlError("42809", f'"{ut.name}" is not a domain')
        self.check_owner_of(ut)
        C.delete_description(self.conn, ut.oid, 0)
        if node.comment:
            C.insert_description(self.conn, ut.oid, 0, node.comment)
        self.refresh()
