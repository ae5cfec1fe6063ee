"""CREATE [OR REPLACE] FUNCTION / PROCEDURE, DROP FUNCTION / PROCEDURE / ROUTINE, ALTER
FUNCTION / PROCEDURE / ROUTINE (attributes, RENAME TO, OWNER TO, SET SCHEMA): methods of
pgsvc.sql.commands.ddl.Ddl, writing catalog.routines' rows.

What a statement defines is read by commands.ddl.routine_defs; the body is checked by its
language's handler (catalog.routines' registry: `validate`) when check_function_bodies is
on, as PostgreSQL's validator functions do.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import acl as A
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import routines as CR
from pgsvc.sql.catalog.authz import authz, not_owner
from pgsvc.sql.catalog.user_aggregates import aggregate_of, delete_aggregate
from pgsvc.sql.commands.ddl import routine_defs as D
from pgsvc.sql.commands.ddl.ownership import check_may_give, new_owner_oid
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.routine_match import signature_text
from pgsvc.sql.types.pg_type import format_type
from pgsvc.sql.types.usertypes import row_type_oid

OT = enums.ObjectType
_WORD = {OT.OBJECT_FUNCTION: "function", OT.OBJECT_PROCEDURE: "procedure", OT.OBJECT_ROUTINE: "routine",
         OT.OBJECT_AGGREGATE: "aggregate"}


def kind_word(r: CR.Routine) -> str:
    return "procedure" if r.kind == "p" else "function"


class RoutineDdl:
    """Methods of pgsvc.sql.commands.ddl.Ddl for functions and procedures."""

    # --- CREATE ------------------------------------------------------------------------

    def create_routine(self, node: ast.CreateFunctionStmt, text: str = "") -> None:
        names = [n.sval for n in node.funcname]
        schema = self.routine_schema(names)
        name = names[-1]
        tr = Translator(self.engine, self.cat, [])
        r, default_nodes = D.new_routine(self.engine, node, tr, 0, schema, self.cat.schemas[schema], name,
                                         self.creator(), text)
        r.argdefaults = tuple(self.default_texts(r, default_nodes, tr))
        old = CR.find_exact(self.cat, schema, name, r.argtypes)
        if old is not None:
            if not node.replace:
                raise SqlError("42723", f'{kind_word(r)} "{name}" already exists with same argument types')
            self.check_replace(old, r)
            r.oid, r.owner, r.acl = old.oid, old.owner, old.acl
        else:
            r.oid = C.new_oid(self.conn)
        if r.kind == "w":
            raise SqlError("0A000", "window functions written in SQL are not supported")
        handler = CR.language_handler(r.lang)
        if old is not None:
            CR.replace_routine(self.conn, r)
        else:
            CR.insert_routine(self.conn, r)
            C.set_owner_acl(self.conn, r.oid, r.owner, None)
        self.refresh()
        if self.check_bodies():
            # after the row exists, as ProcedureCreate: a recursive body finds itself (a
            # failure rolls the statement back)
            session = self.engine.session
            send = session.notice

            def transposing(notice) -> None:  # a compilation WARNING's position, as an error's
                if notice.position:
                    offset = D.body_offset(r, text) if text else None
                    if offset is None:
                        notice.internal_position, notice.internal_query = notice.position, r.src
                        notice.position = None
                    else:
                        notice.position += offset
                send(notice)
            session.notice = transposing
            try:
                handler.validate(self.engine, self.cat.routines[r.oid])
            except SqlError as err:
                raise self.transposed(r, err, text) from None
            finally:
                session.notice = send

    def transposed(self, r: CR.Routine, err: SqlError, text: str) -> SqlError:
        """A body's error with its position in the CREATE statement's text, and without
        the function's CONTEXT line then (PostgreSQL's function_parse_error_transpose)."""
        pos = err.internal_position or err.position
        offset = D.body_offset(r, text) if pos and text else None
        if offset is None:
            if err.position:  # PostgreSQL's internal query and position then
                err.context = None
                return CR.body_error(r, err, "")
            return err
        err.position, err.internal_position, err.internal_query = offset + pos, None, None
        line = f'SQL function "{r.name}"'
        if err.context == line:
            err.context = None
        return err

    def routine_schema(self, names: list[str]) -> str:
        if len(names) > 2:
            raise SqlError("42601", f"improper qualified name (too many dotted names): {'.'.join(names)}")
        rv = ast.RangeVar(relname=names[-1], schemaname=names[0] if len(names) == 2 else None,
                          relpersistence="p", inh=True)
        if rv.schemaname == "pg_catalog":
            raise SqlError("42501", 'permission denied for schema pg_catalog')
        return self.schema_of(rv)

    def check_bodies(self) -> bool:
        try:
            return bool(self.engine.session.settings.get("check_function_bodies"))
        except SqlError:
            return True

    def default_texts(self, r: CR.Routine, nodes: list, tr) -> list[str]:
        """Each DEFAULT checked (its type coerces to the parameter's; no column, no
        aggregate) and kept as source text."""
        out = []
        in_types = list(r.argtypes)
        first = len(in_types) - len(nodes)
        for k, node in enumerate(nodes):
            t = in_types[first + k]
            try:
                ex = tr.expr(node)
            except SqlError as err:
                if err.sqlstate in ("42703", "42P01"):
                    raise SqlError("42P10", "cannot use table references in parameter default value",
                                   position=err.position) from None
                raise
            if ex.has_agg:
                raise SqlError("42803", "aggregate functions are not allowed in DEFAULT expressions")
            if not D.is_polymorphic(t):
                try:
                    tr.coerce(ex, t, context="a")
                except SqlError:
                    raise SqlError("42804", f"argument of function default value must be type "
                                   f"{format_type(t, None)}, not type {format_type(ex.oid, None)}") from None
            out.append(D.default_source(node))
        return out

    def check_replace(self, old: CR.Routine, new: CR.Routine) -> None:
        """What CREATE OR REPLACE may not change (PostgreSQL's ProcedureCreate)."""
        self.check_routine_owner(old)
        if old.kind != new.kind:
            raise SqlError("42809", "cannot change routine kind",  # (a window function: 0A000)
                           detail=f'"{old.name}" is ' + ("an aggregate function." if old.kind == "a"
                                                        else f"a {kind_word(old)}."))
        drop = f"DROP {'AGGREGATE' if old.kind == 'a' else kind_word(old).upper()} {signature_text(old)}"
        if old.rettype != new.rettype or old.retset != new.retset:
            raise SqlError("42P13", "cannot change return type of existing function",
                           hint=f"Use {drop} first.")
        if old.rettype == new.rettype == 2249 and old.output_columns() != new.output_columns():
            raise SqlError("42P13", "cannot change return type of existing function",
                           detail="Row type defined by OUT parameters is different.", hint=f"Use {drop} first.")
        for o, n in zip(old.input_names(), new.input_names()):
            if o and o != n:
                raise SqlError("42P13", f'cannot change name of input parameter "{o}"', hint=f"Use {drop} first.")
        if len(new.argdefaults) < len(old.argdefaults):
            raise SqlError("42P13", "cannot remove parameter defaults from existing function",
                           hint=f"Use {drop} first.")

    def check_routine_owner(self, r: CR.Routine) -> None:
        az = authz(self.engine)
        az.fresh()
        me = az.current_oid()
        if not az.is_superuser(me) and not az.has_privs_of(me, r.owner):
            raise not_owner(kind_word(r), r.name)

    # --- lookups (LookupFuncWithArgs) ------------------------------------------------------

    def lookup_routine(self, obj: ast.ObjectWithArgs, objtype, missing_ok: bool = False) -> CR.Routine | None:
        names = [n.sval for n in obj.objname]
        word = _WORD.get(objtype, "function")
        schema = names[0] if len(names) == 2 else None
        if schema == "pg_temp":  # the session's own temporary schema
            schema = self.engine.temp_schema
        if schema is not None and schema not in self.cat.schemas:
            if missing_ok:
                self.notice(f'schema "{schema}" does not exist, skipping')
                return None
            raise SqlError("3F000", f'schema "{schema}" does not exist')
        tr = Translator(self.engine, self.cat, [])
        argtypes = D.routine_arg_types(self.engine, obj, tr)
        cands = CR.visible(self.cat, names[-1], schema, self.engine.search_path())
        shown = ".".join(names)
        if argtypes is None:
            if objtype == OT.OBJECT_PROCEDURE:
                cands = [r for r in cands if r.kind == "p"]
            elif objtype == OT.OBJECT_FUNCTION:
                cands = [r for r in cands if r.kind != "p"]
            if not cands:
                if missing_ok:
                    self.notice(f"{word} {shown}() does not exist, skipping")
                    return None
                raise SqlError("42883", f'could not find a {word} named "{shown}"')
            if len(cands) > 1:
                raise SqlError("42725", f'{word} name "{shown}" is not unique',
                               hint=f"Specify the argument list to select the {word} unambiguously.")
            found = cands[0]
        else:
            found = next((r for r in cands if tuple(r.argtypes) == argtypes), None)
            if found is None:
                text = f"{shown}({', '.join(format_type(t, None) for t in argtypes)})"
                if missing_ok:  # PostgreSQL names the types as written here (TypeNameToString)
                    self.notice(f"{word} {shown}({D.typenames_text(obj)}) does not exist, skipping")
                    return None
                raise SqlError("42883", f"{word} {text} does not exist")
        if objtype == OT.OBJECT_FUNCTION and found.kind == "p":
            raise SqlError("42809", f"{signature_text(found)} is not a function")
        if objtype == OT.OBJECT_AGGREGATE and found.kind != "a":
            raise SqlError("42809", f"function {found.name}({', '.join(format_type(t, None) for t in found.argtypes)})"
                           " is not an aggregate")
        if objtype in (OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE) and found.kind == "a":
            raise SqlError("42809", f'"{found.name}" is an aggregate function',
                           hint="Use DROP AGGREGATE to drop aggregate functions.")
        if objtype == OT.OBJECT_PROCEDURE and found.kind != "p":
            raise SqlError("42809", f"{signature_text(found)} is not a procedure")
        return found

    # --- DROP ------------------------------------------------------------------------------

    def drop_routines(self, node: ast.DropStmt) -> None:
        cascade = node.behavior == enums.DropBehavior.DROP_CASCADE
        for obj in node.objects:
            r = self.lookup_routine(obj, node.removeType, node.missing_ok)
            if r is None:
                continue
            self.check_routine_owner(r)
            self.drop_routine(r, cascade)
        self.refresh()

    def drop_routine(self, r: CR.Routine, cascade: bool) -> None:
        deps = self.routine_dependents(r)
        if deps:
            sig = self.routine_description(r)
            if not cascade:
                raise SqlError("2BP01", f"cannot drop {sig} because other objects depend on it",
                               detail="\n".join(f"{what} depends on {sig}" for _, _, what in deps),
                               hint="Use DROP ... CASCADE to drop the dependent objects too.")
            self.report_cascade([what for _, _, what in deps])
            for kind, obj, _ in deps:
                if kind == "default":
                    rel, a = obj
                    C.set_column_default(self.conn, rel.oid, a.attnum, None)
                elif kind == "generated":
                    rel, a = obj
                    self.refresh()
                    self.drop_column(self.cat.by_oid[rel.oid], a.name, True)
                elif kind == "check":
                    rel, con = obj
                    self.refresh()
                    self.drop_constraint(self.cat.by_oid[rel.oid], con.name, True)
                elif kind == "index" and obj.oid in self.cat.by_oid:
                    self.drop_relation(self.cat.by_oid[obj.oid], True)
                elif kind == "view" and obj.oid in self.cat.by_oid:
                    self.drop_relation(self.cat.by_oid[obj.oid], True)
                elif kind == "trigger":
                    self.delete_trigger(obj)
                elif kind == "function":
                    CR.delete_routine(self.conn, obj.oid)
        CR.delete_routine(self.conn, r.oid)
        if r.kind == "a":
            delete_aggregate(self.conn, r.oid)

    # --- dependencies (what pg_depend records for functions) ------------------------------

    def calls_routine(self, text: str | None, r: CR.Routine, expr: bool = True, node=None) -> bool:
        """Does this stored expression (or view query, or parsed body) call r? (Found by
        name and argument count, where PostgreSQL has the dependency row.)"""
        if node is None:
            if not text or r.name not in text:
                return False
            try:
                node = CR.parse(f"SELECT {text}" if expr else text)
            except SqlError:
                return False
        path = self.engine.search_path()
        found = []

        def visit(n):
            if isinstance(n, ast.FuncCall):
                names = [x.sval for x in n.funcname]
                if names[-1] == r.name and len(n.args or ()) <= len(r.argtypes) and \
                        (names[0] == r.schema if len(names) == 2 else r.schema in path):
                    found.append(n)
            if isinstance(n, ast.Node):
                for attr in n:
                    visit(getattr(n, attr))
            elif isinstance(n, (list, tuple)):
                for x in n:
                    visit(x)
        visit(node)
        return bool(found)

    def routine_dependents(self, r: CR.Routine) -> list:
        """(kind, object, description): column defaults, CHECK constraints and views that
        call r, in PostgreSQL's report order."""
        out = []
        for rel in sorted(self.cat.by_oid.values(), key=lambda x: x.oid):
            if rel.kind == "r":
                for a in rel.attrs:
                    if self.calls_routine(a.default, r):  # a generated column goes with its expression
                        out.append(("generated", (rel, a), f"column {a.name} of table {rel.name}") if a.generated else
                                   ("default", (rel, a), f"default value for column {a.name} of table {rel.name}"))
                for con in rel.constraints:
                    if con.contype == "c" and self.calls_routine(con.expr, r):
                        out.append(("check", (rel, con), f"constraint {con.name} on table {rel.name}"))
                for ix in rel.indexes:  # an index's expressions and predicate
                    irel = self.cat.by_oid.get(ix.oid)
                    texts = [k for k in ix.keys if isinstance(k, str)] + [irel.options.get("indpred") if irel else None]
                    if any(t and self.calls_routine(t, r) for t in texts):
                        out.append(("index", ix, f"index {ix.name}"))
            elif rel.kind == "v" and self.calls_routine(rel.viewdef, r, expr=False):
                out.append(("view", rel, f"view {rel.name}"))
        for other in sorted(self.cat.routines.values(), key=lambda x: x.oid):
            if other.oid != r.oid and self.routine_calls(other, r):
                out.append(("function", other, self.routine_description(other)))
        for t, rel in self.triggers_calling(r):  # pgsvc.sql.commands.ddl.triggers
            out.append(("trigger", t, f"trigger {t.name} on {'view' if rel.kind == 'v' else 'table'} {rel.name}"))
        return out

    def routine_calls(self, other: CR.Routine, r: CR.Routine) -> bool:
        """Does other's SQL-standard body or an argument default call r (or is other an
        aggregate whose transition or final function r is)?"""
        if other.kind == "a":
            agg = aggregate_of(self.conn, other)
            return agg is not None and ((agg.transfn[1], len(other.argtypes) + 1) == (r.name, len(r.argtypes))
                                        or agg.finalfn is not None and (agg.finalfn[1], 1) == (r.name, len(r.argtypes)))
        if any(self.calls_routine(d, r) for d in other.argdefaults):
            return True
        if other.sqlbody is None or r.name not in other.sqlbody:
            return False
        try:
            return self.calls_routine(None, r, node=CR.body_statements(other))
        except SqlError:
            return False

    def routines_on_relation(self, rel) -> list:
        """Functions whose SQL-standard body (BEGIN ATOMIC / RETURN) or argument defaults
        read rel (or name a sequence: nextval('s')): they depend on it, as in PostgreSQL (a
        string body records no dependency)."""
        out = []
        for r in sorted(self.cat.routines.values(), key=lambda x: x.oid):
            if r.rowtype is not None and r.rettype == rel.oid or row_type_oid(rel.oid) in r.argtypes:
                out.append(("function", r, self.routine_description(r), f"type {rel.name}"))  # its row type
                continue
            texts = (r.sqlbody or "") + " ".join(r.argdefaults)
            if rel.name in texts and rel.oid in self.body_relations(r):
                out.append(("function", r, self.routine_description(r)))
        return out

    def body_relations(self, r: CR.Routine) -> set[int]:
        refs: set[int] = set()
        path = self.engine.search_path()

        def visit(n):
            if isinstance(n, ast.RangeVar):
                found = self.cat.lookup(n.schemaname, n.relname, path)
                if found is not None:
                    refs.add(found.oid)
            elif isinstance(n, ast.FuncCall) and n.funcname[-1].sval in ("nextval", "currval", "setval") \
                    and n.args:
                arg = n.args[0].arg if isinstance(n.args[0], ast.TypeCast) else n.args[0]
                if isinstance(arg, ast.A_Const) and isinstance(arg.val, ast.String):
                    parts = arg.val.sval.split(".")
                    found = self.cat.lookup(parts[0] if len(parts) == 2 else None, parts[-1], path)
                    if found is not None:
                        refs.add(found.oid)
            if isinstance(n, ast.Node):
                for attr in n:
                    visit(getattr(n, attr))
            elif isinstance(n, (list, tuple)):
                for x in n:
                    visit(x)
        try:
            if r.sqlbody is not None:
                visit(CR.body_statements(r))
            for d in r.argdefaults:
                visit(CR.parse(f"SELECT {d}"))
        except SqlError:
            pass
        return refs

    def routines_using_types(self, typids: tuple) -> list:
        """Functions whose arguments or result are of these types."""
        return [r for r in sorted(self.cat.routines.values(), key=lambda x: x.oid)
                if any(t in typids for t in (*r.all_types(), r.rettype))]

    def delete_routine(self, r: CR.Routine) -> None:
        CR.delete_routine(self.conn, r.oid)

    @staticmethod
    def is_routine(obj) -> bool:
        return isinstance(obj, CR.Routine)

    @staticmethod
    def routine_description(r: CR.Routine) -> str:
        """getObjectDescription (PostgreSQL 15 says "function" for procedures too)."""
        return f"function {signature_text(r)}"

    def drop_routines_of_schema(self, schema: str) -> list[str]:
        """DROP SCHEMA ... CASCADE: its routines go (their descriptions for the report)."""
        gone = []
        for r in [r for r in self.cat.routines.values() if r.schema == schema]:
            CR.delete_routine(self.conn, r.oid)
            gone.append(f"{kind_word(r)} {schema}.{signature_text(r)}")
        return gone

    # --- ALTER -----------------------------------------------------------------------------

    def alter_routine(self, node: ast.AlterFunctionStmt) -> None:
        r = self.lookup_routine(node.func, node.objtype)
        self.check_routine_owner(r)
        opts = D.read_options(self.engine, node.actions, r.kind == "p", alter=True)
        if opts.volatile is not None:
            r.volatile = opts.volatile
        if opts.strict is not None:
            r.strict = opts.strict
        if opts.secdef is not None:
            r.secdef = opts.secdef
        if opts.leakproof is not None:
            if opts.leakproof and not authz(self.engine).is_superuser():
                raise SqlError("42501", "only superuser can define a leakproof function")
            r.leakproof = opts.leakproof
        if opts.cost is not None:
            r.cost = opts.cost
        if opts.rows is not None:
            if not r.retset:
                raise SqlError("22023", "ROWS is not applicable when function does not return a set")
            r.rows = opts.rows
        if opts.parallel is not None:
            r.parallel = opts.parallel
        if opts.config:
            r.config = D.apply_config(r.config, opts.config)
        CR.replace_routine(self.conn, r)
        self.refresh()

    def rename_routine(self, node: ast.RenameStmt) -> None:
        r = self.lookup_routine(node.object, node.renameType)
        self.check_routine_owner(r)
        if CR.find_exact(self.cat, r.schema, node.newname, r.argtypes) is not None:
            args = ", ".join(format_type(t, None) for t in r.argtypes)
            raise SqlError("42723", f'{kind_word(r)} {node.newname}({args}) already exists in schema "{r.schema}"')
        authz(self.engine).check_create_in(r.schema)
        r.name = node.newname
        CR.replace_routine(self.conn, r)
        self.refresh()

    def alter_routine_owner(self, node: ast.AlterOwnerStmt) -> None:
        r = self.lookup_routine(node.object, node.objectType)
        new = new_owner_oid(self.engine, node.newowner)
        if new == r.owner:
            return
        check_may_give(self.engine, kind_word(r), r.name, r.owner, new)
        authz(self.engine).check_create_in(r.schema)
        from_acl = r.acl
        C.set_owner_acl(self.conn, r.oid, new, _changed_owner(from_acl, r.owner, new))
        self.refresh()

    def alter_routine_schema(self, node: ast.AlterObjectSchemaStmt) -> None:
        r = self.lookup_routine(node.object, node.objectType)
        self.check_routine_owner(r)
        target = node.newschema
        if target not in self.cat.schemas:
            raise SqlError("3F000", f'schema "{target}" does not exist')
        if target == r.schema:
            return
        authz(self.engine).check_create_in(target)
        if CR.find_exact(self.cat, target, r.name, r.argtypes) is not None:
            raise SqlError("42723", f'{kind_word(r)} {signature_text(r)} already exists in schema "{target}"')
        r.schema, r.nspoid = target, self.cat.schemas[target]
        CR.replace_routine(self.conn, r)
        self.refresh()


def _changed_owner(items, old: int, new: int):
    return A.change_owner(items, old, new) if items is not None else None
