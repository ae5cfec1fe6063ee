"""Row-level security's catalog: a table's ENABLE / FORCE ROW LEVEL SECURITY flags and its
policies (PostgreSQL's pg_class.relrowsecurity / relforcerowsecurity and pg_policy).

Stored as the table's options (pgsvc$class.options, a JSON object): "rls" and "rls_force"
(true or absent), and "policies", a list of objects {oid, name, cmd, permissive, roles,
qual, check}: cmd is pg_policy.polcmd ('*' ALL, 'r' SELECT, 'a' INSERT, 'w' UPDATE, 'd'
DELETE), roles a list of role OIDs (0: PUBLIC), qual / check the USING and WITH CHECK
expressions as PostgreSQL source text (None when absent), printed back by pg_get_expr.
A change bumps the catalog version, so every backend's cached translations are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgsvc.sql.catalog import database as C

CMD_WORD = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
CMD_CODE = {"all": "*", "select": "r", "insert": "a", "update": "w", "delete": "d"}


@dataclass(frozen=True)
class Policy:
    oid: int
    name: str
    cmd: str
    permissive: bool
    roles: tuple[int, ...]
    qual: str | None
    check: str | None

    def as_json(self) -> dict:
        return {"oid": self.oid, "name": self.name, "cmd": self.cmd, "permissive": self.permissive,
                "roles": list(self.roles), "qual": self.qual, "check": self.check}


def enabled(rel) -> bool:
    return bool(rel.options.get("rls"))


def forced(rel) -> bool:
    return bool(rel.options.get("rls_force"))


def policies(rel) -> list[Policy]:
    return [Policy(p["oid"], p["name"], p["cmd"], bool(p["permissive"]), tuple(p["roles"]), p.get("qual"),
                   p.get("check")) for p in rel.options.get("policies") or ()]


def find(rel, name: str) -> Policy | None:
    return next((p for p in policies(rel) if p.name == name), None)


def set_flag(conn, rel, key: str, on: bool) -> None:
    C.set_relation_option(conn, rel.oid, key, True if on else None)
    C.bump_version(conn)


def save(conn, rel, pols: list[Policy]) -> None:
    C.set_relation_option(conn, rel.oid, "policies", [p.as_json() for p in pols] or None)
    C.bump_version(conn)


def new_oid(conn) -> int:
    return C.new_oid(conn)


def drop_role_from_all(conn, catalog, role: int) -> None:
    """DROP OWNED: the role leaves every policy's role list (a policy left with none is
    dropped, as PostgreSQL's RemoveRoleFromObjectPolicy does)."""
    for rel in catalog.by_oid.values():
        pols = policies(rel)
        if not any(role in p.roles for p in pols):
            continue
        out = []
        for p in pols:
            if role in p.roles:
                rest = tuple(r for r in p.roles if r != role)
                if not rest:
                    continue
                p = Policy(p.oid, p.name, p.cmd, p.permissive, rest, p.qual, p.check)
            out.append(p)
        save(conn, rel, out)


__all__ = ["CMD_CODE", "CMD_WORD", "Policy", "drop_role_from_all", "enabled", "find", "forced", "new_oid",
           "policies", "save", "set_flag"]
