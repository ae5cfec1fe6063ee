"""aclitem as utils/adt/acl.c reads and prints it: '[grantee]=privileges[/grantor]', the
grantee empty for PUBLIC, a '*' after a privilege held with grant option, names quoted as
putid quotes them. Held as its canonical text (aclitemout's). The roles must exist: the
engine registers how to look a name up (`set_role_check`; a backend serves one session).
A missing grantor is the bootstrap superuser, with PostgreSQL's warning.
"""

from __future__ import annotations

from collections.abc import Callable

from pgsvc.errors import SqlError

RIGHTS = "arwdDxtXUCTcsA"  # ACL_ALL_RIGHTS_STR, in bit order (PostgreSQL 15)
NAMEDATALEN = 64
_role_check: Callable[[str], object] | None = None
_bootstrap_name: Callable[[], str] | None = None
_warn: Callable[[str, str], None] | None = None


def set_role_check(check: Callable[[str], object], bootstrap: Callable[[], str],
                   warn: Callable[[str, str], None]) -> None:
    """check(name) raises 42704 for a role that does not exist; bootstrap() names the
    bootstrap superuser (a missing grantor); warn(message, sqlstate) sends a WARNING."""
    global _role_check, _bootstrap_name, _warn
    _role_check, _bootstrap_name, _warn = check, bootstrap, warn


def _syntax(msg: str, hint: str | None = None, detail: str | None = None) -> SqlError:
    return SqlError("22P02", msg, hint=hint, detail=detail)


def _getid(s: str, i: int) -> tuple[str, int]:
    while i < len(s) and s[i].isspace():
        i += 1
    out, quoted = [], False
    while i < len(s) and (s[i].isascii() and (s[i].isalnum() or s[i] == "_") or s[i] == '"' or quoted):
        if s[i] == '"':
            if s[i + 1:i + 2] != '"':
                quoted = not quoted
                i += 1
                continue
            i += 1
        if len(out) >= NAMEDATALEN - 1:
            raise _syntax("identifier too long", detail=f"Identifier must be less than {NAMEDATALEN} characters.")
        out.append(s[i])
        i += 1
    while i < len(s) and s[i].isspace():
        i += 1
    return "".join(out), i


def _putid(name: str) -> str:
    if all(c.isascii() and (c.isalnum() or c == "_") for c in name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _role(name: str) -> None:
    if _role_check is not None:
        _role_check(name)


def aclitem_in(text: str) -> str:
    """aclitemin: the canonical text of one ACL item, or PostgreSQL's error."""
    name, i = _getid(text, 0)
    if text[i:i + 1] != "=":
        if name not in ("group", "user"):
            raise _syntax(f'unrecognized key word: "{name}"', hint='ACL key word must be "group" or "user".')
        name, i = _getid(text, i)
        if not name:
            raise _syntax("missing name", hint='A name must follow the "group" or "user" key word.')
    while i < len(text) and text[i].isspace():
        i += 1
    if text[i:i + 1] != "=":
        raise _syntax('missing "=" sign')
    i += 1
    privs, options, last = set(), set(), None
    while i < len(text) and (text[i].isascii() and text[i].isalpha() or text[i] == "*"):
        c = text[i]
        if c == "*":
            if last is not None:
                options.add(last)
        elif c in RIGHTS:
            privs.add(c)
            last = c
        else:
            raise _syntax(f'invalid mode character: must be one of "{RIGHTS}"')
        i += 1
    if name:
        _role(name)
    if text[i:i + 1] == "/":
        grantor, i = _getid(text, i + 1)
        if not grantor:
            raise _syntax('a name must follow the "/" sign')
        _role(grantor)
    else:
        grantor = _bootstrap_name() if _bootstrap_name is not None else "postgres"
        if _warn is not None:
            _warn("defaulting grantor to user ID 10", "0LP01")
    while i < len(text) and text[i].isspace():
        i += 1
    if i < len(text):
        raise _syntax("extra garbage at the end of the ACL specification")
    letters = "".join(c + ("*" if c in options else "") for c in RIGHTS if c in privs)
    return f"{_putid(name)}={letters}/{_putid(grantor)}"
