"""The dump as pg_dump builds it: a table of contents of entries, sorted and printed as
pg_dump 15 sorts and prints its plain archive, so that `pgsvc dump` writes pg_dump's text.

Sorting (pg_dump_sort.c): entries in order of their object type's priority, then schema
name, then name, then a type-specific tie-break (a function's argument types, a
default's column number); then the topological sort pg_dump uses, which keeps that order
wherever the dependencies (read from pg_depend, plus the section boundaries) allow: it
places entries from the last one backwards, each time the highest-ranked entry that no
unplaced entry still needs to follow.

Printing (pg_backup_archiver.c, _printTocEntry): each entry's header comment, its
definition, its ALTER ... OWNER TO; an object's COMMENT entries right after it; the ACL
entries all at the end, in the same order (pg_dump restores ACLs in a last pass).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

# pg_dump_sort.c's priorities (PostgreSQL 15) for the object types pgsvc has
PRIO_NAMESPACE, PRIO_TYPE, PRIO_FUNC, PRIO_TABLE, PRIO_ATTRDEF = 1, 6, 8, 20, 23
PRIO_PRE_DATA_BOUNDARY, PRIO_TABLE_DATA, PRIO_SEQUENCE_SET, PRIO_POST_DATA_BOUNDARY = 25, 26, 27, 29
PRIO_CONSTRAINT, PRIO_INDEX, PRIO_TRIGGER, PRIO_FK_CONSTRAINT = 30, 31, 35, 36

PRE_DATA, DATA, POST_DATA = "pre", "data", "post"


@dataclass
class Entry:
    prio: int
    schema: str  # namespace for sorting ('' for none)
    name: str  # name for sorting
    tag: str  # the header's Name:
    desc: str  # the header's Type:
    owner: str
    defn: str | None  # None: an entry only for its comments (a constraint's index)
    key: tuple
    tie: tuple = ()
    owner_stmt: str | None = None
    deps: set = field(default_factory=set)
    comments: list[Entry] = field(default_factory=list)
    acls: list[Entry] = field(default_factory=list)
    data: Callable[[], None] | None = None  # writes a TABLE DATA entry's body
    header_schema: str | None = None  # '-' for objects outside schemas
    no_access_method: bool = False  # a partitioned table (no storage: no table access method)

    @property
    def section(self) -> str:
        if self.prio < PRIO_PRE_DATA_BOUNDARY:
            return PRE_DATA
        if self.prio < PRIO_POST_DATA_BOUNDARY:
            return DATA
        return POST_DATA


def sort_entries(entries: list[Entry]) -> list[Entry]:
    """pg_dump's sortDumpableObjectsByTypeName then sortDumpableObjects (TopoSort)."""
    pre = Entry(PRIO_PRE_DATA_BOUNDARY, "", "PRE-DATA BOUNDARY", "", "", "", None, ("boundary", "pre"))
    post = Entry(PRIO_POST_DATA_BOUNDARY, "", "POST-DATA BOUNDARY", "", "", "", None, ("boundary", "post"))
    for e in entries:  # pg_dump's addBoundaryDependencies
        if e.section == PRE_DATA:
            pre.deps.add(e.key)
        elif e.section == DATA:
            e.deps.add(pre.key)
            post.deps.add(e.key)
        else:
            e.deps.add(post.key)
    post.deps.add(pre.key)
    objs = sorted(entries + [pre, post], key=lambda e: (e.prio, e.schema.encode(), e.name.encode(), e.tie))
    index = {e.key: i for i, e in enumerate(objs)}
    before = [0] * len(objs)  # how many entries must follow each one
    deps = [[index[d] for d in e.deps if d in index and index[d] != i] for i, e in enumerate(objs)]
    for ds in deps:
        for d in ds:
            before[d] += 1
    heap = [-i for i, n in enumerate(before) if n == 0]
    heapq.heapify(heap)
    placed: list[int] = []
    while heap:
        i = -heapq.heappop(heap)
        placed.append(i)
        for d in deps[i]:
            before[d] -= 1
            if before[d] == 0:
                heapq.heappush(heap, -d)
    if len(placed) != len(objs):  # a dependency loop pg_dump would repair: keep the name order
        return [e for e in objs if e not in (pre, post)]
    return [objs[i] for i in reversed(placed) if objs[i] is not pre and objs[i] is not post]


def header(e: Entry, with_owner: bool) -> str:
    prefix = "Data for " if e.data is not None else ""
    schema = e.header_schema if e.header_schema is not None else e.schema
    owner = e.owner if with_owner else "-"
    return f"--\n-- {prefix}Name: {e.tag}; Type: {e.desc}; Schema: {schema}; Owner: {owner}\n--\n\n"


def print_entry(write: Callable[[str], None], e: Entry, with_owner: bool) -> None:
    if e.defn is None and e.data is None:
        return
    write(header(e, with_owner))
    if e.data is not None:
        e.data()
        return
    if e.defn:
        write(e.defn + "\n\n")
    if with_owner and e.owner_stmt:
        write(e.owner_stmt + "\n\n")


def print_archive(write: Callable[[str], None], entries: list[Entry], with_owner: bool = True) -> None:
    tablespace = access_method = False
    acls: list[Entry] = []
    for e in entries:
        if e.desc == "TABLE" and e.defn:
            # pg_dump's _selectTablespace before the first table, _selectTableAccessMethod
            # before the first that has storage
            if not tablespace:
                write("SET default_tablespace = '';\n\n")
                tablespace = True
            if not access_method and not e.no_access_method:
                write("SET default_table_access_method = heap;\n\n")
                access_method = True
        print_entry(write, e, with_owner)
        for c in e.comments:
            print_entry(write, c, with_owner)
        acls += e.acls
    for a in acls:
        print_entry(write, a, with_owner)


def dollar_quote(body: str) -> str:
    """pg_dump's appendStringLiteralDQ: $$, or $_$, $_X$, ... a delimiter not in the body."""
    suffixes = "_XXXXXXX"
    delim, n = "$", 0
    while delim in body:
        delim += suffixes[n]
        n = (n + 1) % len(suffixes)
    delim += "$"
    return f"{delim}{body}{delim}"
