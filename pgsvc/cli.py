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
@click.option("-D", "--pgdata", "target", required=True, type=click.Path(file_okay=False),
              help="directory to write the backup to (created, or empty), as pg_basebackup -D")
@click.option("-s", "--source", "datadir", envvar="PGDATA", required=True, type=click.Path(file_okay=False),
              help="data directory to back up (default: $PGDATA)")
@click.option("-F", "--format", "fmt", default="p", show_default=True, type=click.Choice(["p", "plain", "t", "tar"]),
              help="p: a data directory pgsvc starts on; t: base.tar in DIR")
@click.option("-z", "--gzip", is_flag=True, help="tar format: base.tar.gz")
@click.option("-l", "--label", default="pgsvc basebackup", show_default=True, help="written to backup_label")
def basebackup(target, datadir, fmt, gzip, label) -> None:
    """Take a hot backup of a data directory, the server running or not.

    Every SQLite file is copied with SQLite's online backup API from read transactions
    opened together, so all databases are consistent at one moment and writers go on.
    Run it as the database account (as root it drops to the data directory's owner)."""
    import pwd

    from pgsvc.cluster.backup import basebackup as run_basebackup
    from pgsvc.cluster.checks import check_marker
    from pgsvc.cluster.layout import Layout
    from pgsvc.os_account import Account, drop_privileges

    try:
        check_marker(Layout(os.path.abspath(datadir)))
        if os.geteuid() == 0:  # the copy must belong to the account the server runs as
            owner = os.stat(datadir).st_uid
            entry = pwd.getpwuid(owner)
            drop_privileges(Account(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir))
        result = run_basebackup(datadir, target, fmt[0], gzip, label)
    except (PgsvcError, OSError) as e:
        _fail(e)
    click.echo(f'pgsvc basebackup: {len([m for m in result.members if m.kind == "file"])} files, '
               f"{(result.total_size + 1023) // 1024} kB, consistent as of "
               f"{result.started:%Y-%m-%d %H:%M:%S} UTC, written to {target}")


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
@click.option("-D", "--pgdata", "datadir", envvar="PGDATA", help=DATADIR_HELP)
@click.option("--cluster", metavar="NAME", help="the systemd instance NAME (data in /var/lib/pgsvc/NAME)")
@click.option("--json", "fmt", flag_value="json", help="JSON (keys: pgsvc/monitor/README.md)")
@click.option("--prometheus", "fmt", flag_value="prometheus", help="Prometheus text exposition format")
def status(datadir, cluster, fmt) -> None:
    """Is the server running, and what is it doing? Exit 0 running, 3 not running, 4 unknown."""
    from pgsvc.monitor.status import status_report

    fmt = fmt or "text"
    code, text = status_report(datadir, cluster, fmt)
    click.echo(text, nl=False, err=code == 4 and fmt == "text")
    sys.exit(code)


@main.command()
@click.option("-D", "--pgdata", "datadir", envvar="PGDATA", help=DATADIR_HELP)
@click.option("--cluster", metavar="NAME", help="the systemd instance NAME (data in /var/lib/pgsvc/NAME)")
@click.option("-n", "--iterations", type=click.IntRange(min=1), help="stop after N refreshes")
@click.option("-d", "--delay", default=1.0, show_default=True, type=click.FloatRange(min=0.1),
              help="seconds between refreshes")
@click.option("-b", "--batch", is_flag=True, help="plain text frames instead of a full-screen view")
def top(datadir, cluster, iterations, delay, batch) -> None:
    """Live view of the backends, refreshed every second (q or Ctrl-C quits)."""
    from pgsvc.monitor.status import resolve_datadir
    from pgsvc.monitor.top import run_top

    path, error = resolve_datadir(datadir, cluster)
    if path is None:
        _fail(PgsvcError(error), 4)
    sys.exit(run_top(path, cluster, iterations, delay, batch))


