"""Privilege separation: never run as root; drop to the database account.

All OS calls that matter for identity go through `OsIdentity`, one small seam that
unit tests replace; real-process tests exercise the same code for real (as root,
with throwaway accounts).
"""

from __future__ import annotations

import grp
import os
import pwd
from dataclasses import dataclass

from pgsvc.errors import StartupError

ROOT_MESSAGE = (
    "pgsvc: cannot be run as root\n"
    "Please log in (using, e.g., \"su\") as the (unprivileged) user that will own the server "
    "process, or start it as root with --user ACCOUNT (or `user = 'ACCOUNT'` in pgsvc.conf) "
    "naming the non-root account to drop to."
)


class OsIdentity:
    """The seam: process identity calls, real by default."""

    getuid = staticmethod(os.getuid)
    geteuid = staticmethod(os.geteuid)
    getgid = staticmethod(os.getgid)
    getegid = staticmethod(os.getegid)
    getgroups = staticmethod(os.getgroups)
    getresuid = staticmethod(os.getresuid)
    getresgid = staticmethod(os.getresgid)
    setuid = staticmethod(os.setuid)
    setgid = staticmethod(os.setgid)
    initgroups = staticmethod(os.initgroups)
    getpwnam = staticmethod(pwd.getpwnam)
    getpwuid = staticmethod(pwd.getpwuid)


REAL_OS = OsIdentity()


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    home: str


def lookup_account(name: str, ident: OsIdentity = REAL_OS) -> Account:
    try:
        pw = ident.getpwnam(name)
    except KeyError:
        raise StartupError(f'pgsvc: account "{name}" does not exist\n'
                           f"Create it (e.g. `useradd --system {name}`) or name another with --user.") from None
    return Account(pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir)


def current_account(ident: OsIdentity = REAL_OS) -> Account:
    pw = ident.getpwuid(ident.geteuid())
    return Account(pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir)


def ensure_not_root(account_name: str | None, ident: OsIdentity = REAL_OS) -> Account:
    """Start-up step 1 (PostgreSQL's check_root): return the account the server runs as.

    Invariant: after this returns, neither the real nor the effective uid is 0 and root
    cannot be regained. A server running as root would let any SQL-level escape (a file
    write, an extension) become a root compromise; a real/effective mismatch would let
    the process switch back. Started as root with an account named, drop to it.
    """
    ruid, euid = ident.getuid(), ident.geteuid()
    if ruid != euid:
        # Also covers "only the real uid is 0" and "only the effective uid is 0" (setuid binaries).
        raise StartupError("pgsvc: real and effective user IDs must match")
    if euid != 0:
        if ident.getgid() != ident.getegid():
            raise StartupError("pgsvc: real and effective group IDs must match")
        refuse_saved_root(ident)
        return current_account(ident)
    if not account_name:
        raise StartupError(ROOT_MESSAGE)
    account = lookup_account(account_name, ident)
    drop_privileges(account, ident)
    return account


def drop_privileges(account: Account, ident: OsIdentity = REAL_OS) -> None:
    """initgroups -> setgid -> setuid, in that order (after setuid the others would fail),
    then prove that root cannot be regained."""
    if account.uid == 0:
        raise StartupError(f'pgsvc: account "{account.name}" is root (uid 0); name an unprivileged account')
    if account.gid == 0:
        raise StartupError(f'pgsvc: account "{account.name}" has primary group root (gid 0); '
                           "give it its own group")
    ident.initgroups(account.name, account.gid)
    ident.setgid(account.gid)
    ident.setuid(account.uid)
    verify_dropped(account, ident)


def refuse_saved_root(ident: OsIdentity = REAL_OS) -> None:
    """Invariant: the saved set-user-ID and set-group-ID are not 0 either. Real and
    effective ids of an account with a saved id of root is what a setuid-root wrapper
    leaves after seteuid(): such a process can setuid(0) whenever it likes, so it is
    root in waiting, and any SQL-level escape would become a root compromise."""
    if ident.getresuid()[2] == 0:
        raise StartupError("pgsvc: the saved set-user-ID is 0 (root), so root could be regained; "
                           "refusing to run\nStart the server with real, effective and saved user IDs "
                           "all the account's (or as root with --user ACCOUNT).")
    if ident.getresgid()[2] == 0:
        raise StartupError("pgsvc: the saved set-group-ID is 0 (root), so group root could be regained; "
                           "refusing to run\nStart the server with real, effective and saved group IDs "
                           "all the account's.")


def verify_dropped(account: Account, ident: OsIdentity = REAL_OS) -> None:
    try:
        ident.setuid(0)
    except PermissionError:
        pass
    else:
        raise StartupError("pgsvc: could regain root after dropping privileges; refusing to run")
    if (ident.getuid(), ident.geteuid()) != (account.uid, account.uid):
        raise StartupError("pgsvc: failed to drop privileges: uid did not change")
    if (ident.getgid(), ident.getegid()) != (account.gid, account.gid):
        raise StartupError("pgsvc: failed to drop privileges: gid did not change")
    if 0 in ident.getgroups():
        raise StartupError(f'pgsvc: account "{account.name}" is a member of group root (gid 0); '
                           "remove it from that group")


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
