"""Cluster-wide statements run by a backend: roles (CREATE/ALTER/DROP ROLE, GRANT/REVOKE
role, pgsvc.sql.commands.roles) and databases (CREATE/DROP/ALTER DATABASE, pgsvc.sql.commands.databases).

They change the shared catalog (DATADIR/global/catalog.db, pgsvc.cluster.global_catalog), not
the backend's own database file, so they run on a second SQLite connection that this
module keeps per engine (`shared(engine)`).

Transactions: outside a transaction block a statement commits the shared catalog at
once. Inside a block (or an implicit multi-statement transaction) the first such
statement opens a write transaction on the shared catalog that commits or rolls back
with the block (the engine calls `end_of_transaction`), so BEGIN; CREATE ROLE ...;
ROLLBACK leaves no role behind, as in PostgreSQL. The block's savepoints are mirrored on
the shared connection when a shared change is made under them (SAVEPOINT "sp<depth>"),
and ROLLBACK TO / RELEASE are passed on (utility's hooks `rolled_back_to`, `released`).
"""

from __future__ import annotations

import sqlite3

from pgsvc.cluster.global_catalog import GlobalCatalog, Role
from pgsvc.cluster.layout import Layout
from pgsvc.errors import SqlError
from pgsvc.sql.exec.runner import Result, Statement


class SharedCatalog:
    """One engine's connection to the shared catalog, and the identity of its user."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.cat = GlobalCatalog(Layout(engine.session.datadir))
        self.in_block_txn = False
        self.mirrored = 0  # how many of the block's savepoints exist on the shared connection
        self.role_oid: int | None = None
        # SET ROLE / SET SESSION AUTHORIZATION (pgsvc.sql.commands.setrole): the role checks run as,
        # None = the session user; `role_at_begin` restores it when a block rolls back
        self.current_oid: int | None = None
        self.session_oid: int | None = None
        self.role_at_begin = ...
        self.local_role = False

    # -- who is acting
    def me(self) -> Role:
        """The current role (PostgreSQL's GetUserId), re-read (another session may have
        altered it): SET ROLE's role, else the session user. Found by OID once known, so
        that a rename by another session does not lose it."""
        if self.current_oid is not None:
            role = self.cat.find_role_oid(self.current_oid)
            if role is not None:
                return role
        return self.session_role()

    def session_role(self) -> Role:
        """The session user (SET SESSION AUTHORIZATION's role, else the login role)."""
        if self.session_oid is not None:
            role = self.cat.find_role_oid(self.session_oid)
            if role is not None:
                return role
        role = self.cat.find_role_oid(self.role_oid) if self.role_oid is not None else \
            self.cat.find_role(self.engine.session.user)
        if role is None:
            raise SqlError("42704", f'role "{self.engine.session.user}" does not exist')
        self.role_oid = role.oid
        return role

    def is_superuser(self) -> bool:
        return self.me().superuser

    def has_createrole(self) -> bool:
        me = self.me()
        return me.superuser or me.create_role

    def has_createdb(self) -> bool:
        me = self.me()
        return me.superuser or me.create_db

    def is_member_of(self, role_oid: int) -> bool:
        """PostgreSQL's is_member_of_role: superusers are members of every role."""
        me = self.me()
        return me.superuser or role_oid in self.cat.roles_of(me.oid)

    def role(self, name: str) -> Role:
        found = self.cat.find_role(name)
        if found is None:
            raise SqlError("42704", f'role "{name}" does not exist')
        return found

    # -- transactions
    def write(self, fn):
        """Run fn() as one atomic change of the shared catalog (see the module docstring)."""
        e = self.engine
        joined = e.txn.block or e.txn.implicit
        try:
            if joined:
                e.ensure_open()  # the engine's commit/rollback ends our transaction too
                if not self.in_block_txn:
                    self.cat.begin()
                    self.in_block_txn = True
                while self.mirrored < len(e.txn.savepoints):
                    self.cat.conn.execute(f'SAVEPOINT "sp{self.mirrored}"')
                    self.mirrored += 1
                self.cat.conn.execute('SAVEPOINT "pgsvc$stmt"')
            else:
                self.cat.begin()
        except sqlite3.OperationalError as err:
            raise SqlError("55P03", f"could not lock the shared catalog: {err}") from None
        try:
            out = fn()
        except BaseException:
            if joined:
                self.cat.conn.execute('ROLLBACK TO "pgsvc$stmt"')
                self.cat.conn.execute('RELEASE "pgsvc$stmt"')
            else:
                self.cat.rollback()
            raise
        if joined:
            self.cat.conn.execute('RELEASE "pgsvc$stmt"')
        else:
            self.cat.commit()
        from pgsvc.sql.catalog.authz import invalidate
        invalidate(self.engine)  # our own commits do not move our data_version
        return out

    def end(self, commit: bool) -> None:
        from pgsvc.sql.commands.setrole import end_of_transaction as role_end
        role_end(self, commit)
        if not self.in_block_txn:
            return
        from pgsvc.sql.catalog.authz import invalidate
        invalidate(self.engine)
        self.in_block_txn = False
        self.mirrored = 0
        if commit:
            self.cat.commit()
        else:
            self.cat.rollback()

    def close(self) -> None:
        try:
            self.end(False)
        finally:
            self.cat.close()


def shared(engine) -> SharedCatalog:
    sc = getattr(engine, "shared_catalog", None)
    if sc is None:
        sc = SharedCatalog(engine)
        engine.shared_catalog = sc
    return sc


def end_of_transaction(engine, commit: bool) -> None:
    """Engine hook: the engine's transaction ended; end the shared catalog's with it."""
    sc = getattr(engine, "shared_catalog", None)
    if sc is not None:
        sc.end(commit)


def rolled_back_to(engine, depth: int) -> None:
    """ROLLBACK TO the block's savepoint number `depth` (0-based): undo shared changes after it."""
    sc = getattr(engine, "shared_catalog", None)
    if sc is not None and sc.in_block_txn and sc.mirrored > depth:
        sc.cat.conn.execute(f'ROLLBACK TO "sp{depth}"')
        sc.mirrored = depth + 1


def released(engine, depth: int) -> None:
    """RELEASE of the block's savepoint number `depth` (and those above it)."""
    sc = getattr(engine, "shared_catalog", None)
    if sc is not None and sc.in_block_txn and sc.mirrored > depth:
        sc.cat.conn.execute(f'RELEASE "sp{depth}"')
        sc.mirrored = depth


def close(engine) -> None:
    sc = getattr(engine, "shared_catalog", None)
    if sc is not None:
        engine.shared_catalog = None
        sc.close()


def make_statement(text: str, command: str, handler) -> Statement:
    s = Statement(text, command)
    s.handler = handler
    s.cacheable = False
    return s


def done(command: str) -> Result:
    return Result(None, [], command)


def translate(engine, tr, text: str, node) -> Statement | None:
    """The utility dispatcher's hook: a Statement for a cluster-wide statement, else None."""
    from pgsvc.sql.commands import databases
    from pgsvc.sql.commands import roles
    kind = type(node).__name__
    build = roles.HANDLERS.get(kind) or databases.HANDLERS.get(kind)
    if kind == "RenameStmt":
        build = {"OBJECT_ROLE": roles.rename_role,
                 "OBJECT_DATABASE": databases.rename_database}.get(node.renameType.name)
    elif kind == "AlterOwnerStmt":
        build = databases.alter_database_owner if node.objectType.name == "OBJECT_DATABASE" else None
    if build is None:
        return None
    tr.cacheable = False  # their text may hold a password; they re-read the catalog anyway
    return build(engine, tr, text, node)
