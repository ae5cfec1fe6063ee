"""pgsvc.conf in postgresql.conf syntax (guc-file.l): separators, quoting, comments,
include, units, and errors that name the file and line."""

from __future__ import annotations

import pytest

from pgsvc.cluster.config import ConfigError, parse_assignments, read_config, render_config


def conf(tmp_path, text: str, name: str = "pgsvc.conf"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_separators_and_comments(tmp_path):
    values = read_config(conf(tmp_path, """
# a comment
port = 5433
max_connections 50        # no equals sign
listen_addresses='127.0.0.1,::1'   # quoted, no spaces around =
   log_connections   =   on
LOG_DISCONNECTIONS = true
"""))
    assert values["port"] == 5433
    assert values["max_connections"] == 50
    assert values["listen_addresses"] == "127.0.0.1,::1"
    assert values["log_connections"] is True
    assert values["log_disconnections"] is True


def test_quoting_rules(tmp_path):
    values = read_config(conf(tmp_path, r"""
application_name = 'it''s'
search_path = 'a\'b'
log_line_prefix = '%m # not a comment '
ssl_cert_file = 'line\tx'
unix_socket_group = ''
"""))
    assert values["application_name"] == "it's"
    assert values["search_path"] == "a'b"
    assert values["log_line_prefix"].rstrip() == "%m # not a comment"
    assert values["ssl_cert_file"] == "line\tx"
    assert values["unix_socket_group"] == ""


def test_quoted_blanks_are_kept(tmp_path):
    assert read_config(conf(tmp_path, "log_line_prefix = ' %m '\n"))["log_line_prefix"] == " %m "


def test_later_assignment_wins(tmp_path):
    assert read_config(conf(tmp_path, "port = 1\nport = 2\n"))["port"] == 2


def test_units(tmp_path):
    values = read_config(conf(tmp_path, """
authentication_timeout = 2min
statement_timeout = 1.5s
lock_timeout = 250
idle_session_timeout = 1h
checkpoint_timeout = 1d
"""))
    assert values["authentication_timeout"] == 120
    assert values["statement_timeout"] == 1500
    assert values["lock_timeout"] == 250
    assert values["idle_session_timeout"] == 3_600_000
    assert values["checkpoint_timeout"] == 86400


def test_octal_and_hex_integers(tmp_path):
    values = read_config(conf(tmp_path, "unix_socket_permissions = 0770\nport = 0x1538\n"))
    assert values["unix_socket_permissions"] == 0o770
    assert values["port"] == 0x1538


def test_include_relative_nested_and_if_exists(tmp_path):
    (tmp_path / "sub").mkdir()
    conf(tmp_path, "port = 7000\ninclude 'inner.conf'\n", "sub/extra.conf")
    conf(tmp_path, "max_connections = 7\n", "sub/inner.conf")
    values = read_config(conf(tmp_path, "port = 1\ninclude 'sub/extra.conf'\n"
                                        "include_if_exists = 'missing.conf'\nlog_connections = on\n"))
    assert values == {"port": 7000, "max_connections": 7, "log_connections": True}


def test_include_dir_reads_conf_files_in_name_order(tmp_path):
    (tmp_path / "conf.d").mkdir()
    conf(tmp_path, "port = 7001\nmax_connections = 9\n", "conf.d/10-first.conf")
    conf(tmp_path, "port = 7002\n", "conf.d/20-second.conf")
    conf(tmp_path, "port = 1\n", "conf.d/.hidden.conf")
    conf(tmp_path, "port = 2\n", "conf.d/30-ignored.conf.bak")
    values = read_config(conf(tmp_path, "port = 5\ninclude_dir 'conf.d'\n"))
    assert values == {"port": 7002, "max_connections": 9}
    with pytest.raises(ConfigError) as e:
        read_config(conf(tmp_path, "include_dir = 'missing.d'\n"))
    assert 'could not open configuration directory' in str(e.value)


def test_include_missing_file_is_an_error(tmp_path):
    with pytest.raises((ConfigError, OSError)):
        read_config(conf(tmp_path, "include 'nope.conf'\n"))


def test_include_recursion_is_bounded(tmp_path):
    path = conf(tmp_path, "include 'pgsvc.conf'\n")
    with pytest.raises(ConfigError) as e:
        read_config(path)
    assert "nesting depth" in str(e.value)


def test_custom_placeholder_variables(tmp_path):
    assert read_config(conf(tmp_path, "myapp.mode = 'x'\n")) == {"myapp.mode": "x"}


@pytest.mark.parametrize("text, needle", [
    ("no_such_setting = 1\n", 'unrecognized configuration parameter "no_such_setting"'),
    ("port = 'abc'\n", 'invalid value for parameter "port"'),
    ("port = 99999\n", "outside the valid range"),
    ("authentication_timeout = 5 parsecs\n", "syntax error"),
    ("authentication_timeout = 5kB\n", 'invalid value for parameter "authentication_timeout"'),
    ("log_connections = maybe\n", 'requires a Boolean value'),
    ("log_statement = everything\n", 'invalid value for parameter "log_statement"'),
    ("port = 'unterminated\n", "syntax error"),
    ("= 5\n", "syntax error"),
    ("port = 5 6\n", "syntax error"),
    ("port =\n", "syntax error"),
    ("port = # nothing\n", "syntax error"),
])
def test_errors_name_file_and_line(tmp_path, text, needle):
    path = conf(tmp_path, "# ok\n" + text)
    with pytest.raises(ConfigError) as e:
        read_config(path)
    assert needle in str(e.value)
    assert "line 2" in str(e.value)
    assert path in str(e.value)


def test_command_line_assignments():
    assert parse_assignments(["port=6000", "max-connections=5", "application_name=a=b"]) == {
        "port": 6000, "max_connections": 5, "application_name": "a=b"}
    with pytest.raises(ConfigError):
        parse_assignments(["port"])
    with pytest.raises(ConfigError):
        parse_assignments(["nope=1"])


def test_render_round_trips(tmp_path):
    settings = {"listen_addresses": "localhost", "port": "5432", "unix_socket_permissions": "0777",
                "application_name": "it's here", "user": "pgsvc"}
    text = render_config(settings)
    assert "# (restart)" in text and "# (reload)" not in text.split("application_name")[0].split("\n")[-1]
    values = read_config(conf(tmp_path, text))
    assert values["application_name"] == "it's here"
    assert values["unix_socket_permissions"] == 0o777
    assert values["user"] == "pgsvc"


@pytest.mark.parametrize("text, user", [
    ("user = 'svc'  # (restart)\n", "svc"),
    ("user svc\n", "svc"),
    ("user='s''vc'\n", "s'vc"),
    ("user = 'a'\nuser = 'b'\n", "b"),
    ("# user = 'a'\nport = 1\n", None),
    ("username = 'x'\n", None),
    ("user = ''\n", None),
])
def test_configured_user_read_before_dropping_root(tmp_path, text, user):
    import os

    from pgsvc.supervisor.startup import configured_user_from

    path = conf(tmp_path, text)
    assert configured_user_from(os.open(path, os.O_RDONLY)) == user
