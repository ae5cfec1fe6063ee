"""Row-level security's DDL: CREATE / ALTER / DROP POLICY, ALTER POLICY ... RENAME, and
ALTER TABLE ... ENABLE / DISABLE / FORCE / NO FORCE ROW LEVEL SECURITY, with PostgreSQL
15's checks and messages (commands/policy.c). The catalog is pgsvc.sql.catalog.policies;
the policies are applied by pgsvc.sql.translate.row_security.
"""

from __future__ import annotations

import pglast
import pglast.visitors
from pglast import ast, enums
from pglast.stream import RawStream

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import policies as POL
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl.ownership import new_owner_oid
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate import Translator

A = enums.AlterTableType
RS = enums.RoleSpecType
RLS_SUBTYPES = (A.AT_EnableRowSecurity, A.AT_DisableRowSecurity, A.AT_ForceRowSecurity, A.AT_NoForceRowSecurity)


class PolicyDdl:
    """Methods of pgsvc.sql.commands.ddl.Ddl."""

    def set_row_security(self, rel, subtype) -> None:
        if rel.kind != "r":
            word = {A.AT_EnableRowSecurity: "ENABLE ROW SECURITY", A.AT_DisableRowSecurity: "DISABLE ROW SECURITY",
                    A.AT_ForceRowSecurity: "FORCE ROW SECURITY", A.AT_NoForceRowSecurity: "NO FORCE ROW SECURITY"}
            kind = {"v": "views", "S": "sequences", "i": "indexes"}.get(rel.kind, "this relation")
            raise SqlError("42809", f'ALTER action {word[subtype]} cannot be performed on relation "{rel.name}"',
                           detail=f"This operation is not supported for {kind}.")
        if subtype in (A.AT_EnableRowSecurity, A.AT_DisableRowSecurity):
            POL.set_flag(self.conn, rel, "rls", subtype == A.AT_EnableRowSecurity)
        else:
            POL.set_flag(self.conn, rel, "rls_force", subtype == A.AT_ForceRowSecurity)
        self.refresh()

    def policy_table(self, rv, missing_ok: bool = False):
        rel = self.find([x for x in (rv.schemaname, rv.relname) if x])
        if rel is None:
            if missing_ok:
                self.notice(f'relation "{rv.relname}" does not exist, skipping')
                return None
            try:
                Translator(self.engine, self.cat, []).relation(rv)
            except SqlError as err:
                err.position = None  # (PostgreSQL's policy commands name no position)
                raise
        if rel.kind != "r":
            raise SqlError("42809", f'"{rel.name}" is not a table')
        authz(self.engine).check_owner(rel)
        return rel

    def policy_roles(self, specs) -> tuple[int, ...]:
        if not specs:
            return (0,)
        roles = []
        for s in specs:
            oid = 0 if s.roletype == RS.ROLESPEC_PUBLIC else new_owner_oid(self.engine, s)
            if oid not in roles:
                roles.append(oid)
        if 0 in roles and len(roles) > 1:
            self.engine.session.notice(SqlNotice("ignoring specified roles other than PUBLIC", severity="WARNING",
                                                 sqlstate="22023",
                                                 hint="All roles are members of the PUBLIC role."))
            return (0,)
        return tuple(roles)

    def policy_expr(self, rel, node) -> str | None:
        """The expression checked against the table (42703, 42804, aggregates ...), kept as
        its source text."""
        if node is None:
            return None
        _check_forbidden(node)
        tr = Translator(self.engine, self.cat, [])
        try:
            tr.rls_qual(rel, "", {a.name: quote_sqlite_ident(a.name) for a in rel.attrs}, node)
        except SqlError as err:
            err.position = None  # (parsed without the statement's text in PostgreSQL)
            if err.sqlstate == "0A000" and ("set-returning function" in err.message or
                                            "in the select list is not supported here" in err.message):
                raise SqlError("0A000", "set-returning functions are not allowed in policy expressions") from None
            raise
        return RawStream()(node)

    def create_policy(self, node) -> None:
        rel = self.policy_table(node.table)
        cmd = POL.CMD_CODE[node.cmd_name]
        if node.with_check is not None and cmd in ("r", "d"):
            raise SqlError("42601", "WITH CHECK cannot be applied to SELECT or DELETE")
        if node.qual is not None and cmd == "a":
            raise SqlError("42601", "only WITH CHECK expression allowed for INSERT")
        if POL.find(rel, node.policy_name) is not None:
            raise SqlError("42710", f'policy "{node.policy_name}" for table "{rel.name}" already exists')
        roles = self.policy_roles(node.roles)
        qual, check = self.policy_expr(rel, node.qual), self.policy_expr(rel, node.with_check)
        pol = POL.Policy(POL.new_oid(self.conn), node.policy_name, cmd, bool(node.permissive), roles, qual, check)
        POL.save(self.conn, rel, POL.policies(rel) + [pol])
        self.refresh()

    def existing_policy(self, rel, name: str):
        pol = POL.find(rel, name)
        if pol is None:
            raise SqlError("42704", f'policy "{name}" for table "{rel.name}" does not exist')
        return pol

    def alter_policy(self, node) -> None:
        rel = self.policy_table(node.table)
        pol = self.existing_policy(rel, node.policy_name)
        if node.with_check is not None and pol.cmd in ("r", "d"):
            raise SqlError("42601", "only USING expression allowed for SELECT, DELETE")
        if node.qual is not None and pol.cmd == "a":
            raise SqlError("42601", "only WITH CHECK expression allowed for INSERT")
        roles = self.policy_roles(node.roles) if node.roles else pol.roles
        qual = self.policy_expr(rel, node.qual) if node.qual is not None else pol.qual
        check = self.policy_expr(rel, node.with_check) if node.with_check is not None else pol.check
        new = POL.Policy(pol.oid, pol.name, pol.cmd, pol.permissive, roles, qual, check)
        self.replace_policy(rel, new)
        self.refresh()

    def replace_policy(self, rel, new) -> None:
        """An altered policy goes last, where PostgreSQL's updated pg_policy row is read
        (psql's \\d and \\dp list the policies in catalog order)."""
        POL.save(self.conn, rel, [p for p in POL.policies(rel) if p.oid != new.oid] + [new])

    def drop_column_policies(self, rel, cmd) -> None:
        """ALTER TABLE ... DROP COLUMN: the policies whose expressions read the column block
        it (2BP01), or go with CASCADE, as PostgreSQL's dependencies make them."""
        if rel.attr(cmd.name) is None:
            return
        hit = [p for p in POL.policies(rel) if any(_reads(t, cmd.name) for t in (p.qual, p.check) if t)]
        if not hit:
            return
        if cmd.behavior != enums.DropBehavior.DROP_CASCADE:
            raise SqlError("2BP01", f"cannot drop column {cmd.name} of table {rel.name} because other objects "
                           "depend on it", detail="\n".join(f"policy {p.name} on table {rel.name} depends on column "
                                                            f"{cmd.name} of table {rel.name}" for p in hit),
                           hint="Use DROP ... CASCADE to drop the dependent objects too.")
        lines = [f"drop cascades to policy {p.name} on table {rel.name}" for p in hit]
        if len(lines) == 1:
            self.notice(lines[0])
        else:
            self.engine.session.notice(SqlNotice(f"drop cascades to {len(lines)} other objects",
                                                 detail="\n".join(lines)))
        POL.save(self.conn, rel, [p for p in POL.policies(rel) if p not in hit])
        self.refresh()

    def rename_policy(self, node) -> None:
        rel = self.policy_table(node.relation)
        pol = self.existing_policy(rel, node.subname)
        if POL.find(rel, node.newname) is not None:
            raise SqlError("42710", f'policy "{node.newname}" for table "{rel.name}" already exists')
        new = POL.Policy(pol.oid, node.newname, pol.cmd, pol.permissive, pol.roles, pol.qual, pol.check)
        self.replace_policy(rel, new)
        self.refresh()

    def drop_policies(self, node) -> None:
        for obj in node.objects:
            names = [n.sval for n in obj]
            table, name = names[:-1], names[-1]
            rel = self.find_target_table(table, node.missing_ok)
            if rel is None:
                continue
            if POL.find(rel, name) is None:
                if node.missing_ok:
                    self.notice(f'policy "{name}" for relation "{rel.name}" does not exist, skipping')
                    continue
                raise SqlError("42704", f'policy "{name}" for table "{rel.name}" does not exist')
            authz(self.engine).check_owner(rel)
            POL.save(self.conn, rel, [p for p in POL.policies(rel) if p.name != name])
            self.refresh()


def _check_forbidden(node) -> None:
    """What PostgreSQL's parser refuses in a policy expression before looking further:
    window functions (42P20) and parameters (42P02)."""
    class Visitor(pglast.visitors.Visitor):
        def visit_FuncCall(self, ancestors, n):
            if n.over is not None:
                raise SqlError("42P20", "window functions are not allowed in policy expressions")

        def visit_ParamRef(self, ancestors, n):
            raise SqlError("42P02", f"there is no parameter ${n.number}")

    Visitor()(ast.SelectStmt(targetList=(ast.ResTarget(val=node),)))


def _reads(text: str, column: str) -> bool:
    """Whether a policy expression names the column (any ColumnRef ending in it)."""
    node = pglast.parse_sql(f"SELECT {text}")[0].stmt
    found = []

    class Visitor(pglast.visitors.Visitor):
        def visit_ColumnRef(self, ancestors, n):
            last = n.fields[-1]
            if isinstance(last, ast.String) and last.sval == column:
                found.append(n)

    Visitor()(node)
    return bool(found)


__all__ = ["PolicyDdl", "RLS_SUBTYPES"]
