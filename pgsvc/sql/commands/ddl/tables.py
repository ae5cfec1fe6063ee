"""CREATE TABLE (and CREATE TABLE AS / SELECT INTO, INHERITS, serial and identity
columns), table constraints, and the rebuild of a table's SQLite definition from the
catalog for the ALTERs SQLite cannot do in place.

Each command updates pgsvc's catalog (pgsvc.sql.catalog.database) and the SQLite schema in
the same transaction; the SQLite definition comes from the catalog
(pgsvc.sql.commands.ddl.sqlite_schema).
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog import deferrable
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.commands.ddl.fk_keys import check_foreign_key
from pgsvc.sql.commands.ddl.node_text import default_source, option_value, source_text
from pgsvc.sql.commands.ddl.rebuild_guard import refuse_if_referenced
from pgsvc.sql.commands.ddl.table_like import expand_like, finish_like
from pgsvc.sql.commands.ddl.schema_rewrite import check_new_key, rewrite_definition
from pgsvc.sql.commands.ddl.sqlite_schema import check_sql, table_sql
from pgsvc.sql.quoting import quote_ident, quote_sqlite_ident
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.typenames import type_from_typename, typename_with_domain
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes
from pgsvc.sql.types.storage import collation_for

_SERIALS = {"serial": O.INT4, "serial4": O.INT4, "bigserial": O.INT8, "serial8": O.INT8,
            "smallserial": O.INT2, "serial2": O.INT2}
# a column's COLLATE clause as pg_attribute.attcollation records it ("default" is the type's own)
_COLLATIONS = {"C": 950, "POSIX": 951}


class TableDdl:
    """CREATE TABLE, constraints and rebuilds: methods of pgsvc.sql.commands.ddl.Ddl."""

    # --- CREATE TABLE -------------------------------------------------------------

    def create_table(self, node: ast.CreateStmt, text: str | None = None) -> None:
        self.stmt_text = text  # error positions inside a partition bound (ddl.partitions)
        rv = node.relation
        if node.ofTypename:
            raise SqlError("0A000", "typed tables are not supported")
        if node.partspec and node.inhRelations and not node.partbound:
            raise SqlError("42809", "cannot create partitioned table as inheritance child")
        _check_on_commit(node.oncommit)
        schema = self.schema_of(rv)
        if C.relation_name_taken(self.cat, schema, rv.relname):
            if node.if_not_exists:
                self.notice(f'relation "{rv.relname}" already exists, skipping')
                return
            raise SqlError("42P07", f'relation "{rv.relname}" already exists')
        check_no_type_named(schema, rv.relname)
        options = {d.defname: option_value(d.arg) for d in node.options or ()}
        if rv.relpersistence == "u":  # pg_class.relpersistence (no WAL to skip here: recorded only)
            options["persistence"] = "u"
        part_parent = self.partition_parent(node.inhRelations[0], schema) if node.partbound else None
        parents = [part_parent] if part_parent else self.inherited_parents(node.inhRelations or ())
        if parents:
            options["inherits"] = [p.oid for p in parents]
        if part_parent:  # (pgsvc.sql.commands.ddl.partitions)
            options["partbound"] = self.partition_bound(part_parent, node.partbound, rv.relname)
        relid = C.insert_relation(self.conn, self.cat, schema, rv.relname, "r", options, owner=self.creator())
        attrs, cons = self.inherited_columns(parents, quiet=part_parent is not None), []
        n_inherited = len(attrs)  # (a column written twice is 42701, only an inherited one merges)
        collations: dict[str, int] = {}  # attnum -> pg_collation OID of a COLLATE clause
        elts, like_pending = expand_like(self, node.tableElts)  # LIKE clauses (ddl.table_like)
        for elt in elts:
            if isinstance(elt, ast.ColumnDef) and part_parent:
                self.partition_column(attrs, elt, cons)
            elif isinstance(elt, ast.ColumnDef):
                merged = next((a for a in attrs[:n_inherited] if a.name == elt.colname), None)
                if merged is not None:
                    self.merge_column(merged, elt)
                    continue
                attrs.append(self.column_def(elt, relid, len(attrs) + 1, schema, rv.relname, cons))
                coll = _COLLATIONS.get(elt.collClause.collname[-1].sval) if elt.collClause else None
                if coll is not None:
                    collations[str(len(attrs))] = coll
            elif isinstance(elt, ast.Constraint):
                cons.append((None, elt))
            else:
                raise SqlError("0A000", f"{type(elt).__name__} in CREATE TABLE is not supported")
        if collations:  # pg_attribute.attcollation (every one compares bytes, as "C")
            C.set_relation_option(self.conn, relid, "collations", collations)
        check_nested_generated(elts, attrs)
        rel = self.store_new_table(relid, attrs)
        if node.partspec:
            C.set_relation_option(self.conn, relid, "partkey", self.partition_key(rel, node.partspec))
            self.refresh()
            rel = self.cat.by_oid[relid]
        for col, con in cons:
            self.add_constraint(rel, con, col, creating=True)
            rel = self.cat.by_oid[relid]
        if part_parent:
            self.partition_created(rel, part_parent)
            rel = self.cat.by_oid[relid]
        if like_pending:  # the LIKE sources' indexes and comments (ddl.table_like)
            finish_like(self, rel, like_pending)
            rel = self.cat.by_oid[relid]
        self.rebuild_if_needed(rel, force=False)

    def store_new_table(self, relid: int, attrs: list):
        """Record a new relation's columns in the catalog and create its SQLite table."""
        names = [a.name for a in attrs]
        for n in names:
            if names.count(n) > 1:
                raise SqlError("42701", f'column "{n}" specified more than once')
        for a in attrs:
            C.insert_attr(self.conn, relid, a)
        self.refresh()
        rel = self.cat.by_oid[relid]
        self.conn.execute(table_sql(rel, self.engine))
        return rel

    def create_table_as(self, into, query, if_not_exists) -> int | None:
        rv = into.rel
        _check_on_commit(into.onCommit)
        schema = self.schema_of(rv)
        if C.relation_name_taken(self.cat, schema, rv.relname):
            if if_not_exists:
                self.notice(f'relation "{rv.relname}" already exists, skipping')
                return None
            raise SqlError("42P07", f'relation "{rv.relname}" already exists')
        check_no_type_named(schema, rv.relname)
        tr = Translator(self.engine, self.cat, [])
        q = tr.select(query)
        authz(self.engine).check_statement(tr.privs_needed)  # the query reads as the creator
        names = [c.sval for c in into.colNames or ()]
        if len(names) > len(q.columns):
            raise SqlError("42601", "too many column names were specified")
        options = {d.defname: option_value(d.arg) for d in into.options or ()}
        if rv.relpersistence == "u":
            options["persistence"] = "u"
        relid = C.insert_relation(self.conn, self.cat, schema, rv.relname, "r", options, owner=self.creator())
        attrs = []
        for i, c in enumerate(q.columns):
            oid = c.oid if c.oid != O.UNKNOWN else O.TEXT
            attrs.append(C.Attr(i + 1, names[i] if i < len(names) else c.name, oid, c.typmod))
        rel = self.store_new_table(relid, attrs)
        cols = ", ".join(quote_sqlite_ident(a.name) for a in attrs)
        sel = ", ".join(f"c{i}" for i in range(len(attrs)))
        if into.skipData:
            return 0
        cur = self.conn.execute(f"INSERT INTO {quote_sqlite_ident(rel.sqlite_name)} ({cols}) SELECT {sel} FROM ({q.sql})")
        return cur.rowcount

    def column_def(self, cd: ast.ColumnDef, relid, attnum, schema, table, cons) -> C.Attr:
        tn = cd.typeName
        tname = tn.names[-1].sval if tn.names else ""
        default, domain = None, 0
        if tname in _SERIALS and len(tn.names) == 1:
            oid, typmod = _SERIALS[tname], -1
            seq = self.create_owned_sequence(schema, table, cd.colname, oid, relid, attnum)
            default = f"nextval('{seq}'::regclass)"
            notnull = True
        else:
            oid, typmod, domain = typename_with_domain(tn)
            notnull = bool(cd.is_not_null)
        identity = generated = ""
        seen: set[str] = set()
        last = None  # the constraint a DEFERRABLE ... node applies to
        for con in cd.constraints or ():
            ct = con.contype
            if ct not in _ATTRS:
                last = con
                seen.clear()
            if ct == enums.ConstrType.CONSTR_NOTNULL:
                notnull = True
            elif ct == enums.ConstrType.CONSTR_NULL:
                notnull = False
            elif ct == enums.ConstrType.CONSTR_DEFAULT:
                if generated:
                    _both("default", cd, table, con)
                default = default_source(con.raw_expr, domain)
            elif ct == enums.ConstrType.CONSTR_IDENTITY:
                if generated:
                    _both("identity", cd, table, con)
                identity = "a" if con.generated_when == "a" else "d"
                # the sequence options in GENERATED ... AS IDENTITY (START WITH 10 ...)
                seq = self.create_owned_sequence(schema, table, cd.colname, oid, relid, attnum,
                                                 con.options or ())
                default = f"nextval('{seq}'::regclass)"
                notnull = True
            elif ct == enums.ConstrType.CONSTR_GENERATED:
                generated = generation_expr(con, cd, table, default, identity)
            elif ct == enums.ConstrType.CONSTR_PRIMARY:
                notnull = True
                cons.append((cd.colname, con))
            elif ct in (enums.ConstrType.CONSTR_UNIQUE, enums.ConstrType.CONSTR_CHECK,
                        enums.ConstrType.CONSTR_FOREIGN):
                cons.append((cd.colname, con))
            elif ct in _ATTRS:  # DEFERRABLE ... after a column constraint: a node of its own
                constraint_attr(con, last, seen)
        if cd.collClause is not None:
            coll = cd.collClause.collname[-1].sval
            if coll not in ("C", "POSIX", "default"):
                raise SqlError("0A000", f'collation "{coll}" is not supported')
        if generated:
            return C.Attr(attnum, cd.colname, oid, typmod, notnull, generated, "", domain, "s")
        return C.Attr(attnum, cd.colname, oid, typmod, notnull, default, identity, domain)

    # --- inheritance (CREATE TABLE ... INHERITS) ---------------------------------------

    def inherited_parents(self, rvs) -> list:
        tr = Translator(self.engine, self.cat, [])
        parents = []
        for rv in rvs:
            p = tr.relation(rv)
            if p.kind != "r":
                raise SqlError("42809", f'inherited relation "{p.name}" is not a table')
            if P.partkey(p) is not None:
                raise SqlError("42809", f'cannot inherit from partitioned table "{p.name}"')
            if P.bound(p) is not None:
                raise SqlError("42809", f'cannot inherit from partition "{p.name}"')
            authz(self.engine).check_owner(p)
            parents.append(p)
        return parents

    def inherited_columns(self, parents, quiet=False) -> list:
        """The parents' columns first, merged by name (PostgreSQL's MergeAttributes); a
        partition's (quiet) are its parent's, identity and all."""
        attrs: list[C.Attr] = []
        for p in parents:
            for a in p.attrs:
                same = next((x for x in attrs if x.name == a.name), None)
                if quiet:
                    attrs.append(C.Attr(len(attrs) + 1, a.name, a.type_oid, a.typmod, a.notnull, a.default,
                                        generated=a.generated, domain_oid=a.domain_oid))
                    continue
                if same is not None:
                    self.notice(f'merging multiple inherited definitions of column "{a.name}"')
                    if same.type_oid != a.type_oid:
                        raise SqlError("42804", f'inherited column "{a.name}" has a type conflict')
                    same.notnull = same.notnull or a.notnull
                    continue
                attrs.append(C.Attr(len(attrs) + 1, a.name, a.type_oid, a.typmod, a.notnull, a.default,
                                    generated=a.generated))
        return attrs

    def merge_column(self, inherited: C.Attr, cd: ast.ColumnDef) -> None:
        self.notice(f'merging column "{cd.colname}" with inherited definition')
        oid, _ = type_from_typename(cd.typeName)
        if oid != inherited.type_oid:
            raise SqlError("42804", f'column "{cd.colname}" has a type conflict')
        if cd.is_not_null:
            inherited.notnull = True

    def create_owned_sequence(self, schema, table, col, typ, relid, attnum, options=()) -> str:
        named = [d for d in options if d.defname == "sequence_name"]
        if named:
            # GENERATED ... AS IDENTITY (SEQUENCE NAME s.name ...), as pg_dump writes it: the
            # name is used as given, never made unique
            parts = [p.sval for p in named[-1].arg]
            schema, name = (parts[-2] if len(parts) > 1 else schema), parts[-1]
            if C.relation_name_taken(self.cat, schema, name):
                raise SqlError("42P07", f'relation "{name}" already exists')
            options = [d for d in options if d.defname != "sequence_name"]
        else:
            name = self.unique_rel_name(schema, f"{table}_{col}_seq")
        table = self.cat.by_oid.get(relid)  # ALTER TABLE ADD serial: the table's owner
        opts = self.sequence_options(options, typ)
        # a sequence owned by an unlogged table is unlogged too, as in PostgreSQL 15
        unlogged = self.conn.execute('SELECT json_extract(options, \'$.persistence\') FROM "pgsvc$class" '
                                     'WHERE oid = ?', (relid,)).fetchone()
        seq_oid = C.insert_relation(self.conn, self.cat, schema, name, "S",
                                    {"persistence": "u"} if unlogged and unlogged[0] == "u" else None,
                                    owner=table.owner if table is not None else self.creator())
        C.insert_sequence(self.conn, seq_oid, opts["typ"], opts["start"], opts["inc"], opts["min"], opts["max"],
                          opts["cycle"], relid, attnum)
        self.cat.relations[(schema, name)] = C.Relation(seq_oid, schema, name, "S", "")
        # the text of a regclass literal: each name quoted as regclassin reads it back
        text = quote_ident(name) if schema == "public" else f"{quote_ident(schema)}.{quote_ident(name)}"
        return text.replace("'", "''")

    def unique_rel_name(self, schema: str, base: str) -> str:
        base = base[:63]
        name, n = base, 0
        taken = {r.name for r in self.cat.relations.values() if r.schema == schema}
        taken |= {k[1] for k in self.cat.constraint_names if k[0] == schema}
        while name in taken:
            n += 1
            name = f"{base[:63 - len(str(n))]}{n}"
        return name

    # --- constraints ------------------------------------------------------------------

    def add_constraint(self, rel: C.Relation, con: ast.Constraint, col: str | None, creating=False) -> None:
        ct = enums.ConstrType
        if (con.deferrable or con.initdeferred) and con.contype != ct.CONSTR_FOREIGN:
            # SQLite checks a UNIQUE index row by row; only foreign keys can wait (catalog.deferrable)
            raise SqlError("0A000", "deferrable unique and primary key constraints are not supported")
        if con.contype == ct.CONSTR_UNIQUE and con.nulls_not_distinct:  # (a wrong answer otherwise)
            raise SqlError("0A000", "unique constraints with NULLS NOT DISTINCT are not supported")
        if con.contype in (ct.CONSTR_PRIMARY, ct.CONSTR_UNIQUE):
            keys = [col] if col else [k.sval for k in con.keys]
            primary = con.contype == ct.CONSTR_PRIMARY
            self.check_unique_covers_key(rel, keys, primary)
            if primary and any(c.contype == "p" for c in rel.constraints):
                raise SqlError("42P16", f'multiple primary keys for table "{rel.name}" are not allowed')
            attnums = [self.attnum(rel, k) for k in keys]
            suffix = "pkey" if primary else "_".join(keys) + "_key"
            name = con.conname or self.unique_rel_name(rel.schema, f"{rel.name}_{suffix}")
            made_notnull = False
            if primary:
                for a in (rel.attr_by_num(n) for n in attnums):
                    if not a.notnull:
                        self.check_no_nulls(rel, a)
                        a.notnull = True
                        made_notnull = True
                        C.update_attr(self.conn, rel.oid, a)
            ioid = C.insert_relation(self.conn, self.cat, rel.schema, name, "i")
            C.insert_index(self.conn, ioid, rel.oid, True, primary, attnums)
            C.insert_constraint(self.conn, C.Constraint(C.new_oid(self.conn), name, "p" if primary else "u",
                                                        rel.oid, attnums, index_oid=ioid))
            self.refresh()
            self.create_sqlite_index(self.cat.by_oid[rel.oid], self.cat.by_oid[ioid].sqlite_name, True,
                                     [rel.attr_by_num(n).name for n in attnums], name)
            # SQLite enforces NOT NULL only in the table definition: rebuild only if it changed
            # (also in CREATE TABLE: a table-level PRIMARY KEY (a, b) comes after the columns)
            if made_notnull:
                self.redefine(self.cat.by_oid[rel.oid])
            self.propagate_constraint(rel, name)  # a partitioned table's: on its partitions too
            return
        if con.contype == ct.CONSTR_CHECK:
            expr = source_text(con.raw_expr)
            only = _only_column(con.raw_expr, rel) or ""
            name = con.conname or self.unique_rel_name(rel.schema, f"{rel.name}_{only}_check".replace("__", "_"))
            con_oid = C.new_oid(self.conn)
            C.insert_constraint(self.conn, C.Constraint(con_oid, name, "c", rel.oid, [], expr))
            if con.skip_validation and not creating:  # NOT VALID: the rows there are not checked
                self.mark_not_valid(rel, con_oid)
            elif not_valid_oids(rel):  # the rebuild skips CHECKs: check this one's rows here
                self.refresh()
                self.check_rows(self.cat.by_oid[rel.oid], con_oid)
            self.refresh()
            self.rebuild(self.cat.by_oid[rel.oid])
            self.propagate_constraint(rel, name)
            return
        if con.contype == ct.CONSTR_FOREIGN:
            self.add_foreign_key(rel, con, col, creating)
            return
        raise SqlError("0A000", "this kind of constraint is not supported")

    def add_foreign_key(self, rel: C.Relation, con: ast.Constraint, col: str | None, creating=False) -> None:
        tr = Translator(self.engine, self.cat, [])
        parent = tr.relation(con.pktable)
        authz(self.engine).check_statement([("r", parent.oid, "x", 0, False)])  # REFERENCES
        _check_persistence(rel, parent)
        fk_cols = [col] if col else [k.sval for k in con.fk_attrs]
        if con.fk_matchtype == "f":
            # MATCH FULL rejects partly-NULL keys that SIMPLE lets through; the catalog has
            # no place for it and the check would silently be SIMPLE's
            raise SqlError("0A000", "MATCH FULL foreign keys are not supported")
        if con.fk_matchtype == "p":
            raise SqlError("0A000", "MATCH PARTIAL not yet implemented")
        name = con.conname or self.unique_rel_name(rel.schema, f"{rel.name}_{'_'.join(fk_cols)}_fkey")
        pk_cols = check_foreign_key(rel, parent, name, fk_cols, [k.sval for k in con.pk_attrs] if con.pk_attrs
                                    else None)  # (ddl.fk_keys: PostgreSQL's checks of the columns)
        if P.partkey(parent) is not None:  # SQLite's key would read the parent's own (empty) table
            raise SqlError("0A000", "foreign keys referencing partitioned tables are not supported")
        fk = C.Constraint(C.new_oid(self.conn), name, "f", rel.oid, [self.attnum(rel, c) for c in fk_cols], None,
                          parent.oid, [self.attnum(parent, c) for c in pk_cols], con.fk_upd_action or "a",
                          con.fk_del_action or "a")
        C.insert_constraint(self.conn, fk)
        if con.deferrable or con.initdeferred:
            deferrable.mark(self.conn, rel.oid, fk.oid, bool(con.initdeferred))
        not_valid = con.skip_validation and not creating
        if not_valid:
            # NOT VALID (the rows are checked all the same: SQLite checks a foreign key as
            # the rebuild copies them)
            self.mark_not_valid(rel, fk.oid)
        self.refresh()
        try:
            new = self.cat.by_oid[rel.oid]
            if not creating and rewrite_definition(self.conn, self.engine, new):
                # in place: no copy checked the rows, PostgreSQL's check of them (23503)
                check_new_key(self.engine, new, fk.oid)
            else:
                self.rebuild(new)
            if con.initdeferred and not creating:  # SQLite left the rows unchecked: PostgreSQL checks them
                new = self.cat.by_oid[rel.oid]
                self.engine.check_fks([(new, next(c for c in new.constraints if c.oid == fk.oid))], True)
        except SqlError as err:
            if not_valid and err.sqlstate == "23503":
                raise SqlError("0A000", "NOT VALID foreign keys over rows that violate them are not supported",
                               detail=f'Some row of table "{rel.name}" has no match in table "{parent.name}".') \
                    from None
            raise
        self.propagate_constraint(rel, name)  # a partitioned table's key, on its partitions (ddl.partitions)

    def mark_not_valid(self, rel: C.Relation, con_oid: int) -> None:
        """pg_constraint.convalidated false until ALTER TABLE ... VALIDATE CONSTRAINT (the
        constraint OIDs in the table's options)."""
        C.set_relation_option(self.conn, rel.oid, "not_valid", [*not_valid_oids(rel), con_oid])

    def check_rows(self, rel: C.Relation, con_oid: int) -> None:
        """The rows of rel against its CHECK constraint con_oid (23514 as PostgreSQL's
        validateCheckConstraint)."""
        con = next(c for c in rel.constraints if c.oid == con_oid)
        bad = self.conn.execute(f"SELECT 1 FROM {quote_sqlite_ident(rel.sqlite_name)} "
                                f"WHERE NOT ({check_sql(rel, con.expr, self.engine)}) LIMIT 1").fetchone()
        if bad:
            raise SqlError("23514", f'check constraint "{con.name}" of relation "{rel.name}" is violated by some row',
                           constraint=con.name, table=rel.name, schema=rel.schema)

    def attnum(self, rel: C.Relation, name: str) -> int:
        a = rel.attr(name)
        if a is None:
            raise SqlError("42703", f'column "{name}" named in key does not exist')
        return a.attnum

    def check_no_nulls(self, rel: C.Relation, a: C.Attr) -> None:
        row = self.conn.execute(f"SELECT 1 FROM {quote_sqlite_ident(rel.sqlite_name)} WHERE {quote_sqlite_ident(a.name)} "
                                "IS NULL LIMIT 1").fetchone()
        if row is not None:
            raise SqlError("23502", f'column "{a.name}" of relation "{rel.name}" contains null values')

    def create_sqlite_index(self, rel, sqlite_name, unique, cols, display_name) -> None:
        parts = []
        for c in cols:
            a = rel.attr(c)
            coll = collation_for(a.type_oid) if a else None
            parts.append(quote_sqlite_ident(c) + (f" COLLATE {coll}" if coll else ""))
        try:
            self.conn.execute(f"CREATE {'UNIQUE ' if unique else ''}INDEX {quote_sqlite_ident(sqlite_name)} ON "
                              f"{quote_sqlite_ident(rel.sqlite_name)} ({', '.join(parts)})")
        except Exception as e:
            if "UNIQUE constraint failed" in str(e):
                raise SqlError("23505", f'could not create unique index "{display_name}"',
                               detail="Key is duplicated.") from None
            raise

    # --- rebuild --------------------------------------------------------------------

    def rebuild_if_needed(self, rel: C.Relation, force: bool) -> None:
        if force:
            self.rebuild(rel)

    def redefine(self, rel: C.Relation) -> None:
        """A NOT NULL added or dropped (the rows checked by the caller): in place when SQLite
        allows it (ddl.schema_rewrite, the referencing rows untouched), else a rebuild."""
        if not rewrite_definition(self.conn, self.engine, rel):
            self.rebuild(rel)

    def rebuild(self, rel: C.Relation) -> None:
        """Recreate the SQLite table from the catalog (for ALTERs SQLite cannot do in place)."""
        tmp = rel.sqlite_name + "$new"
        sql = table_sql(rel, self.engine, name=tmp)
        cols = ", ".join(quote_sqlite_ident(a.name) for a in rel.attrs if not a.generated)
        if not rel.attrs:  # no column left: the rows stay (PostgreSQL keeps zero-column rows)
            cols, values = '"pgsvc$nocols"', "NULL"
        else:
            values = cols
        self.conn.execute(sql)
        # a NOT VALID CHECK leaves rows that fail it: the copy checks none (a new valid
        # CHECK had its rows checked by check_rows)
        skip_checks = any(c.contype == "c" for c in rel.constraints if c.oid in not_valid_oids(rel))
        try:
            if skip_checks:
                self.conn.execute("PRAGMA ignore_check_constraints = ON")
            self.conn.execute(f"INSERT INTO {quote_sqlite_ident(tmp)} ({cols}) SELECT {values} FROM "
                              f"{quote_sqlite_ident(rel.sqlite_name)}")
        except Exception as e:
            err = map_error(e, self.engine)
            if err.sqlstate == "23514":
                err.message = f'check constraint "{err.constraint}" of relation "{rel.name}" is violated by some row'
                err.detail = None
            raise err from None
        finally:
            if skip_checks:
                self.conn.execute("PRAGMA ignore_check_constraints = OFF")
        refuse_if_referenced(self.conn, rel, tmp)  # the DROP below would run the FK actions
        self.conn.execute(f"DROP TABLE {quote_sqlite_ident(rel.sqlite_name)}")
        self.conn.execute(f"ALTER TABLE {quote_sqlite_ident(tmp)} RENAME TO {quote_sqlite_ident(rel.sqlite_name)}")
        for ix in rel.indexes:
            self.recreate_index(rel, ix)


