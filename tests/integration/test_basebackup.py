"""Hot backups of a running pgsvc (issue 16): PostgreSQL 15's own pg_basebackup (BASE_BACKUP
over a replication connection, plain and tar format, -X none and fetch) and `pgsvc basebackup`.

What is checked is what an operator relies on: the copy starts as a cluster (`pgsvc server -D
COPY`), every SQLite file in it passes PRAGMA integrity_check, pg_verifybackup accepts the
manifest, and a backup taken in the middle of a pgbench run (writes going on) holds every
transaction acknowledged before the backup began — rows of a marker table written and
acknowledged before the backup, pgbench_history at least as long as it was then — and is
transaction-consistent: pgbench's balances add up in the copy as in any committed state.
The expected values are read from the running server itself before the backup.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import PG15_BIN, Server, free_port, make_tmpdir, require_engine, require_tool

ROOT = Path(__file__).resolve().parents[2]
BENCH_SECONDS = 12


@pytest.fixture(scope="module")
def primary(module_server_factory):
    require_engine()
    s = module_server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "trust")
    s.superuser = "postgres"
    with open(s.datadir / "pg_hba.conf", "a", encoding="utf-8") as f:
        f.write("local replication all trust\nhost replication all 127.0.0.1/32 trust\n")
    s.stop()
    s.start()
    return s


@pytest.fixture
def copies():
    """Directories for backups and the servers started on them; all removed at the end."""
    made: list[Server] = []
    bases: list[Path] = []

    def new_base() -> Path:
        base = make_tmpdir("pgsvc-bk-")
        bases.append(base)
        return base

    yield new_base, made
    for srv in made:
        srv.stop()
    for base in bases:
        shutil.rmtree(base, ignore_errors=True)


def value(srv, sql: str, dbname: str = "postgres") -> str:
    return srv.psql(sql, "-At", dbname=dbname).stdout.strip()


def give_to(path: Path, account: str | None) -> None:
    """A copy made by root belongs to the server's account before the server may start on it."""
    if account is None or os.geteuid() != 0:
        return
    shutil.chown(path, account, account)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            shutil.chown(os.path.join(dirpath, name), account, account)