@main.command(name="ls")
@click.option("-D", "--pgdata", "datadirs", multiple=True, help="also list this data directory (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="JSON: a list of objects")
@click.option("--no-discover", is_flag=True, help="do not look for running servers not configured")
def ls_clusters(datadirs, as_json, no_discover) -> None:
    """List the clusters on this machine (like pg_lsclusters)."""
    from pgsvc.monitor.clusters import list_clusters, render_clusters, render_clusters_json

    rows = list_clusters(list(datadirs), discover=not no_discover)
    click.echo((render_clusters_json if as_json else render_clusters)(rows), nl=False)


def _connection_flags(f):
    """libpq's connection options, as pg_dump takes them (the environment fills the gaps)."""
    f = click.option("-W", "--password", "prompt", flag_value=True, default=None,
                     help="prompt for a password before connecting")(f)
    f = click.option("-w", "--no-password", "prompt", flag_value=False,
                     help="never prompt for a password")(f)
    f = click.option("-U", "--username", help="connect as this role (default: $PGUSER, the OS user)")(f)
    f = click.option("-p", "--port", help="server port (default: $PGPORT, 5432)")(f)
    f = click.option("-h", "--host", help="server host or socket directory (default: $PGHOST, a local socket)")(f)
    return f


def _dump_flags(f):
    f = click.option("--column-inserts", "inserts", flag_value="columns",
                     help="INSERT statements with column names instead of COPY")(f)
    f = click.option("--inserts", "inserts", flag_value="values", help="INSERT statements instead of COPY")(f)
    f = click.option("--no-comments", is_flag=True, help="no COMMENT statements")(f)
    f = click.option("-x", "--no-privileges", "--no-acl", "no_privileges", is_flag=True,
                     help="no GRANT/REVOKE statements")(f)
    f = click.option("-O", "--no-owner", is_flag=True, help="no ALTER ... OWNER TO statements")(f)
    f = click.option("--if-exists", is_flag=True, help="DROP ... IF EXISTS (with --clean)")(f)
    f = click.option("-c", "--clean", is_flag=True, help="drop objects before creating them")(f)
    f = click.option("-a", "--data-only", is_flag=True, help="data only, no definitions")(f)
    f = click.option("-s", "--schema-only", is_flag=True, help="definitions only, no data")(f)
    f = click.option("-f", "--file", "outfile", type=click.Path(dir_okay=False),
                     help="write the script to this file (default: standard output)")(f)
    return _connection_flags(f)


def _run_dump_command(program: str, run) -> None:
    from pgsvc.dump.run import DumpFailure

    try:
        run()
    except DumpFailure as e:
        for i, line in enumerate(str(e).split("\n")):
            click.echo(f"{program}: error: {line}" if i == 0 else line, err=True)
        if e.detail:
            click.echo(f"{program}: detail: {e.detail}", err=True)
        sys.exit(1)
    except OSError as e:
        click.echo(f"{program}: error: {e.strerror or e}", err=True)
        sys.exit(1)


def _open_output(outfile):
    from pgsvc.dump.run import DumpFailure

    if not outfile:
        return click.get_binary_stream("stdout")
    try:
        return open(outfile, "wb")
    except OSError as e:
        raise DumpFailure(f'could not open output file "{outfile}": {e.strerror}') from None


@main.command()
@click.argument("dbname_arg", metavar="[DBNAME]", required=False)
@click.option("-d", "--dbname", help="database to dump (default: $PGDATABASE, the user name)")
@click.option("-t", "--table", "tables", multiple=True, metavar="PATTERN",
              help="only matching tables, views and sequences (repeatable)")
@click.option("-n", "--schema", "schemas", multiple=True, metavar="PATTERN",
              help="only matching schemas and what they hold (repeatable)")
@click.option("-C", "--create", is_flag=True, help="CREATE DATABASE and \\connect to it first")
@_dump_flags
def dump(dbname_arg, dbname, tables, schemas, create, outfile, schema_only, data_only, clean, if_exists, no_owner,
         no_privileges, no_comments, inserts, host, port, username, prompt) -> None:
    """Write a database as a plain SQL script (like pg_dump) that PostgreSQL 15's psql
    and pgsvc load: schema, data (COPY), sequence values, constraints, indexes, views,
    comments, owners and GRANTs. Connects as psql does (-h -p -U, PG* variables)."""
    from pgsvc.dump.options import DumpOptions
    from pgsvc.dump.run import Target, run_dump

    opts = DumpOptions(schema_only, data_only, list(tables), list(schemas), no_owner, no_privileges,
                       no_comments, clean, if_exists, create, inserts)
    target = Target(host, port, username, dbname or dbname_arg, prompt)

    def run():
        run_dump(target, opts, lambda: _open_output(outfile))

    _run_dump_command("pgsvc dump", run)


@main.command()
@click.option("-l", "--database", "dbname", help="database to read roles and the database list from "
              "(default: postgres)")
@click.option("-g", "--globals-only", is_flag=True, help="roles only, no databases")
@click.option("-r", "--roles-only", is_flag=True, help="roles only, no databases")
@click.option("--no-role-passwords", is_flag=True, help="leave out password verifiers (no superuser needed)")
@_dump_flags
def dumpall(dbname, globals_only, roles_only, no_role_passwords, outfile, schema_only, data_only, clean,
            if_exists, no_owner, no_privileges, no_comments, inserts, host, port, username, prompt) -> None:
    """Write the whole cluster as a plain SQL script (like pg_dumpall): roles and their
    memberships, then each database (CREATE DATABASE, \\connect, its dump)."""
    from pgsvc.dump.options import DumpOptions
    from pgsvc.dump.run import DumpallOptions, Target, run_dumpall

    opts = DumpOptions(schema_only, data_only, [], [], no_owner, no_privileges, no_comments,
                       clean, if_exists, False, inserts)
    target = Target(host, port, username, dbname, prompt)
    all_opts = DumpallOptions(globals_only, roles_only, no_role_passwords)

    def run():
        with _open_output(outfile) as stream:
            run_dumpall(target, opts, all_opts, stream)

    _run_dump_command("pgsvc dumpall", run)


if __name__ == "__main__":
    main()