def generation_expr(con: ast.Constraint, cd: ast.ColumnDef, table: str, default, identity) -> str:
    """A column's GENERATED ALWAYS AS (expr) STORED: its PostgreSQL source text (pg_attrdef)."""
    if default is not None and not identity:
        _both("default", cd, table, con)
    if identity:
        _both("identity", cd, table, con)
    return source_text(con.raw_expr)


def _both(what: str, cd: ast.ColumnDef, table: str, con) -> None:
    raise SqlError("42601", f'both {what} and generation expression specified for column "{cd.colname}" '
                   f'of table "{table}"', position=location(con))


def check_nested_generated(elts, attrs: list) -> None:
    """A generation expression may not read another generated column (42P17, as heap.c)."""
    generated = {a.name for a in attrs if a.generated}
    cons = [con for elt in elts if isinstance(elt, ast.ColumnDef) for con in elt.constraints or ()]
    for con in cons:
        if con.contype == enums.ConstrType.CONSTR_GENERATED:
            for ref in column_refs(con.raw_expr):
                name = ref.fields[-1].sval if isinstance(ref.fields[-1], ast.String) else None
                if name in _SYSTEM_COLUMNS:
                    raise SqlError("42P10", f'cannot use system column "{name}" in column generation expression',
                                   position=location(ref))
                if name in generated:
                    raise SqlError("42P17", f'cannot use generated column "{name}" in column generation expression',
                                   detail="A generated column cannot reference another generated column.",
                                   position=location(ref))


