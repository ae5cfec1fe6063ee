"""One backend's connection to the shared catalog (DATADIR/global/catalog.db,
pgsvc.cluster.global_catalog) and the identity its checks run as.

Cluster-wide statements (roles, databases: pgsvc.sql.commands.roles, .databases) change the
shared catalog, not the backend's own database file, so they run on a second SQLite
connection that this module keeps per engine (`shared(engine)`).

Transactions: outside a transaction block a statement commits the shared catalog at
once. Inside a block (or an implicit multi-statement transaction) the first such
statement opens a write transaction on the shared catalog that commits or rolls back
with the block (the engine calls `end_of_transaction`), so BEGIN; CREATE ROLE ...;
ROLLBACK leaves no role behind, as in PostgreSQL. The block's savepoints are mirrored on
the shared connection when a shared change is made under them (SAVEPOINT "sp<depth>"),
and ROLLBACK TO / RELEASE are passed on (this module's `rolled_back_to` and `released`,
called by pgsvc.sql.commands.transactions).

Role state (SET ROLE / SET SESSION AUTHORIZATION, pgsvc.sql.commands.setrole) lives here
too: like the GUCs they are in PostgreSQL, a change inside a transaction block is undone
when the block rolls back, and SET LOCAL lasts until the block ends.

`SharedCatalog.changes` counts this backend's own changes (its commits do not move its
version()) and role switches: cached authorisation decisions (pgsvc.sql.catalog.authz)
key on it.
"""

from __future__ import annotations


from pgsvc.cluster.global_catalog import GlobalCatalog, Role
from pgsvc.cluster.layout import Layout
from pgsvc.errors import SqlError
from pgsvc.sql.catalog import acl as A
from pgsvc.sqlite import sqlite3


class SharedCatalog:
    """One engine's connection to the shared catalog, and the identity of its user."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.cat = GlobalCatalog(Layout(engine.session.datadir))
        self.in_block_txn = False
        self.mirrored = 0  # how many of the block's savepoints exist on the shared connection
        self.changes = 0  # bumped by our own changes and role switches (authz's cache key)
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

    # -- database ACLs (the global catalog stores their text; GRANT/REVOKE ON DATABASE)
    def database_acl(self, oid: int) -> list[A.AclItem] | None:
        """The ACL of a database, None for the owner's defaults."""
        return A.load(self.cat.datacl(oid))

    def set_database_acl(self, oid: int, items: list[A.AclItem] | None) -> None:
        self.cat.set_datacl(oid, A.dump(items))

    def version(self) -> int:
        """Moves when another backend commits a change of the shared catalog: the server's
        counter (pgsvc.sql.exec.commits; one read of shared memory), else SQLite's
        data_version (a PRAGMA on this connection)."""
        state = self.engine.commits.state  # (read here directly: every statement's privilege check asks)
        return self.cat.data_version() if state is None else state.shared_catalog()

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
            self.engine.commits.shared_catalog_changed()
        self.changes += 1  # (SQLite's data_version, version() without a server, ignores our own commits)
        return out

    def end(self, commit: bool) -> None:
        end_role_block(self, commit)
        if not self.in_block_txn:
            return
        self.changes += 1
        self.in_block_txn = False
        self.mirrored = 0
        if commit:
            self.cat.commit()
            self.engine.commits.shared_catalog_changed()
        else:
            self.cat.rollback()

    def close(self) -> None:
        try:
            self.end(False)
        finally:
            self.cat.close()


def shared(engine) -> SharedCatalog:
    sc = engine.shared_catalog
    if sc is None:
        sc = SharedCatalog(engine)
        engine.shared_catalog = sc
    return sc


def end_of_transaction(engine, commit: bool) -> None:
    """Engine hook: the engine's transaction ended; end the shared catalog's with it."""
    sc = engine.shared_catalog
    if sc is not None:
        sc.end(commit)


def rolled_back_to(engine, depth: int) -> None:
    """ROLLBACK TO the block's savepoint number `depth` (0-based): undo shared changes after it."""
    sc = engine.shared_catalog
    if sc is not None and sc.in_block_txn and sc.mirrored > depth:
        sc.cat.conn.execute(f'ROLLBACK TO "sp{depth}"')
        sc.mirrored = depth + 1
        sc.changes += 1  # memberships granted or revoked since no longer hold: forget cached decisions


def released(engine, depth: int) -> None:
    """RELEASE of the block's savepoint number `depth` (and those above it)."""
    sc = engine.shared_catalog
    if sc is not None and sc.in_block_txn and sc.mirrored > depth:
        sc.cat.conn.execute(f'RELEASE "sp{depth}"')
        sc.mirrored = depth


def close(engine) -> None:
    sc = engine.shared_catalog
    if sc is not None:
        engine.shared_catalog = None
        sc.close()


# -- the acting role's changes (SET ROLE / SET SESSION AUTHORIZATION and their undoing)

def role_changed(engine) -> None:
    """Translations bake in nothing role-specific, but search-path resolution skips
    schemas without USAGE: forget cached translations, and cached decisions."""
    shared(engine).changes += 1
    report(engine)
    forget_translations(engine)


def report(engine) -> None:
    """is_superuser follows the current role and session_authorization the session user,
    as PostgreSQL reports them (ParameterStatus); superuser-only SETs follow too."""
    sc = shared(engine)
    me = sc.me()
    engine.session.is_superuser = me.superuser
    engine.session.settings.set_internal("is_superuser", me.superuser)
    engine.session.settings.set_internal("session_authorization", sc.session_role().name)


def end_role_block(sc: SharedCatalog, commit: bool) -> None:
    """The block ended: a rollback undoes its role switches, and SET LOCAL's end here."""
    saved, sc.role_at_begin = sc.role_at_begin, ...
    local, sc.local_role = sc.local_role, False
    if saved is not ... and (not commit or local):
        sc.current_oid, sc.session_oid = saved
        role_changed(sc.engine)


def forget_translations(engine) -> None:
    """Cached translations resolved unqualified names over the schemas the role could use
    then (PostgreSQL skips schemas without USAGE); after a role change they are made again."""
    engine.simple_cache.clear()
    engine.script_cache.clear()
    engine.prepare_cache.clear()
