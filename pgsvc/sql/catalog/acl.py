"""Access control lists: PostgreSQL's aclitem[] semantics as pure functions (no I/O).

An ACL is a list of AclItem (grantee, grantor, privileges, grant options); grantee 0 is
PUBLIC. A NULL ACL (None) means "the owner's defaults" (`default_acl`), exactly as a
NULL relacl/nspacl/datacl does in PostgreSQL: the first GRANT or REVOKE starts from the
defaults and stores the result. Privileges are PostgreSQL's one-letter codes, kept as
strings in PostgreSQL's print order ("arwdDxtXUCTc").

Stored form (in the hidden catalog columns): JSON [[grantee, grantor, privs, goptions], ...]
with role OIDs, so that renaming a role never touches an ACL; the aclitem text form
(`alice=arwdDxt/alice`) is made only for display, with the role names of the moment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pgsvc.errors import SqlError

PUBLIC = 0
ORDER = "arwdDxtXUCTcsA"  # PostgreSQL's ACL_ALL_RIGHTS_STR

# privilege keyword -> letter (GRANT/REVOKE, has_*_privilege)
LETTERS = {"INSERT": "a", "SELECT": "r", "UPDATE": "w", "DELETE": "d", "TRUNCATE": "D",
           "REFERENCES": "x", "TRIGGER": "t", "EXECUTE": "X", "USAGE": "U", "CREATE": "C",
           "TEMPORARY": "T", "TEMP": "T", "CONNECT": "c"}
WORDS = {"a": "INSERT", "r": "SELECT", "w": "UPDATE", "d": "DELETE", "D": "TRUNCATE", "x": "REFERENCES",
         "t": "TRIGGER", "X": "EXECUTE", "U": "USAGE", "C": "CREATE", "T": "TEMPORARY", "c": "CONNECT"}

# what each object kind supports (ALL PRIVILEGES) and what its owner holds by default
ALL = {"table": "arwdDxt", "sequence": "rwU", "schema": "UC", "database": "CTc", "function": "X"}
OBJECT_WORD = {"table": "table", "sequence": "sequence", "schema": "schema", "database": "database",
               "function": "function"}


@dataclass
class AclItem:
    grantee: int
    grantor: int
    privs: str
    goptions: str = ""


def sort_letters(letters) -> str:
    return "".join(ch for ch in ORDER if ch in set(letters))


def default_acl(kind: str, owner: int) -> list[AclItem]:
    """PostgreSQL's acldefault(): the owner holds everything; PUBLIC gets CONNECT and TEMP
    on databases and EXECUTE on functions."""
    items = []
    if kind == "database":
        items.append(AclItem(PUBLIC, owner, "Tc"))
    elif kind == "function":
        items.append(AclItem(PUBLIC, owner, "X"))
    items.append(AclItem(owner, owner, ALL[kind]))
    return items


def effective(acl: list[AclItem] | None, kind: str, owner: int) -> list[AclItem]:
    return default_acl(kind, owner) if acl is None else acl


# --- stored form ------------------------------------------------------------------------

def load(text: str | None) -> list[AclItem] | None:
    if text is None:
        return None
    return [AclItem(*row) for row in json.loads(text)]


def dump(acl: list[AclItem] | None) -> str | None:
    if acl is None:
        return None
    return json.dumps([[i.grantee, i.grantor, i.privs, i.goptions] for i in acl])


# --- display: aclitem text --------------------------------------------------------------

def quote_role(name: str) -> str:
    """PostgreSQL's putid: double-quote a name with anything but letters, digits and '_'."""
    if name and all(ch.isalnum() or ch == "_" for ch in name):
        return name
    return '"' + name.replace('"', '""') + '"'


def item_text(item: AclItem, name_of) -> str:
    grantee = "" if item.grantee == PUBLIC else quote_role(name_of(item.grantee))
    privs = "".join(ch + ("*" if ch in item.goptions else "") for ch in sort_letters(item.privs))
    return f"{grantee}={privs}/{quote_role(name_of(item.grantor))}"


def texts(acl: list[AclItem] | None, name_of) -> list[str] | None:
    if acl is None:
        return None
    return [item_text(i, name_of) for i in acl]


# --- privilege tests ----------------------------------------------------------------------

def held(acl: list[AclItem], roles: set[int]) -> str:
    """Letters held by any of `roles` (the roles whose privileges a user has) or PUBLIC."""
    out = set()
    for i in acl:
        if i.grantee == PUBLIC or i.grantee in roles:
            out.update(i.privs)
    return sort_letters(out)