_SYSTEM_COLUMNS = {"ctid", "xmin", "xmax", "cmin", "cmax"}  # tableoid is allowed (PostgreSQL 15)


def column_refs(node):
    if isinstance(node, ast.ColumnRef):
        yield node
    elif isinstance(node, ast.Node):
        for k in node.__slots__:
            yield from column_refs(getattr(node, k))
    elif isinstance(node, (list, tuple)):
        for x in node:
            yield from column_refs(x)


_CT = enums.ConstrType
_ATTRS = {_CT.CONSTR_ATTR_DEFERRABLE: ("DEFERRABLE", "d", True), _CT.CONSTR_ATTR_NOT_DEFERRABLE: ("NOT DEFERRABLE", "d", False),
          _CT.CONSTR_ATTR_DEFERRED: ("INITIALLY DEFERRED", "i", True),
          _CT.CONSTR_ATTR_IMMEDIATE: ("INITIALLY IMMEDIATE", "i", False)}


def constraint_attr(attr: ast.Constraint, last: ast.Constraint | None, seen: set[str]) -> None:
    """A column constraint's [NOT] DEFERRABLE / INITIALLY ... applies to the constraint before
    it, with PostgreSQL's errors (transformConstraintAttrs)."""
    word, kind, on = _ATTRS[attr.contype]
    if last is None or last.contype not in (_CT.CONSTR_PRIMARY, _CT.CONSTR_UNIQUE, _CT.CONSTR_FOREIGN):
        raise SqlError("42601", f"misplaced {word} clause", position=location(attr))
    if kind in seen:
        raise SqlError("42601", "multiple DEFERRABLE/NOT DEFERRABLE clauses not allowed" if kind == "d"
                       else "multiple INITIALLY IMMEDIATE/DEFERRED clauses not allowed", position=location(attr))
    seen.add(kind)
    if kind == "d":
        last.deferrable = on
        if not on and last.initdeferred:
            raise SqlError("42601", "constraint declared INITIALLY DEFERRED must be DEFERRABLE",
                           position=location(attr))
    else:
        last.initdeferred = on
        if on and "d" not in seen:
            last.deferrable = True
        elif on and not last.deferrable:
            raise SqlError("42601", "constraint declared INITIALLY DEFERRED must be DEFERRABLE",
                           position=location(attr))


