"""The cluster-wide part of `pgsvc dumpall`: roles with their attributes and password
verifiers, per-role settings, role memberships — written as pg_dumpall writes them, so
PostgreSQL 15 and pgsvc both load them."""

from __future__ import annotations

from dataclasses import dataclass

from pgsvc.client import Connection
from pgsvc.dump.introspect import parse_text_array
from pgsvc.dump.quoting import quote_literal
from pgsvc.sql.quoting import quote_ident

# settings whose values are lists of names, each quoted on its own (GUC_LIST_QUOTE)
LIST_SETTINGS = {"search_path", "temp_tablespaces", "session_preload_libraries",
                 "shared_preload_libraries", "local_preload_libraries"}

ATTRIBUTES = (("rolsuper", "SUPERUSER"), ("rolinherit", "INHERIT"), ("rolcreaterole", "CREATEROLE"),
              ("rolcreatedb", "CREATEDB"), ("rolcanlogin", "LOGIN"), ("rolreplication", "REPLICATION"),
              ("rolbypassrls", "BYPASSRLS"))


@dataclass
class Role:
    name: str
    flags: dict[str, bool]
    connlimit: int
    password: str | None
    valid_until: str | None
    config: list[str]


def read_roles(conn: Connection, with_passwords: bool) -> list[Role]:
    """Roles other than the predefined pg_* ones. Passwords are in pg_authid, which only a
    superuser reads (pg_dumpall's rule; --no-role-passwords reads pg_roles instead)."""
    source = "pg_catalog.pg_authid" if with_passwords else "pg_catalog.pg_roles"
    password = "a.rolpassword" if with_passwords else "NULL"
    columns = ", ".join(f"a.{col}" for col, _ in ATTRIBUTES)
    rows = conn.query(
        f"SELECT a.rolname, {columns}, a.rolconnlimit, {password}, a.rolvaliduntil, r.rolconfig "
        f"FROM {source} a JOIN pg_catalog.pg_roles r ON r.oid = a.oid "
        "WHERE a.rolname !~ '^pg_' ORDER BY a.rolname").rows
    roles = []
    for row in rows:
        flags = {col: row[1 + i] == "t" for i, (col, _) in enumerate(ATTRIBUTES)}
        n = 1 + len(ATTRIBUTES)
        roles.append(Role(row[0], flags, int(row[n]), row[n + 1], row[n + 2],
                          parse_text_array(row[n + 3])))
    return roles


def read_memberships(conn: Connection) -> list[tuple[str, str, str | None, bool]]:
    """(role, member, grantor, admin option); memberships among predefined roles are the
    server's own."""
    rows = conn.query(
        "SELECT ur.rolname, um.rolname, ug.rolname, a.admin_option FROM pg_catalog.pg_auth_members a "
        "JOIN pg_catalog.pg_roles ur ON ur.oid = a.roleid "
        "JOIN pg_catalog.pg_roles um ON um.oid = a.member "
        "LEFT JOIN pg_catalog.pg_roles ug ON ug.oid = a.grantor "
        "WHERE um.rolname !~ '^pg_' ORDER BY 1, 2").rows
    return [(role, member, grantor, admin == "t") for role, member, grantor, admin in rows]


def role_statements(role: Role, current_user: str) -> list[str]:
    create = f"CREATE ROLE {quote_ident(role.name)};"
    if role.name == current_user:
        # The role running the dump most likely exists where the script is loaded (it is
        # who loads it); pg_dumpall's CREATE would fail there and stop an ON_ERROR_STOP
        # restore, so psql creates it only if it is missing.
        create = ("SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = "
                  f"{quote_literal(role.name)}) AS pgsvc_create_role \\gset\n"
                  f"\\if :pgsvc_create_role\n{create}\n\\endif")
    return [create, alter_role(role)]


def alter_role(role: Role) -> str:
    words = [name if role.flags[col] else "NO" + name for col, name in ATTRIBUTES]
    if role.connlimit != -1:
        words.append(f"CONNECTION LIMIT {role.connlimit}")
    if role.password is not None:
        words.append(f"PASSWORD {quote_literal(role.password)}")
    if role.valid_until is not None:
        words.append(f"VALID UNTIL {quote_literal(role.valid_until)}")
    return f"ALTER ROLE {quote_ident(role.name)} WITH {' '.join(words)};"


def config_statements(role: Role) -> list[str]:
    return [f"ALTER ROLE {quote_ident(role.name)} SET {set_clause(item)};" for item in role.config]


def user_config_block(role: Role) -> str:
    """A role's settings under pg_dumpall's 'User Config "name"' heading ('' without any)."""
    if not role.config:
        return ""
    heading = role.name.replace("\n", " ").replace("\r", " ")  # a comment line stays one line
    return f'\n--\n-- User Config "{heading}"\n--\n\n' + "".join(s + "\n" for s in config_statements(role))


def database_config_statements(conn: Connection, dbname: str) -> list[str]:
    """ALTER DATABASE d SET ... and ALTER ROLE r IN DATABASE d SET ..., as pg_dump writes
    them for a database it creates (-C, and dumpall's databases but template1/postgres)."""
    oid = f"(SELECT oid FROM pg_catalog.pg_database WHERE datname = {quote_literal(dbname)})"
    own = conn.query("SELECT pg_catalog.unnest(setconfig) FROM pg_catalog.pg_db_role_setting "
                     f"WHERE setrole = 0 AND setdatabase = {oid}").rows
    per_role = conn.query("SELECT r.rolname, s.setconfig FROM pg_catalog.pg_db_role_setting s "
                          f"JOIN pg_catalog.pg_roles r ON r.oid = s.setrole WHERE s.setdatabase = {oid} "
                          "ORDER BY r.rolname").rows
    name = quote_ident(dbname)
    out = [f"ALTER DATABASE {name} SET {set_clause(item)};" for (item,) in own]
    for role, config in per_role:
        out += [f"ALTER ROLE {quote_ident(role)} IN DATABASE {name} SET {set_clause(item)};"
                for item in parse_text_array(config)]
    return out


def set_clause(item: str) -> str:
    """'name=value' from setconfig as `name TO value` (pg_dump's makeAlterConfigCommand):
    the name quoted as an identifier, list settings element by element."""
    name, _, value = item.partition("=")
    if name.lower() in LIST_SETTINGS:
        return f"{quote_ident(name)} TO " + ", ".join(quote_literal(v) for v in split_list(value))
    return f"{quote_ident(name)} TO {quote_literal(value)}"


def split_list(value: str) -> list[str]:
    """A list setting's elements: comma-separated, blanks around them dropped, double
    quotes keeping a name as written (the server's SplitGUCList)."""
    items, current, quoted, i = [], [], False, 0
    while i < len(value):
        ch = value[i]
        if ch == '"':
            if quoted and value[i + 1:i + 2] == '"':
                current.append('"')
                i += 1
            else:
                quoted = not quoted
        elif ch == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    items.append("".join(current).strip())
    return [item for item in items if item]


def membership_statement(role: str, member: str, grantor: str | None, admin: bool) -> str:
    text = f"GRANT {quote_ident(role)} TO {quote_ident(member)}"
    if admin:
        text += " WITH ADMIN OPTION"
    if grantor is not None:
        text += f" GRANTED BY {quote_ident(grantor)}"
    return text + ";"
