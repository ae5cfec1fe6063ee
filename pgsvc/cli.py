"""pgsvc's command line (click). Thin: parse arguments, call the library, map errors to
exit codes.

Exit codes are a contract with scripts: `pgsvc status` exits 0 when the server runs,
3 when it does not, 4 when the data directory cannot be read (as `pg_ctl status` and
LSB init scripts); other commands exit 1 on failure, as pg_ctl does.
"""

from __future__ import annotations

import os
import sys

import click

from pgsvc import __version__
from pgsvc.errors import PgsvcError

DATADIR_HELP = "data directory (default: $PGDATA)"


def _datadir_option(f):
    return click.option("-D", "--pgdata", "datadir", envvar="PGDATA", required=True,
                        type=click.Path(file_okay=False), help=DATADIR_HELP)(f)


def _fail(err: Exception, code: int = 1) -> None:
    click.echo(str(err), err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-?", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="pgsvc",
                      message="%(prog)s (pgsvc) %(version)s, PostgreSQL 15 compatible")
def main() -> None:
    """pgsvc: a PostgreSQL-compatible database service (PostgreSQL protocol and SQL on SQLite)."""


@main.command()
@_datadir_option
@click.option("-U", "--username", help="database superuser name (default: the owning OS account)")
@click.option("-A", "--auth", default="trust", show_default=True,
              type=click.Choice(["trust", "scram-sha-256", "md5", "password", "peer", "reject"]),
              help="authentication method for local and host connections")
@click.option("--auth-local", type=click.Choice(["trust", "scram-sha-256", "md5", "password", "peer", "reject"]),
              help="method for Unix-socket connections")
@click.option("--auth-host", type=click.Choice(["trust", "scram-sha-256", "md5", "password", "reject"]),
              help="method for TCP connections")
@click.option("--pwfile", type=click.Path(dir_okay=False), help="read the superuser's password from this file")
@click.option("--owner", help="OS account that will own the cluster (required when run as root)")
@click.option("-c", "settings", multiple=True, metavar="NAME=VALUE", help="set a value in pgsvc.conf")
def initdb(datadir, username, auth, auth_local, auth_host, pwfile, owner, settings) -> None:
    """Create a new cluster (data directory)."""
    from pgsvc.cluster.initdb import InitdbOptions, initdb as run_initdb

    values = {}
    for pair in settings:
        name, sep, value = pair.partition("=")
        if not sep:
            _fail(PgsvcError(f"pgsvc initdb: -c {pair} requires a value"))
        values[name.strip()] = value
    opts = InitdbOptions(datadir, username, auth, auth_local, auth_host, pwfile, owner, values)
    try:
        account = run_initdb(opts)
    except PgsvcError as e:
        _fail(e)
    click.echo(f'Success. The cluster in "{os.path.abspath(datadir)}" is owned by "{account.name}".')
    click.echo("You can now start the database server using:\n\n"
               f"    pgsvc start -D {datadir} -l logfile\n")


def _server_options(datadir, port, host, sockdir, user, settings):
    from pgsvc.cluster.config import ConfigError, parse_assignments
    from pgsvc.supervisor.startup import ServerOptions

    try:
        overrides = parse_assignments(list(settings))
        if port is not None:
            overrides.update(parse_assignments([f"port={port}"]))
        if host is not None:
            overrides["listen_addresses"] = host
        if sockdir is not None:
            overrides["unix_socket_directories"] = sockdir
    except ConfigError as e:
        _fail(PgsvcError(f"pgsvc: {e}"))
    return ServerOptions(datadir, user, overrides)


def _server_flags(f):
    f = click.option("-c", "settings", multiple=True, metavar="NAME=VALUE", help="set a run-time parameter")(f)
    f = click.option("--user", help="account to drop to when started as root")(f)
    f = click.option("-k", "sockdir", help="Unix-socket directory (unix_socket_directories)")(f)
    f = click.option("-h", "host", help="addresses to listen on (listen_addresses); '' for none")(f)
    f = click.option("-p", "port", type=int, help="port (default: from pgsvc.conf)")(f)
    return _datadir_option(f)


@main.command()
@_server_flags
def server(datadir, port, host, sockdir, user, settings) -> None:
    """Run the server in the foreground (what systemd runs)."""
    from pgsvc.supervisor.postmaster import serve

    opts = _server_options(datadir, port, host, sockdir, user, settings)
    try:
        sys.exit(serve(opts))
    except PgsvcError as e:
        _fail(e)


@main.command()
@_server_flags
@click.option("-l", "--log", "logfile", type=click.Path(dir_okay=False), help="append server output to this file")
@click.option("-w", "wait", flag_value=True, default=True, help="wait until the server is ready (default)")
@click.option("-W", "wait", flag_value=False, help="do not wait")
@click.option("-t", "--timeout", default=60, show_default=True, help="seconds to wait")
def start(datadir, port, host, sockdir, user, settings, logfile, wait, timeout) -> None:
    """Start the server in the background (like pg_ctl start)."""
    from pgsvc.control import ControlError, start_server

    opts = _server_options(datadir, port, host, sockdir, user, settings)
    try:
        start_server(opts, logfile, wait, timeout)
    except ControlError as e:
        _fail(e)


@main.command()
@_datadir_option
@click.option("-m", "--mode", default="fast", show_default=True,
              type=click.Choice(["smart", "fast", "immediate", "s", "f", "i"]))
@click.option("-w", "wait", flag_value=True, default=True)
@click.option("-W", "wait", flag_value=False)
@click.option("-t", "--timeout", default=60, show_default=True)
def stop(datadir, mode, wait, timeout) -> None:
    """Stop the server (like pg_ctl stop)."""
    from pgsvc.control import ControlError, stop_server

    try:
        stop_server(datadir, mode, wait, timeout)
    except ControlError as e:
        _fail(e)


@main.command()
@_server_flags
@click.option("-m", "--mode", default="fast", show_default=True,
              type=click.Choice(["smart", "fast", "immediate", "s", "f", "i"]))
@click.option("-l", "--log", "logfile", type=click.Path(dir_okay=False))
@click.option("-t", "--timeout", default=60, show_default=True)
def restart(datadir, port, host, sockdir, user, settings, mode, logfile, timeout) -> None:
    """Stop the server if it runs, then start it."""
    from pgsvc.control import ControlError, server_running, start_server, stop_server

    opts = _server_options(datadir, port, host, sockdir, user, settings)
    try:
        if server_running(datadir):
            stop_server(datadir, mode, True, timeout)
        else:
            click.echo("pgsvc: PID file does not exist; trying to start server anyway", err=True)
        start_server(opts, logfile, True, timeout)
    except ControlError as e:
        _fail(e)


@main.command()
@_datadir_option
def reload(datadir) -> None:
    """Make the server re-read pgsvc.conf and pg_hba.conf (SIGHUP)."""
    from pgsvc.control import ControlError, reload_server

    try:
        reload_server(datadir)
    except ControlError as e:
        _fail(e)


@main.command()
@_datadir_option
def status(datadir) -> None:
    """Is the server running? Exit 0 running, 3 not running, 4 unknown."""
    from pgsvc.control import server_status

    code, text = server_status(datadir)
    click.echo(text, err=code == 4)
    sys.exit(code)


if __name__ == "__main__":
    main()