def _check_persistence(rel: C.Relation, parent: C.Relation) -> None:
    """A foreign key stays within temporary, or permanent (and unlogged) tables, with
    PostgreSQL's 42P16 (ATAddForeignKeyConstraint); SQLite could not reach across anyway."""
    def kind(r):
        return "t" if r.schema.startswith("pg_temp") else r.options.get("persistence") or "p"
    mine, theirs = kind(rel), kind(parent)
    if mine == "p" and theirs != "p":
        raise SqlError("42P16", "constraints on permanent tables may reference only permanent tables")
    if mine == "u" and theirs == "t":
        raise SqlError("42P16", "constraints on unlogged tables may reference only permanent or unlogged tables")
    if mine == "t" and theirs != "t":
        raise SqlError("42P16", "constraints on temporary tables may reference only temporary tables")


def not_valid_oids(rel: C.Relation) -> list[int]:
    """The OIDs of rel's constraints added NOT VALID and not validated since."""
    return [o for o in rel.options.get("not_valid") or () if any(c.oid == o for c in rel.constraints)]


def check_no_type_named(schema: str, name: str) -> None:
    """A table's row type takes its name in pg_type: a domain or enum of that name conflicts."""
    if usertypes.lookup(schema, name) is not None:
        raise SqlError("42710", f'type "{name}" already exists',
                       hint="A relation has an associated type of the same name, so you must use a name "
                            "that doesn't conflict with any existing type.")


def _check_on_commit(action) -> None:
    if action in (enums.OnCommitAction.ONCOMMIT_DELETE_ROWS, enums.OnCommitAction.ONCOMMIT_DROP):
        raise SqlError("0A000", "ON COMMIT DELETE ROWS / DROP is not supported")


def _only_column(node, rel) -> str | None:
    """The column a CHECK expression reads when it reads exactly one, which names the
    constraint <table>_<column>_check; with none or several it is <table>_check
    (PostgreSQL's AddRelationNewConstraints, over the expression's distinct Vars)."""
    names = {r.fields[-1].sval for r in column_refs(node) if isinstance(r.fields[-1], ast.String)}
    read = [a.name for a in rel.attrs if a.name in names]
    return read[0] if len(read) == 1 else None
