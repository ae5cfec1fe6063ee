"""Privilege separation through the OsIdentity seam (no real identity changes here;
tests/integration/test_privsep.py does the same for real, as root)."""

from __future__ import annotations

import pwd
from types import SimpleNamespace

import pytest

from pgsvc.errors import StartupError
from pgsvc.os_account import Account, OsIdentity, drop_privileges, ensure_not_root, verify_dropped


class FakeOs(OsIdentity):
    """A process identity that records calls and behaves like the kernel would."""

    def __init__(self, ruid=0, euid=0, rgid=0, egid=0, groups=(0,), accounts=None,
                 initgroups_groups=None, setuid_keeps_root=False):
        self.ruid, self.euid, self.rgid, self.egid = ruid, euid, rgid, egid
        self.groups = list(groups)
        self.calls: list[tuple] = []
        self.accounts = accounts or {"svc": (1001, 1001)}
        self.initgroups_groups = initgroups_groups
        self.setuid_keeps_root = setuid_keeps_root

    def getuid(self):
        return self.ruid

    def geteuid(self):
        return self.euid

    def getgid(self):
        return self.rgid

    def getegid(self):
        return self.egid

    def getgroups(self):
        return list(self.groups)

    def getresuid(self):
        return (self.ruid, self.euid, getattr(self, "suid", self.euid))

    def getresgid(self):
        return (self.rgid, self.egid, getattr(self, "sgid", self.egid))

    def initgroups(self, name, gid):
        self.calls.append(("initgroups", name, gid))
        if self.euid != 0:
            raise PermissionError("initgroups")
        self.groups = list(self.initgroups_groups) if self.initgroups_groups is not None else [gid]

    def setgid(self, gid):
        self.calls.append(("setgid", gid))
        if self.euid != 0 and gid not in (self.rgid, self.egid):
            raise PermissionError("setgid")
        self.rgid = self.egid = gid

    def setuid(self, uid):
        self.calls.append(("setuid", uid))
        if self.euid != 0 and uid not in (self.ruid,):
            raise PermissionError("setuid")
        if self.setuid_keeps_root and uid != 0:
            self.euid = uid  # a broken kernel/seam: real uid stays 0
            return
        self.ruid = self.euid = uid

    def getpwnam(self, name):
        if name not in self.accounts:
            raise KeyError(name)
        uid, gid = self.accounts[name]
        return SimpleNamespace(pw_name=name, pw_uid=uid, pw_gid=gid, pw_dir="/nonexistent")

    def getpwuid(self, uid):
        for name, (u, g) in self.accounts.items():
            if u == uid:
                return SimpleNamespace(pw_name=name, pw_uid=u, pw_gid=g, pw_dir="/nonexistent")
        return pwd.struct_passwd(("u%d" % uid, "x", uid, uid, "", "/", "/bin/sh"))


def test_root_without_account_refused():
    fake = FakeOs()
    for name in (None, ""):
        with pytest.raises(StartupError) as e:
            ensure_not_root(name, fake)
        assert str(e.value).startswith("pgsvc: cannot be run as root")
        assert "--user" in str(e.value)
    assert fake.calls == []


def test_root_with_unknown_account_refused():
    fake = FakeOs()
    with pytest.raises(StartupError) as e:
        ensure_not_root("ghost", fake)
    assert 'account "ghost" does not exist' in str(e.value)
    assert fake.calls == []


def test_drop_order_and_result():
    fake = FakeOs()
    account = ensure_not_root("svc", fake)
    assert account == Account("svc", 1001, 1001, "/nonexistent")
    assert [c[0] for c in fake.calls] == ["initgroups", "setgid", "setuid", "setuid"]
    assert fake.calls[0] == ("initgroups", "svc", 1001)
    assert fake.calls[-1] == ("setuid", 0)  # the regain check, which must fail
    assert (fake.ruid, fake.euid, fake.rgid, fake.egid) == (1001, 1001, 1001, 1001)
    assert fake.groups == [1001]


@pytest.mark.parametrize("ruid, euid", [(0, 1001), (1001, 0), (1001, 1002)])
def test_real_effective_uid_mismatch_refused(ruid, euid):
    fake = FakeOs(ruid=ruid, euid=euid, rgid=1001, egid=1001)
    with pytest.raises(StartupError) as e:
        ensure_not_root("svc", fake)
    assert "real and effective user IDs must match" in str(e.value)
    assert fake.calls == []


def test_real_effective_gid_mismatch_refused():
    fake = FakeOs(ruid=1001, euid=1001, rgid=1001, egid=0)
    with pytest.raises(StartupError) as e:
        ensure_not_root(None, fake)
    assert "real and effective group IDs must match" in str(e.value)


def test_non_root_runs_as_itself():
    fake = FakeOs(ruid=1001, euid=1001, rgid=1001, egid=1001, groups=[1001])
    assert ensure_not_root(None, fake).uid == 1001
    assert ensure_not_root("other", fake).uid == 1001  # --user is only for root
    assert fake.calls == []


def test_account_that_is_root_refused():
    fake = FakeOs(accounts={"toor": (0, 0), "grp0": (1005, 0)})
    with pytest.raises(StartupError, match="is root"):
        ensure_not_root("toor", fake)
    with pytest.raises(StartupError, match="primary group root"):
        ensure_not_root("grp0", fake)
    assert fake.calls == []


def test_supplementary_root_group_refused():
    fake = FakeOs(initgroups_groups=[1001, 0])
    with pytest.raises(StartupError, match="member of group root"):
        ensure_not_root("svc", fake)


def test_regain_check_catches_a_drop_that_did_not_stick():
    fake = FakeOs(setuid_keeps_root=True)
    with pytest.raises(StartupError) as e:
        ensure_not_root("svc", fake)
    assert "regain root" in str(e.value) or "uid did not change" in str(e.value)


def test_verify_dropped_when_setuid0_succeeds():
    class Regains(FakeOs):
        def setuid(self, uid):
            self.calls.append(("setuid", uid))
            self.ruid = self.euid = uid

    fake = Regains(ruid=1001, euid=1001, rgid=1001, egid=1001, groups=[1001])
    with pytest.raises(StartupError, match="could regain root"):
        verify_dropped(Account("svc", 1001, 1001, "/"), fake)


def test_drop_privileges_wrong_gid_detected():
    class StuckGid(FakeOs):
        def setgid(self, gid):
            self.calls.append(("setgid", gid))

    fake = StuckGid()
    with pytest.raises(StartupError, match="gid did not change"):
        drop_privileges(Account("svc", 1001, 1001, "/"), fake)


@pytest.mark.parametrize("attr, needle", [("suid", "saved set-user-ID"), ("sgid", "saved set-group-ID")])
def test_saved_root_id_refused(attr, needle):
    """Real = effective = an account, saved id 0 (a setuid-root wrapper after seteuid)."""
    fake = FakeOs(ruid=1001, euid=1001, rgid=1001, egid=1001, groups=[1001])
    setattr(fake, attr, 0)
    with pytest.raises(StartupError, match=needle):
        ensure_not_root(None, fake)
