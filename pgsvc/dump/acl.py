"""GRANT and REVOKE statements from an object's ACL (aclitem[] in its text form,
e.g. {alice=arwdDxt/alice,bob=r*/alice,=r/alice}).

A NULL ACL means the built-in default and needs nothing. Otherwise the script states
the difference from the default: the owner's (and, for databases, PUBLIC's) default
privileges that are gone are revoked, and every privilege held beyond the default is
granted, WITH GRANT OPTION where the item says '*'. This is what pg_dump writes; the
grantor is not reproduced (the restoring role grants).
"""

from __future__ import annotations

from dataclasses import dataclass

from pgsvc.dump.introspect import parse_text_array
from pgsvc.sql.quoting import quote_ident

# privilege letters in aclitem order, and their SQL names
PRIVILEGE_NAMES = {"a": "INSERT", "r": "SELECT", "w": "UPDATE", "d": "DELETE", "D": "TRUNCATE",
                   "x": "REFERENCES", "t": "TRIGGER", "X": "EXECUTE", "U": "USAGE", "C": "CREATE",
                   "c": "CONNECT", "T": "TEMPORARY"}

# what each kind of object may be granted, and what its owner (and PUBLIC) hold by default
ALL_PRIVILEGES = {"TABLE": "arwdDxt", "SEQUENCE": "rwU", "SCHEMA": "UC", "DATABASE": "CTc", "TYPE": "U",
                  "DOMAIN": "U", "FUNCTION": "X", "PROCEDURE": "X"}
PUBLIC_DEFAULT = {"DATABASE": "Tc", "TYPE": "U", "DOMAIN": "U", "FUNCTION": "X", "PROCEDURE": "X"}


@dataclass(frozen=True)
class AclItem:
    grantee: str  # '' is PUBLIC
    privileges: str  # letters held
    grantable: str  # letters held WITH GRANT OPTION
    grantor: str


def parse_acl(text: str | None) -> list[AclItem] | None:
    if text is None:
        return None
    return [parse_aclitem(item) for item in parse_text_array(text)]


def parse_aclitem(item: str) -> AclItem:
    grantee, pos = _read_name(item, 0)
    if item[pos:pos + 1] != "=":
        raise ValueError(f"invalid aclitem: {item!r}")
    slash = item.index("/", pos)
    letters = item[pos + 1:slash]
    grantor, _ = _read_name(item, slash + 1)
    held, grantable = [], []
    for i, ch in enumerate(letters):
        if ch == "*":
            continue
        held.append(ch)
        if letters[i + 1:i + 2] == "*":
            grantable.append(ch)
    return AclItem(grantee, "".join(held), "".join(grantable), grantor)


def _read_name(text: str, pos: int) -> tuple[str, int]:
    """A role name as aclitem prints it: bare, or double-quoted with "" for a quote."""
    if text[pos:pos + 1] != '"':
        end = pos
        while end < len(text) and text[end] not in "=/":
            end += 1
        return text[pos:end], end
    chars, pos = [], pos + 1
    while pos < len(text):
        if text[pos] == '"':
            if text[pos + 1:pos + 2] == '"':
                chars.append('"')
                pos += 2
                continue
            return "".join(chars), pos + 1
        chars.append(text[pos])
        pos += 1
    raise ValueError(f"unterminated name in aclitem: {text!r}")


def grant_statements(kind: str, target: str, owner: str, acl_text: str | None) -> list[str]:
    """kind: TABLE, SEQUENCE, SCHEMA, DATABASE, TYPE or DOMAIN; target: the object's
    quoted name."""
    items = parse_acl(acl_text)
    if items is None:
        return []
    every = ALL_PRIVILEGES[kind]
    held = {item.grantee: item for item in _merge(items)}
    statements = []
    defaults = {owner: every, **({"": PUBLIC_DEFAULT[kind]} if kind in PUBLIC_DEFAULT else {})}
    for grantee, default in defaults.items():
        item = held.get(grantee)
        if item is None or set(item.privileges) != set(default) or item.grantable:
            statements.append(f"REVOKE ALL ON {kind} {target} FROM {_role(grantee)};")
            if item is not None:
                statements.extend(_grants(kind, target, item, every))
    for grantee, item in held.items():
        if grantee not in defaults:
            statements.extend(_grants(kind, target, item, every))
    return statements


def _merge(items: list[AclItem]) -> list[AclItem]:
    """One item per grantee (grants by different grantors add up)."""
    merged: dict[str, AclItem] = {}
    for item in items:
        old = merged.get(item.grantee)
        if old is not None:
            item = AclItem(item.grantee, _union(old.privileges, item.privileges),
                           _union(old.grantable, item.grantable), old.grantor)
        merged[item.grantee] = item
    return list(merged.values())


def _union(a: str, b: str) -> str:
    return a + "".join(ch for ch in b if ch not in a)


def _grants(kind: str, target: str, item: AclItem, every: str) -> list[str]:
    out = []
    plain = "".join(ch for ch in item.privileges if ch not in item.grantable)
    for letters, suffix in ((plain, ""), (item.grantable, " WITH GRANT OPTION")):
        if letters:
            out.append(f"GRANT {_privilege_list(letters, every, kind)} ON {kind} {target} "
                       f"TO {_role(item.grantee)}{suffix};")
    return out


# the order pg_dump's parseAclItem names privileges in (SELECT first, UPDATE last)
_NAME_ORDER = {"TABLE": "raxdtDw", "SEQUENCE": "rUw"}


def _privilege_list(letters: str, every: str, kind: str = "") -> str:
    if set(letters) == set(every):
        return "ALL"
    return ",".join(PRIVILEGE_NAMES[ch] for ch in _NAME_ORDER.get(kind, every) if ch in letters)


# PostgreSQL 15's initial ACL of the public schema (pg_init_privs): pg_dump states only
# the difference from it
PUBLIC_SCHEMA_INIT = ["pg_database_owner=UC/pg_database_owner", "=U/pg_database_owner"]


def public_schema_grants(acl_text: str | None) -> list[str]:
    """pg_dump's buildACLCommands against the initial privileges: items gone are revoked,
    items added are granted (each item as a whole, as pg_dump compares them)."""
    if acl_text is None:
        return []
    current = parse_text_array(acl_text)
    out = []
    for text in PUBLIC_SCHEMA_INIT:
        if text not in current:
            item = parse_aclitem(text)
            out.append(f"REVOKE {_privilege_list(item.privileges, 'UC')} ON SCHEMA public FROM {_role(item.grantee)};")
    for text in current:
        if text not in PUBLIC_SCHEMA_INIT:
            out.extend(_grants("SCHEMA", "public", parse_aclitem(text), "UC"))
    return out


def _role(name: str) -> str:
    return "PUBLIC" if name == "" else quote_ident(name)
