"""BASE_BACKUP on a replication connection: what pg_basebackup 15 asks for and reads
(PostgreSQL's basebackup.c, basebackup_copy.c, backup_manifest.c).

The copy itself is pgsvc.cluster.backup's (SQLite's online backup API from one read
snapshot of every file, staged in DATADIR/pgsvc_basebackup.<pid>); this module sends it:

    RowDescription/DataRow/CommandComplete  start position (recptr text, tli int8)
    RowDescription/DataRow/CommandComplete  the tablespace list: one row (NULL, NULL, size kB)
    CopyOutResponse, then CopyData messages each starting with a type byte:
        'n' archive name, tablespace location   'd' data   'p' progress (int8 bytes done)
        'm' the manifest follows (its bytes as 'd')
    CopyDone
    RowDescription/DataRow/CommandComplete  end position
    CommandComplete BASE_BACKUP

with TARGET 'client' (pg_basebackup 15 always sends it). Without TARGET, the stream of
PostgreSQL 14 and earlier (one plain COPY per archive, then one for the manifest) that
pg_basebackup 13/14 read. The archive is base.tar (base.tar.gz with COMPRESSION 'gzip'):
ustar headers and two zero blocks at the end, as PostgreSQL writes them (pg_basebackup's
tar parser refuses a longer trailer). pgsvc has no WAL files: WAL and WAIT are accepted and
add nothing (the SQLite copies need no recovery).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tarfile
import time
import zlib

from pgsvc.backend import protocol as P
from pgsvc.backend.walsender import dispatch
from pgsvc.backend.walsender.builtin import format_lsn
from pgsvc.backend.walsender.grammar import BaseBackup
from pgsvc.backend.walsender.physical import segment_start
from pgsvc.cluster.global_catalog import GlobalCatalog
from pgsvc.cluster.backup import STAGING_PREFIX, BackupResult, copy_cluster, remove_stale_staging
from pgsvc.errors import QUERY_CANCELED, SqlError
from pgsvc.sql.types import oids as O

SYNTAX = "42601"
CHUNK = 65536
MAX_RATE_LOWER, MAX_RATE_UPPER = 32, 1048576
CHECKSUMS = ("NONE", "CRC32C", "SHA224", "SHA256", "SHA384", "SHA512")


class Options:
    def __init__(self) -> None:
        self.label = "base backup"
        self.progress = False
        self.fast = False
        self.wal = False
        self.wait = True
        self.max_rate = 0
        self.tablespace_map = False
        self.verify_checksums = True
        self.manifest = "no"  # no | yes | force-encode
        self.checksum = "SHA256"  # pgsvc's default: SHA-256 (PostgreSQL's CRC-32C is not in Python)
        self.target: str | None = None
        self.target_detail: str | None = None
        self.compression = "none"
        self.compression_level: int | None = None


def _string(name: str, value) -> str:
    if value is None:
        raise SqlError(SYNTAX, f"{name} requires a parameter")
    if value is True:
        return "true"
    return str(value)


def _boolean(name: str, value) -> bool:
    """defGetBoolean: no argument is true; 0/1; true/false/on/off in any case."""
    if value is None or value is True:
        return True
    if isinstance(value, int):
        if value in (0, 1):
            return bool(value)
    elif value.lower() in ("true", "on", "false", "off"):
        return value.lower() in ("true", "on")
    raise SqlError(SYNTAX, f"{name} requires a Boolean value")


def _parse_bool_text(text: str) -> bool | None:
    low = text.lower()
    for word, value in (("true", True), ("false", False), ("yes", True), ("no", False)):
        if low and word.startswith(low):
            return value
    if len(low) >= 2 and "on".startswith(low):
        return True
    if len(low) >= 2 and "off".startswith(low):
        return False
    return {"1": True, "0": False}.get(low)


def parse_options(items) -> Options:
    """parse_basebackup_options, with its errors."""
    opt = Options()
    seen: set[str] = set()
    checksum_given = compression_detail = None
    for name, value in items:
        if name in seen:
            raise SqlError(SYNTAX, f'duplicate option "{name}"')
        seen.add(name)
        if name == "label":
            opt.label = _string(name, value)
        elif name == "progress":
            opt.progress = _boolean(name, value)
        elif name == "checkpoint":
            text = _string(name, value)
            if text.lower() not in ("fast", "spread"):
                raise SqlError(SYNTAX, f'unrecognized checkpoint type: "{text}"')
            opt.fast = text.lower() == "fast"
        elif name == "wait":
            opt.wait = _boolean(name, value)
        elif name == "wal":
            opt.wal = _boolean(name, value)
        elif name == "max_rate":
            if not isinstance(value, int) or value is True:
                raise SqlError(SYNTAX, f"{name} requires a numeric value")
            if not MAX_RATE_LOWER <= value <= MAX_RATE_UPPER:
                raise SqlError("22003", f'{value} is outside the valid range for parameter "MAX_RATE" '
                                        f"({MAX_RATE_LOWER} .. {MAX_RATE_UPPER})")
            opt.max_rate = value
        elif name == "tablespace_map":
            opt.tablespace_map = _boolean(name, value)
        elif name == "verify_checksums":
            opt.verify_checksums = _boolean(name, value)
        elif name == "manifest":
            text = _string(name, value)
            flag = _parse_bool_text(text)
            if flag is not None:
                opt.manifest = "yes" if flag else "no"
            elif text.lower() == "force-encode":
                opt.manifest = "force-encode"
            else:
                raise SqlError(SYNTAX, f'unrecognized manifest option: "{text}"')
        elif name == "manifest_checksums":
            text = _string(name, value)
            if text.upper() not in CHECKSUMS:
                raise SqlError(SYNTAX, f'unrecognized checksum algorithm: "{text}"')
            checksum_given = text.upper()
        elif name == "target":
            opt.target = _string(name, value)
        elif name == "target_detail":
            opt.target_detail = _string(name, value)
        elif name == "compression":
            opt.compression = _string(name, value)
        elif name == "compression_detail":
            compression_detail = _string(name, value)
        else:
            raise SqlError(SYNTAX, f'unrecognized base backup option: "{name}"')
    if opt.manifest == "no":
        if checksum_given is not None:
            raise SqlError(SYNTAX, "manifest checksums require a backup manifest")
        opt.checksum = "NONE"
    elif checksum_given is not None:
        if checksum_given == "CRC32C":
            raise SqlError("0A000", 'checksum algorithm "CRC32C" is not supported by pgsvc',
                           hint="Use SHA256 (pgsvc's default), another SHA-2 algorithm, or NONE.")
        opt.checksum = checksum_given
    _check_target(opt)
    _check_compression(opt, compression_detail, "compression" in seen)
    return opt


def _check_target(opt: Options) -> None:
    if opt.target is None:
        if opt.target_detail is not None:
            raise SqlError(SYNTAX, "target detail cannot be used without target")
        return
    if opt.target in ("client", "blackhole"):
        if opt.target_detail is not None:
            raise SqlError(SYNTAX, f'target "{opt.target}" does not accept a target detail')
        return
    if opt.target == "server":
        if opt.target_detail is None:
            raise SqlError(SYNTAX, 'target "server" requires a target detail')
        return
    raise SqlError("0A000", f'unrecognized target: "{opt.target}"')


def _check_compression(opt: Options, detail: str | None, given: bool) -> None:
    if detail is not None and not given:
        raise SqlError(SYNTAX, "compression detail cannot be specified unless compression is enabled")
    algorithm = opt.compression.lower()
    if algorithm not in ("none", "gzip", "lz4", "zstd"):
        raise SqlError(SYNTAX, f'unrecognized compression algorithm: "{opt.compression}"')
    if algorithm in ("lz4", "zstd"):
        raise SqlError("0A000", f"{algorithm} compression is not supported by pgsvc")
    opt.compression = algorithm
    if detail:
        text = detail.strip()
        if text.startswith("level="):
            text = text[len("level="):]
        if not text.lstrip("-").isdigit():
            raise SqlError(SYNTAX, f'unrecognized compression option: "{detail}"')
        level = int(text)
        if algorithm == "gzip" and not 1 <= level <= 9:
            raise SqlError(SYNTAX, f'compression algorithm "gzip" expects a compression level between 1 and 9 '
                                   f"(got {level})")
        opt.compression_level = level


# ---------------------------------------------------------------- the command
def base_backup(session, cmd: BaseBackup) -> None:
    opt = parse_options(cmd.options)
    server_dir = _server_target(session, opt.target_detail) if opt.target == "server" else None
    datadir = session.layout.datadir
    remove_stale_staging(datadir)
    staging = os.path.join(datadir, f"{STAGING_PREFIX}{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    # The copy is consistent at one moment, its start: reported as start AND end position
    # (on a physical connection at a WAL segment boundary, where pg_basebackup's WAL
    # receiver starts, so that -X stream ends at once with nothing to fetch).
    start = session.current_lsn()
    if session.physical:
        start = segment_start(start)
    sender = None
    try:
        result = copy_cluster(datadir, staging, opt.label)
        sender = _Sender(session, opt, staging, result, server_dir)
        sender.send_position(start)
        sender.send_tablespaces()
        sender.send_archive()
        sender.send_manifest(start, start)
        sender.end_copy()
        sender.send_position(start)
    finally:
        if sender is not None:
            sender.close()
        shutil.rmtree(staging, ignore_errors=True)
    session.command_complete("BASE_BACKUP")


def _server_target(session, path: str) -> str:
    """TARGET 'server': the archive and manifest written by the server into `path`, as
    basebackup_server.c checks it (who may, an absolute path, a new or empty directory)."""
    if not session.role.superuser and session.role.name not in _members(session, "pg_write_server_files"):
        raise SqlError("42501", "must be superuser or a role with privileges of the pg_write_server_files role "
                                "to create backup stored on server")
    if not os.path.isabs(path):
        raise SqlError("42602", "relative path not allowed for backup stored on server")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        if not os.path.isdir(path) or os.listdir(path):
            raise SqlError("58P02", f'directory "{path}" exists but is not empty') from None
    except OSError as e:
        raise SqlError("58030", f'could not create directory "{path}": {e.strerror}') from None
    return path


def _members(session, role: str) -> set[str]:
    catalog = GlobalCatalog(session.layout)
    try:
        return catalog.members_of(role)
    finally:
        catalog.close()


class _Sender:
    def __init__(self, session, opt: Options, staging: str, result: BackupResult,
                 server_dir: str | None = None) -> None:
        self.session = session
        self.conn = session.conn
        self.opt = opt
        self.staging = staging
        self.result = result
        self.new_protocol = opt.target is not None
        self.to_client = opt.target in (None, "client")
        self.server_dir = server_dir
        self.file = None
        if server_dir is not None:
            name = "base.tar.gz" if opt.compression == "gzip" else "base.tar"
            try:
                self.file = open(os.path.join(server_dir, name), "xb")  # noqa: SIM115  closed by close()
            except OSError as e:
                raise SqlError("58030", f'could not create file "{os.path.join(server_dir, name)}": '
                                        f"{e.strerror}") from None
        self.done = 0
        self.reported = 0.0
        self.started = time.monotonic()
        self.sums: dict[str, str] = {}
        self.compressor = None
        if opt.compression == "gzip":
            level = opt.compression_level if opt.compression_level is not None else zlib.Z_DEFAULT_COMPRESSION
            self.compressor = zlib.compressobj(level, zlib.DEFLATED, 31)

    def send_position(self, lsn: int) -> None:
        self.session.send_result([("recptr", O.TEXT, -1, 0), ("tli", O.INT8, -1, 0)], [(format_lsn(lsn), "1")])
        self.session.command_complete("SELECT")

    def send_tablespaces(self) -> None:
        size = str((self.result.total_size + 1023) // 1024) if self.opt.progress else None
        self.session.send_result([("spcoid", O.OID, 4, 0), ("spclocation", O.TEXT, -1, 0), ("size", O.INT8, 8, 0)],
                                 [(None, None, size)])
        self.session.command_complete("SELECT")
        if self.new_protocol:
            self.session.copy_out()

    # -- the archive
    def send_archive(self) -> None:
        name = "base.tar.gz" if self.compressor is not None else "base.tar"
        if self.new_protocol:  # announced to the client whatever the target, as PostgreSQL does
            self._copy_data(b"n" + name.encode() + b"\x00" + b"\x00")
        else:
            self.session.copy_out()
        for member in self.result.members:
            self._member(member)
        self._archive_bytes(b"\x00" * 1024)  # the end-of-archive marker: two zero blocks
        if self.compressor is not None:
            self._emit(self.compressor.flush())
        if self.new_protocol:
            if self.opt.progress:
                self._progress()
        else:
            self.conn.send(P.COPY_DONE)

    def _member(self, member) -> None:
        info = tarfile.TarInfo(member.path)
        info.mode = member.mode
        info.mtime = int(member.mtime)
        info.uid, info.gid = os.getuid(), os.getgid()
        if member.kind == "dir":
            info.type = tarfile.DIRTYPE
        elif member.kind == "symlink":
            info.type, info.linkname = tarfile.SYMTYPE, member.target
        else:
            info.size = member.size
        self._archive_bytes(info.tobuf(format=tarfile.USTAR_FORMAT, encoding="utf-8", errors="surrogateescape"))
        if member.kind != "file":
            return
        digest = hashlib.new(self.opt.checksum.lower()) if self.opt.checksum != "NONE" else None
        sent = 0
        with open(os.path.join(self.staging, member.path), "rb") as f:
            while sent < member.size:
                chunk = f.read(min(CHUNK, member.size - sent))
                if not chunk:
                    break
                sent += len(chunk)
                if digest is not None:
                    digest.update(chunk)
                self._archive_bytes(chunk)
        if sent < member.size:  # cannot happen (the staging copy is ours); keep the archive whole
            self._archive_bytes(b"\x00" * (member.size - sent))
        self._archive_bytes(b"\x00" * (-member.size % 512))
        if digest is not None:
            self.sums[member.path] = digest.hexdigest()

    def _archive_bytes(self, data: bytes) -> None:
        self.done += len(data)
        if self.compressor is not None:
            data = self.compressor.compress(data)
        self._emit(data)

    def _emit(self, data: bytes) -> None:
        if not data:
            return
        if self.to_client:
            self._copy_data(b"d" + data if self.new_protocol else data)
        elif self.file is not None:
            self.file.write(data)
        self._interrupts()
        self._throttle()
        if self.opt.progress and self.new_protocol and time.monotonic() - self.reported >= 1.0:
            self._progress()

    def _progress(self) -> None:
        self.reported = time.monotonic()
        self._copy_data(b"p" + struct.pack("!q", self.done))

    def _copy_data(self, payload: bytes) -> None:
        self.conn.send(P.encode_copy_data(payload))

    def _interrupts(self) -> None:
        self.session.check_interrupts()
        if self.session.signals.cancel_reason:
            raise SqlError(QUERY_CANCELED, "canceling statement due to user request")

    def _throttle(self) -> None:
        """MAX_RATE (kB/s): sleep until the bytes sent so far are within the rate."""
        if not self.opt.max_rate:
            return
        ahead = self.done / (self.opt.max_rate * 1024.0) - (time.monotonic() - self.started)
        if ahead > 0:
            self.conn.flush()
            time.sleep(min(ahead, 1.0))

    # -- the manifest
    def send_manifest(self, start: int, end: int) -> None:
        if self.opt.manifest == "no":
            return
        text = build_manifest(self.result, self.sums, self.opt.checksum, self.opt.manifest == "force-encode",
                              start, end).encode("utf-8")
        if self.new_protocol:
            self._copy_data(b"m")
            if self.server_dir is not None:
                with open(os.path.join(self.server_dir, "backup_manifest"), "xb") as f:
                    f.write(text)
            if not self.to_client:
                return
            for i in range(0, len(text), CHUNK):
                self._copy_data(b"d" + text[i:i + CHUNK])
        else:
            self.session.copy_out()
            for i in range(0, len(text), CHUNK):
                self._copy_data(text[i:i + CHUNK])
            self.conn.send(P.COPY_DONE)

    def end_copy(self) -> None:
        if self.new_protocol:
            self.conn.send(P.COPY_DONE)

    def close(self) -> None:
        if self.file is not None:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            self.file = None


def build_manifest(result: BackupResult, sums: dict[str, str], algorithm: str, encode: bool,
                   start: int, end: int) -> str:
    """backup_manifest as PostgreSQL 15 writes it: its last line's SHA-256 covers the rest."""
    entries = []
    for m in result.members:
        if m.kind != "file":
            continue
        path = f'"Encoded-Path": "{m.path.encode().hex()}"' if encode else f'"Path": {_json_string(m.path)}'
        modified = time.strftime("%Y-%m-%d %H:%M:%S GMT", time.gmtime(m.mtime))
        entry = f'{{ {path}, "Size": {m.size}, "Last-Modified": "{modified}"'
        if algorithm != "NONE":
            entry += f', "Checksum-Algorithm": "{algorithm}", "Checksum": "{sums.get(m.path, "")}"'
        entries.append(entry + " }")
    body = ('{ "PostgreSQL-Backup-Manifest-Version": 1,\n"Files": [\n' + ",\n".join(entries) + "\n],\n"
            '"WAL-Ranges": [\n'
            f'{{ "Timeline": 1, "Start-LSN": "{format_lsn(start)}", "End-LSN": "{format_lsn(end)}" }}'
            "\n],\n")
    return body + f'"Manifest-Checksum": "{hashlib.sha256(body.encode("utf-8")).hexdigest()}"}}\n'


def _json_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


dispatch.register("BASE_BACKUP", base_backup)