def held_options(acl: list[AclItem], roles: set[int]) -> str:
    out = set()
    for i in acl:
        if i.grantee == PUBLIC or i.grantee in roles:
            out.update(i.goptions)
    return sort_letters(out)


# --- GRANT / REVOKE ------------------------------------------------------------------------

def grant(acl: list[AclItem], grantee: int, grantor: int, privs: str, with_option: bool) -> list[AclItem]:
    out = [AclItem(i.grantee, i.grantor, i.privs, i.goptions) for i in acl]
    for i in out:
        if i.grantee == grantee and i.grantor == grantor:
            i.privs = sort_letters(set(i.privs) | set(privs))
            if with_option:
                i.goptions = sort_letters(set(i.goptions) | set(privs))
            return out
    out.append(AclItem(grantee, grantor, sort_letters(privs), sort_letters(privs) if with_option else ""))
    return out


def revoke(acl: list[AclItem], grantee: int, grantor: int, privs: str, option_only: bool,
           cascade: bool, owner: int) -> list[AclItem]:
    """PostgreSQL's aclupdate for ACL_MODECHG_DEL with recursive_revoke: grant options
    the grantee loses are taken back from whoever it granted them to (CASCADE), or the
    revoke fails with 2BP01 when such dependent grants exist (RESTRICT, the default)."""
    out = [AclItem(i.grantee, i.grantor, i.privs, i.goptions) for i in acl]
    for i in out:
        if i.grantee == grantee and i.grantor == grantor:
            i.goptions = sort_letters(set(i.goptions) - set(privs))
            if not option_only:
                i.privs = sort_letters(set(i.privs) - set(privs))
    lost = set(privs)
    if grantee != owner:  # the owner always holds grant options implicitly
        still = set()
        for i in out:
            if i.grantee == grantee:
                still.update(i.goptions)
        lost -= still
    else:
        lost = set()
    if lost and grantee != PUBLIC:
        dependents = [i for i in out if i.grantor == grantee and i.grantee != grantee and set(i.privs) & lost]
        if dependents:
            if not cascade:
                raise SqlError("2BP01", "dependent privileges exist",
                               hint="Use CASCADE to revoke them too.")
            for d in dependents:
                out = revoke(out, d.grantee, grantee, sort_letters(lost), False, True, owner)
    return [i for i in out if i.privs or i.goptions]


def change_owner(acl: list[AclItem] | None, old: int, new: int) -> list[AclItem] | None:
    """ALTER ... OWNER TO: PostgreSQL's aclnewowner — the old owner's entries (as grantee
    and grantor) become the new owner's, merging duplicates."""
    if acl is None:
        return None
    merged: list[AclItem] = []
    for i in acl:
        g = new if i.grantee == old else i.grantee
        r = new if i.grantor == old else i.grantor
        for m in merged:
            if m.grantee == g and m.grantor == r:
                m.privs = sort_letters(set(m.privs) | set(i.privs))
                m.goptions = sort_letters(set(m.goptions) | set(i.goptions))
                break
        else:
            merged.append(AclItem(g, r, i.privs, i.goptions))
    return merged


def mentions(acl: list[AclItem] | None, role: int) -> bool:
    return bool(acl) and any(i.grantee == role or i.grantor == role for i in acl)


def without_role(acl: list[AclItem] | None, role: int) -> list[AclItem] | None:
    """DROP OWNED: every privilege granted to the role (and grants it made) is removed."""
    if acl is None:
        return None
    return [i for i in acl if i.grantee != role and i.grantor != role]


# --- privilege lists of has_*_privilege -----------------------------------------------------

def parse_privilege_list(text: str, allowed: dict[str, str]) -> list[tuple[str, bool]]:
    """'SELECT, UPDATE WITH GRANT OPTION' -> [(letter, with_grant_option)]; PostgreSQL's
    convert_any_priv_string: case-insensitive, blanks around items ignored."""
    out = []
    for part in str(text).split(","):
        words = part.strip().lower().split()
        option = False
        if len(words) >= 4 and words[-3:] == ["with", "grant", "option"]:
            option = True
            words = words[:-3]
        key = " ".join(words)
        if key not in allowed:
            raise SqlError("22023", f'unrecognized privilege type: "{part.strip()}"')
        out.append((allowed[key], option))
    return out