def pg_basebackup(primary, target: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [str(PG15_BIN / "pg_basebackup") if (PG15_BIN / "pg_basebackup").exists() else require_tool("pg_basebackup"),
           "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-D", str(target), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def start_copy(base: Path, primary, made: list) -> Server:
    srv = Server(base, primary.account, free_port())
    srv.superuser = "postgres"
    made.append(srv)
    give_to(srv.datadir, primary.account)
    srv.start()
    return srv


def integrity(datadir: Path) -> dict[str, str]:
    """PRAGMA integrity_check of every SQLite file in the copy, with pgsvc's SQLite."""
    script = ("import sys, pathlib\nfrom pgsvc.sqlite import sqlite3\n"
              "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.db')):\n"
              "    c = sqlite3.connect(str(p))\n"
              "    print(p.relative_to(sys.argv[1]), c.execute('PRAGMA integrity_check').fetchone()[0])\n"
              "    c.close()\n")
    out = subprocess.run([sys.executable, "-c", script, str(datadir)], capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=120).stdout
    return dict(line.rsplit(" ", 1) for line in out.splitlines())


def verify_manifest(datadir: Path) -> None:
    tool = PG15_BIN / "pg_verifybackup"
    if not tool.exists():
        return
    r = subprocess.run([str(tool), "-n", str(datadir)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "backup successfully verified" in r.stdout


def test_pg_basebackup_plain_and_tar_start_as_clusters(primary, copies):
    new_base, made = copies
    primary.psql("DROP DATABASE IF EXISTS bk_plain")
    primary.psql("CREATE DATABASE bk_plain")
    primary.psql("CREATE TABLE t (id int PRIMARY KEY, v text); "
                 "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g", dbname="bk_plain")
    expected = value(primary, "SELECT count(*), md5(string_agg(v, ',' ORDER BY id)) FROM t", "bk_plain")

    plain = new_base()
    r = pg_basebackup(primary, plain / "data", "-Fp", "-X", "none", "-c", "fast", "-l", "plain copy")
    assert r.returncode == 0, r.stderr
    assert (plain / "data" / "backup_manifest").exists()
    verify_manifest(plain / "data")
    assert set(integrity(plain / "data").values()) == {"ok"}
    assert "LABEL: plain copy" in (plain / "data" / "backup_label").read_text()
    assert oct((plain / "data").stat().st_mode & 0o777) == "0o700"
    copy = start_copy(plain, primary, made)
    assert value(copy, "SELECT count(*), md5(string_agg(v, ',' ORDER BY id)) FROM t", "bk_plain") == expected
    # the same cluster: IDENTIFY_SYSTEM's systemid is carried over, as a base backup keeps pg_control's
    ident = "IDENTIFY_SYSTEM"
    assert (subprocess.run(["psql", "-XAt", copy.dsn(replication="true"), "-c", ident], capture_output=True,
                           text=True, timeout=30).stdout.split("|")[0]
            == subprocess.run(["psql", "-XAt", primary.dsn(replication="true"), "-c", ident], capture_output=True,
                              text=True, timeout=30).stdout.split("|")[0])

    tar = new_base()
    r = pg_basebackup(primary, tar / "out", "-Ft", "-X", "fetch", "-z", "-P")
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(tar / "out")) == ["backup_manifest", "base.tar.gz"]
    (tar / "data").mkdir(mode=0o700)
    with tarfile.open(tar / "out" / "base.tar.gz") as archive:
        archive.extractall(tar / "data")
    assert set(integrity(tar / "data").values()) == {"ok"}
    copy = start_copy(tar, primary, made)
    assert value(copy, "SELECT count(*), md5(string_agg(v, ',' ORDER BY id)) FROM t", "bk_plain") == expected
    primary.psql("DROP DATABASE bk_plain")


def test_pg_basebackup_with_its_defaults(primary, copies):
    """pg_basebackup's defaults: plain format and -X stream (a temporary physical slot and a
    WAL receiver on a second replication connection, which ends at once: the copy is
    consistent at its start, reported as its end too)."""
    new_base, made = copies
    primary.psql("DROP TABLE IF EXISTS stream_check; CREATE TABLE stream_check AS SELECT 42 AS x")
    base = new_base()
    r = pg_basebackup(primary, base / "data", "-v")
    assert r.returncode == 0, r.stderr
    assert "created temporary replication slot" in r.stderr
    verify_manifest(base / "data")
    copy = start_copy(base, primary, made)
    assert value(copy, "SELECT x FROM stream_check") == "42"
    primary.psql("DROP TABLE stream_check")


class Marks(threading.Thread):
    """Commits one marker row at a time and remembers which were acknowledged."""

    def __init__(self, primary) -> None:
        super().__init__(daemon=True)
        self.primary = primary
        self.acked = 0
        self.stop = threading.Event()
        self.errors: list[str] = []

    def run(self) -> None:
        i = 0
        while not self.stop.is_set() and i < 2000:
            i += 1
            r = self.primary.psql(f"INSERT INTO marks VALUES ({i})", dbname="bk_bench", check=False, timeout=30)
            if r.returncode != 0:
                self.errors.append(r.stderr)
                return
            self.acked = i
            time.sleep(0.02)


def test_hot_backup_during_pgbench(primary, copies):
    new_base, made = copies
    pgbench = PG15_BIN / "pgbench" if (PG15_BIN / "pgbench").exists() else Path(require_tool("pgbench"))
    primary.psql("DROP DATABASE IF EXISTS bk_bench")
    primary.psql("CREATE DATABASE bk_bench")
    primary.psql("CREATE TABLE marks (i int PRIMARY KEY)", dbname="bk_bench")
    base_cmd = [str(pgbench), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"]
    subprocess.run(base_cmd + ["-i", "-s", "1", "-q", "bk_bench"], check=True, capture_output=True, timeout=300)
    bench = subprocess.Popen(base_cmd + ["-n", "-b", "tpcb-like", "-c", "4", "-j", "2", "-T", str(BENCH_SECONDS),
                                         "bk_bench"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marks = Marks(primary)
    marks.start()
    try:
        time.sleep(3)  # pgbench and the marks are writing
        # what was acknowledged before the backups begin
        acked_marks = marks.acked
        history_before = int(value(primary, "SELECT count(*) FROM pgbench_history", "bk_bench"))
        assert acked_marks > 0 and history_before > 0

        hot = new_base()
        r = pg_basebackup(primary, hot / "data", "-Fp", "-X", "none")
        assert r.returncode == 0, r.stderr

        cli = new_base()
        cli_parent = cli / "owned"
        cli_parent.mkdir()
        give_to(cli_parent, primary.account)
        r = subprocess.run([sys.executable, "-m", "pgsvc", "basebackup", "-D", str(cli_parent / "data"),
                            "-s", str(primary.datadir)], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert r.returncode == 0, r.stderr
        writes_went_on = marks.acked > acked_marks
    finally:
        marks.stop.set()
        marks.join(60)
        out, err = bench.communicate(timeout=BENCH_SECONDS + 120)
    assert not marks.errors, marks.errors
    assert bench.returncode == 0, err
    assert "number of failed transactions: 0" in out, out
    assert writes_went_on  # the backups did not stop the writers

    for base, datadir in ((hot, hot / "data"), (cli_parent, cli_parent / "data")):
        checks = integrity(datadir)
        assert checks and set(checks.values()) == {"ok"}, checks
        if base is hot:
            verify_manifest(datadir)
            copy = start_copy(hot, primary, made)
        else:
            os.rename(cli_parent / "data", cli / "data")
            copy = start_copy(cli, primary, made)
        got_marks = int(value(copy, "SELECT count(*) FROM marks", "bk_bench"))
        assert got_marks >= acked_marks
        assert value(copy, "SELECT max(i) = count(*) FROM marks", "bk_bench") == "t"  # no gap
        assert int(value(copy, "SELECT count(*) FROM pgbench_history", "bk_bench")) >= history_before
        sums = value(copy, "SELECT (SELECT sum(abalance) FROM pgbench_accounts), "
                           "(SELECT coalesce(sum(delta), 0) FROM pgbench_history), "
                           "(SELECT sum(bbalance) FROM pgbench_branches), "
                           "(SELECT sum(tbalance) FROM pgbench_tellers)", "bk_bench").split("|")
        assert len(set(sums)) == 1, sums  # transaction-consistent: the balances add up
        copy.stop()
    primary.psql("DROP DATABASE bk_bench")


def test_pg_basebackup_options(primary, copies):
    new_base, _ = copies
    r = pg_basebackup(primary, new_base() / "gz", "-Fp", "-X", "none", "--compress", "server-gzip:5", "-r", "1M",
                      "--manifest-checksums", "SHA512", "-c", "spread")
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(PG15_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                        "--target", "blackhole", "-X", "none"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = pg_basebackup(primary, new_base() / "crc", "-X", "none", "--manifest-checksums", "CRC32C")
    assert r.returncode == 1 and 'checksum algorithm "CRC32C" is not supported by pgsvc' in r.stderr
    assert not [n for n in os.listdir(primary.datadir) if n.startswith("pgsvc_basebackup.")]  # staging removed


def test_pgsvc_basebackup_tar_and_refusals(primary, copies):
    new_base, made = copies
    base = new_base()
    owned = base / "owned"
    owned.mkdir()
    give_to(owned, primary.account)
    cli = [sys.executable, "-m", "pgsvc", "basebackup", "-s", str(primary.datadir)]
    r = subprocess.run(cli + ["-D", str(owned / "tar"), "-Ft", "-z", "-l", "nightly"], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert os.listdir(owned / "tar") == ["base.tar.gz"]
    (base / "data").mkdir(mode=0o700)
    with tarfile.open(owned / "tar" / "base.tar.gz") as archive:
        archive.extractall(base / "data")
    assert "LABEL: nightly" in (base / "data" / "backup_label").read_text()
    assert set(integrity(base / "data").values()) == {"ok"}
    copy = start_copy(base, primary, made)
    assert value(copy, "SELECT 1") == "1"
    # a target that is not empty, and a source that is not a cluster
    r = subprocess.run(cli + ["-D", str(owned / "tar")], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 1 and "exists but is not empty" in r.stderr
    r = subprocess.run([sys.executable, "-m", "pgsvc", "basebackup", "-s", str(base), "-D", str(owned / "x")],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 1 and "is not a valid data directory" in r.stderr


def test_interrupted_backups_leave_nothing_behind(primary, copies):
    """A backup whose client goes away, and one ended by pg_terminate_backend, leave no staging
    directory in the data directory, and the server goes on (MAX_RATE keeps them running)."""
    new_base, _ = copies
    tool = str(PG15_BIN / "pg_basebackup")

    def staging() -> list[str]:
        return [n for n in os.listdir(primary.datadir) if n.startswith("pgsvc_basebackup.")]

    def slow_backup():
        return subprocess.Popen([tool, "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-D",
                                 str(new_base() / "data"), "-X", "none", "-r", "32k"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def wait_staging(proc) -> None:
        deadline = time.monotonic() + 30
        while not staging() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert staging(), "the backup never started"

    def wait_clean() -> None:
        deadline = time.monotonic() + 30
        while staging() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert staging() == []

    proc = slow_backup()
    wait_staging(proc)
    proc.kill()  # the client goes away
    proc.wait(10)
    wait_clean()

    proc = slow_backup()
    wait_staging(proc)
    pid = value(primary, "SELECT pid FROM pg_stat_activity WHERE application_name = 'pg_basebackup'")
    assert value(primary, f"SELECT pg_terminate_backend({pid})") == "t"
    _, err = proc.communicate(timeout=30)
    # pg_basebackup reports the FATAL, or first the archive it was cut off in, as with PostgreSQL
    assert proc.returncode == 1 and ("terminating connection due to administrator command" in err
                                     or "COPY stream ended before last file was finished" in err), err
    wait_clean()
    assert value(primary, "SELECT 1") == "1"


def test_pg_basebackup_target_server(primary, copies):
    """--target server:DIR: the server writes base.tar and backup_manifest into DIR itself."""
    new_base, made = copies
    base = new_base()
    owned = base / "owned"
    owned.mkdir()
    give_to(owned, primary.account)
    r = subprocess.run([str(PG15_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                        "--target", f"server:{owned / 'srv'}", "-X", "none"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(owned / "srv")) == ["backup_manifest", "base.tar"]
    (base / "data").mkdir(mode=0o700)
    with tarfile.open(owned / "srv" / "base.tar") as archive:
        archive.extractall(base / "data")
    assert set(integrity(base / "data").values()) == {"ok"}
    copy = start_copy(base, primary, made)
    assert value(copy, "SELECT 1") == "1"
