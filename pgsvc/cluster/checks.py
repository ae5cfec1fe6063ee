"""Start-up step 2: the data directory is ours, private, and of a layout we understand.

PostgreSQL's checkDataDir, with pgsvc's version marker. Each refusal names the
problem and the fix; nothing in the directory is changed by a failed check.
"""

from __future__ import annotations

import os
import stat

from pgsvc.cluster.layout import LAYOUT_VERSION, Layout
from pgsvc.errors import StartupError


def check_data_directory(datadir: str) -> Layout:
    """Invariant: the directory exists, is owned by the effective uid, has mode 0700 or
    0750, and carries our marker. Other owners or wider modes would let other local
    accounts read or plant database files (or the lock file) under the server."""
    try:
        st = os.stat(datadir)
    except FileNotFoundError:
        raise StartupError(f'pgsvc: data directory "{datadir}" does not exist\n'
                           f'Run "pgsvc initdb -D {datadir}" to create a cluster there.') from None
    except PermissionError:
        raise StartupError(f'pgsvc: could not access data directory "{datadir}": Permission denied\n'
                           "The server must be able to enter every directory on the path.") from None
    if not stat.S_ISDIR(st.st_mode):
        raise StartupError(f'pgsvc: specified data directory "{datadir}" is not a directory')
    if st.st_uid != os.geteuid():
        raise StartupError(f'pgsvc: data directory "{datadir}" has wrong ownership\n'
                           "The server must be started by the user that owns the data directory "
                           f"(uid {st.st_uid}; the server runs as uid {os.geteuid()}).")
    mode = stat.S_IMODE(st.st_mode)
    if mode not in (0o700, 0o750):
        raise StartupError(f'pgsvc: data directory "{datadir}" has invalid permissions\n'
                           f"DETAIL:  Permissions should be u=rwx (0700) or u=rwx,g=rx (0750); they are {mode:04o}.\n"
                           f"HINT:  chmod 0700 {datadir}")
    layout = Layout(os.path.abspath(datadir))
    check_marker(layout)
    return layout


def check_marker(layout: Layout) -> None:
    try:
        with open(layout.marker, encoding="ascii") as f:
            found = f.read().strip()
    except FileNotFoundError:
        raise StartupError(f'pgsvc: "{layout.datadir}" is not a valid data directory\n'
                           f'DETAIL:  File "{layout.marker}" is missing.\n'
                           f'HINT:  Run "pgsvc initdb -D DIR" to create a cluster.') from None
    if found != LAYOUT_VERSION:
        raise StartupError(f"pgsvc: database files are incompatible with server\n"
                           f"DETAIL:  The data directory was initialized by pgsvc layout version {found}, "
                           f"which is not compatible with this version {LAYOUT_VERSION}.")
