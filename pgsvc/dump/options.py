"""What a dump includes: pg_dump's options that pgsvc dump carries."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field


@dataclass
class DumpOptions:
    schema_only: bool = False  # -s: definitions, no data
    data_only: bool = False  # -a: data (and sequence values), no definitions
    tables: list[str] = field(default_factory=list)  # -t: only these tables (psql patterns)
    schemas: list[str] = field(default_factory=list)  # -n: only these schemas (psql patterns)
    no_owner: bool = False  # -O: no ALTER ... OWNER TO
    no_privileges: bool = False  # -x: no GRANT/REVOKE
    no_comments: bool = False
    clean: bool = False  # -c: DROP before CREATE
    if_exists: bool = False  # DROP ... IF EXISTS
    create: bool = False  # -C: CREATE DATABASE and \connect to it
    inserts: str | bool = False  # INSERT statements instead of COPY: 'values' (--inserts), 'columns'
    # (--column-inserts, with the column names)

    def wants_schema(self, schema: str) -> bool:
        return not self.schemas or any(fnmatch.fnmatchcase(schema, _split_pattern(p)[-1])
                                       for p in self.schemas)

    def wants_table(self, schema: str, name: str) -> bool:
        return self.wants_schema(schema) and (
            not self.tables or any(matches(p, schema, name) for p in self.tables))


def matches(pattern: str, schema: str, name: str) -> bool:
    """psql's pattern rules, simplified: [schema.]name, '*' and '?' wildcards, a double-
    quoted part taken literally and case-sensitively, an unquoted part folded to lower
    case."""
    parts = _split_pattern(pattern)
    if len(parts) == 1:
        return fnmatch.fnmatchcase(name, parts[0])
    return fnmatch.fnmatchcase(schema, parts[0]) and fnmatch.fnmatchcase(name, parts[1])


def _split_pattern(pattern: str) -> list[str]:
    parts, current, quoted = [], [], False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == '"':
            if quoted and pattern[i + 1:i + 2] == '"':
                current.append('"')
                i += 2
                continue
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append("".join(current))
            current = []
        elif quoted:
            current.append("[" + ch + "]" if ch in "*?[" else ch)
        else:
            current.append(ch.lower())
        i += 1
    parts.append("".join(current))
    return parts
