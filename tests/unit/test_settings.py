"""Settings (GUCs): SET/SHOW/RESET semantics, DateStyle normalisation, contexts, units."""

from __future__ import annotations

import pytest

from pgsvc.errors import SqlError
from pgsvc.settings import DEFINITIONS, REPORTED, Settings


@pytest.fixture
def s() -> Settings:
    return Settings({"port": "5433", "log_connections": "on"})


def test_defaults_and_base(s):
    assert s["port"] == 5433
    assert s["max_connections"] == 100
    assert s.show("log_connections") == "on"
    assert s.show("server_version").startswith("15")
    assert s.show("DateStyle") == "ISO, MDY"
    assert s.show("datestyle") == "ISO, MDY"  # names are case-insensitive


@pytest.mark.parametrize("given, shown", [
    ("ISO, MDY", "ISO, MDY"), ("iso", "ISO, MDY"), ("DMY", "ISO, DMY"), ("sql, dmy", "SQL, DMY"),
    ("Postgres", "Postgres, MDY"), ("German", "German, DMY"), ("euro", "ISO, DMY"), ("US", "ISO, MDY"),
    ("ymd", "ISO, YMD"), ("ISO DMY", "ISO, DMY"), ("default", "ISO, MDY"),
])
def test_datestyle_normalised(s, given, shown):
    s.set_session("DateStyle", given)
    assert s.show("DateStyle") == shown


def test_datestyle_invalid(s):
    with pytest.raises(SqlError) as e:
        s.set_session("DateStyle", "ISO, nonsense")
    assert e.value.sqlstate == "22023"
    assert e.value.message == 'invalid value for parameter "DateStyle": "ISO, nonsense"'
    assert e.value.detail == 'Unrecognized key word: "nonsense".'


def test_set_reset_and_reported_changes(s):
    s.changed_reported()
    s.set_session("application_name", "psql")
    s.set_session("TimeZone", "Europe/Paris")
    assert s.show("application_name") == "psql"
    assert s.changed_reported() == {"TimeZone": "Europe/Paris", "application_name": "psql"}
    assert s.changed_reported() == {}
    s.reset_session("application_name")
    assert s.show("application_name") == ""
    assert s.changed_reported() == {"application_name": ""}
    s.set_session("statement_timeout", "5s")
    s.reset_session("all")
    assert s["statement_timeout"] == 0
    assert s.show("TimeZone") == "UTC"


def test_set_default_means_reset(s):
    s.set_session("search_path", "x")
    s.set_session("search_path", None)
    assert s.show("search_path") == '"$user", public'


@pytest.mark.parametrize("name, message", [
    ("port", 'parameter "port" cannot be changed without restarting the server'),
    ("max_connections", 'parameter "max_connections" cannot be changed without restarting the server'),
    ("authentication_timeout", 'parameter "authentication_timeout" cannot be changed now'),
    ("server_version", 'parameter "server_version" cannot be changed'),
    ("is_superuser", 'parameter "is_superuser" cannot be changed'),
])
def test_contexts_refuse_set(s, name, message):
    with pytest.raises(SqlError) as e:
        s.set_session(name, "1")
    assert e.value.sqlstate == "55P02"
    assert e.value.message == message


def test_superuser_context(s):
    with pytest.raises(SqlError) as e:
        s.set_session("log_statement", "all", superuser=False)
    assert e.value.sqlstate == "42501"
    s.set_session("log_statement", "all", superuser=True)
    assert s["log_statement"] == "all"


def test_unknown_and_placeholder(s):
    with pytest.raises(SqlError) as e:
        s.show("no_such_thing")
    assert e.value.sqlstate == "42704"
    assert e.value.message == 'unrecognized configuration parameter "no_such_thing"'
    s.set_session("myapp.flag", "yes")
    assert s.show("myapp.flag") == "yes"
    with pytest.raises(SqlError):
        s.show("other.unset")


def test_units_in_set_and_show(s):
    s.set_session("statement_timeout", "1min")
    assert s["statement_timeout"] == 60000
    assert s.show("statement_timeout") == "1min"
    s.set_session("statement_timeout", "1500")
    assert s.show("statement_timeout") == "1500ms"
    s.set_session("statement_timeout", "2s")
    assert s.show("statement_timeout") == "2s"
    with pytest.raises(SqlError) as e:
        s.set_session("statement_timeout", "3 fortnights")
    assert e.value.sqlstate == "22023"
    with pytest.raises(SqlError) as e:
        s.set_session("statement_timeout", "-5")
    assert "outside the valid range" in e.value.message


@pytest.mark.parametrize("text, value", [
    ("on", True), ("off", False), ("true", True), ("FALSE", False), ("yes", True), ("no", False),
    ("1", True), ("0", False), ("tr", True), ("fa", False),
])
def test_booleans(s, text, value):
    s.set_session("standard_conforming_strings", text)
    assert s["standard_conforming_strings"] is value


def test_boolean_invalid(s):
    with pytest.raises(SqlError) as e:
        s.set_session("standard_conforming_strings", "o")  # ambiguous: on/off
    assert e.value.message == 'parameter "standard_conforming_strings" requires a Boolean value'


def test_enum(s):
    s.set_session("client_min_messages", "WARNING")
    assert s.show("client_min_messages") == "warning"
    with pytest.raises(SqlError) as e:
        s.set_session("client_min_messages", "loud")
    assert e.value.hint.startswith("Available values: ")


def test_reload_base_keeps_session_values_and_restart_only_settings(s):
    s.set_session("application_name", "mine")
    s.changed_reported()
    fresh = Settings({"port": "9999", "application_name": "fromfile", "TimeZone": "Asia/Tokyo"})
    s.reload_base(fresh.base)
    assert s["port"] == 5433  # postmaster context: not changed by a reload
    assert s.show("application_name") == "mine"  # the session's SET wins
    assert s.show("TimeZone") == "Asia/Tokyo"
    assert s.changed_reported() == {"TimeZone": "Asia/Tokyo"}


def test_copy_base_is_independent(s):
    c = s.copy_base()
    c.set_session("application_name", "x")
    assert s.show("application_name") == ""


def test_reported_set_matches_protocol_list():
    for name in ("server_version", "server_encoding", "client_encoding", "DateStyle", "TimeZone",
                 "integer_datetimes", "standard_conforming_strings", "application_name", "is_superuser",
                 "session_authorization", "IntervalStyle"):
        assert name in REPORTED
        assert DEFINITIONS[name.lower()].reported


def test_socket_permissions_shown_octal():
    assert Settings({"unix_socket_permissions": "0770"}).show("unix_socket_permissions") == "0770"
