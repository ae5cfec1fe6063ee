"""Declarative partitioning's catalog side: a partitioned table's key and a partition's
bound as pgsvc keeps them, and the texts PostgreSQL derives from them (pg_get_partkeydef,
pg_class.relpartbound as pg_get_expr prints it, the partition constraint of
partbounds.c's get_qual_for_list / get_qual_for_range / get_qual_for_hash).

A partitioned table is a pgsvc$class row of relkind 'r' whose options hold `partkey`
(pg_class shows it as relkind 'p'): {"strategy": "r"|"l"|"h", "keys": [{"attnum": n} or
{"expr": deparsed text}, ...], "types": [[type OID, typmod], ...]}. Its SQLite table
stays empty (rows are routed to the leaves: translate.partitions). A partition is a
table (or a partitioned table) whose options hold `inherits: [parent]` (pg_inherits, as
for INHERITS) and `partbound`: {"kind": "r", "from": [datum], "to": [datum]} |
{"kind": "l", "values": [text or None]} | {"kind": "h", "mod": m, "rem": r} | {"kind": "d"};
a range datum is {"v": text} or {"k": "min"|"max"}; every value is its type's text output.

The partition constraint is PostgreSQL source text whose constants are printed as
ruleutils.c's get_const_expr prints them, so that the same text is what
pg_get_partition_constraintdef shows and what the leaf's SQLite CHECK and the routing
translate.
"""

from __future__ import annotations

from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type

STRATEGY_NAMES = {"r": "RANGE", "l": "LIST", "h": "HASH"}
HASH_SEED = 0x7A5B22367996DCFD  # HASH_PARTITION_SEED: a user class's hash function gets it


def partkey(rel) -> dict | None:
    return rel.options.get("partkey") if rel is not None else None


def bound(rel) -> dict | None:
    return rel.options.get("partbound") if rel is not None else None


def parent_of(cat, rel):
    """The partitioned table rel is a partition of (None for a table that is not one)."""
    if bound(rel) is None:
        return None
    parents = rel.options.get("inherits") or ()
    return cat.by_oid.get(parents[0]) if parents else None


def partitions_of(cat, rel) -> list:
    """The partitions of a partitioned table in PostgreSQL's bound order (range: by lower
    bound; list: by smallest value, a partition of only NULL after them; hash: by modulus
    and remainder; the default last), which is the order a scan of the parent reads them."""
    kids = [r for r in cat.by_oid.values() if bound(r) is not None and rel.oid in (r.options.get("inherits") or ())]
    key = partkey(rel)
    types = key["types"] if key else []
    return sorted(kids, key=lambda r: (_bound_order(bound(r), types), r.oid))


def subtree(cat, rel) -> list:
    """Every partition under rel, depth first in bound order (partitioned ones included)."""
    out = []
    for p in partitions_of(cat, rel):
        out.append(p)
        if partkey(p) is not None:
            out += subtree(cat, p)
    return out


def _value_order(text: str, oid: int):
    try:
        if oid in (O.INT2, O.INT4, O.INT8, O.OID):
            return (0, int(text), b"")
        if oid in (O.NUMERIC, O.FLOAT4, O.FLOAT8):
            f = float(text)
            return (0, f if f == f else float("inf"), b"")
    except ValueError:
        pass
    return (0, 0, text.encode())


def _bound_order(b: dict, types: list):
    if b["kind"] == "d":
        return (3,)
    if b["kind"] == "h":
        return (0, b["mod"], b["rem"])
    if b["kind"] == "l":
        vals = [_value_order(v, types[0][0] if types else O.TEXT) for v in b["values"] if v is not None]
        return (0, min(vals)) if vals else (1,)
    out = []
    for i, d in enumerate(b["from"]):
        if "k" in d:
            out.append((-1 if d["k"] == "min" else 1, 0, b""))
        else:
            out.append(_value_order(d["v"], types[i][0] if i < len(types) else O.TEXT))
    return (0, tuple(out))


def ancestors(cat, rel) -> list:
    out = []
    p = parent_of(cat, rel)
    while p is not None and p not in out:
        out.append(p)
        p = parent_of(cat, p)
    return out


def leaves(cat, rel) -> list:
    """The leaf partitions under a partitioned table (depth first, in bound order)."""
    out = []
    for p in partitions_of(cat, rel):
        if partkey(p) is not None:
            out += leaves(cat, p)
        else:
            out.append(p)
    return out


def constraint_owner(cat, rel, name: str, contype: str):
    """The partitioned table a partition's copy of a constraint comes from (the topmost
    ancestor holding one of that name and kind), which PostgreSQL's errors name; rel itself
    when it is its own."""
    owner = rel
    p = parent_of(cat, rel)
    while p is not None and any(c.name == name and c.contype == contype for c in p.constraints):
        owner, p = p, parent_of(cat, p)
    return owner


# --- texts ------------------------------------------------------------------------------

def const_text(text: str, oid: int, typmod: int = -1, label: bool = True) -> str:
    """A constant as get_const_expr prints it (label False: showtype -1, as in a bound)."""
    need = True
    if oid == O.INT4 and not text.startswith("-"):
        out, need = text, False
    elif oid == O.NUMERIC and text[:1].isdigit() and any(ch in text for ch in "eE."):
        out, need = text, typmod >= 0
    elif oid == O.BOOL:
        out, need = ("true" if text in ("t", "true") else "false"), False
    else:
        out = "'" + text.replace("'", "''") + "'"
    if not label or not need:
        return out
    return f"{out}::{format_type(oid, typmod)}"


def key_texts(rel, key: dict | None = None) -> list[str]:
    """Each key column (quoted name) or expression (its deparsed text) of a partitioned table."""
    key = key or partkey(rel)
    out = []
    for k in key["keys"]:
        if "attnum" in k:
            a = next((a for a in rel.attrs if a.attnum == k["attnum"]), None)
            out.append(quote_ident(a.name) if a is not None else "?")
        else:
            out.append(k["expr"])
    return out


def key_display(rel) -> list[str]:
    """The key's items as pg_get_partkeydef and the routing error print them (an expression
    that is not a function call in parentheses)."""
    key = partkey(rel)
    return [(text if "attnum" in k or _looks_like_function(text) else f"({text})")
            + (f" {quote_ident(k['opcname'])}" if k.get("opcname") else "")
            for k, text in zip(key["keys"], key_texts(rel, key))]


def key_error_display(rel) -> str:
    """The key as the routing error's detail prints it (pg_get_partkeydef_columns: each
    column or expression as deparsed, an operator expression in its own parentheses)."""
    return ", ".join(key_texts(rel))


def partkeydef(rel) -> str | None:
    key = partkey(rel)
    if key is None:
        return None
    return f"{STRATEGY_NAMES[key['strategy']]} ({', '.join(key_display(rel))})"


def _looks_like_function(text: str) -> bool:
    """ruleutils' looks_like_function: a function call prints without extra parentheses."""
    return not text.startswith("(") and "(" in text and text.endswith(")") and \
        text.index("(") > 0 and (text[:text.index("(")].replace("_", "").replace(".", "").replace('"', "").isalnum())


def bound_text(parent, b: dict) -> str:
    """pg_get_expr(relpartbound): FOR VALUES ... / DEFAULT."""
    if b["kind"] == "d":
        return "DEFAULT"
    if b["kind"] == "h":
        return f"FOR VALUES WITH (modulus {b['mod']}, remainder {b['rem']})"
    types = partkey(parent)["types"] if parent is not None else []
    if b["kind"] == "l":
        oid, typmod = types[0] if types else (O.TEXT, -1)
        vals = ["NULL" if v is None else const_text(v, oid, typmod, False) for v in b["values"]]
        return f"FOR VALUES IN ({', '.join(vals)})"

    def datums(ds):
        return ", ".join("MINVALUE" if d.get("k") == "min" else "MAXVALUE" if d.get("k") == "max" else
                         const_text(d["v"], *(types[i] if i < len(types) else (O.TEXT, -1)), label=False)
                         for i, d in enumerate(ds))
    return f"FOR VALUES FROM ({datums(b['from'])}) TO ({datums(b['to'])})"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def _or(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def own_quals(cat, rel, plain: bool = False) -> list[str]:
    """The partition constraint of rel relative to its parent, as a list of ANDed quals
    (get_qual_from_partbound); [] for a table that is not a partition. plain: the text
    for SQLite (IN lists where PostgreSQL prints = ANY (ARRAY[...]), which SQLite's
    CHECK could only read through a subquery)."""
    parent = parent_of(cat, rel)
    b = bound(rel)
    if parent is None or b is None:
        return []
    key = partkey(parent)
    cols = key_texts(parent, key)
    types = key["types"]
    if b["kind"] == "h":
        if plain and any(k.get("hashfn") for k in key["keys"]):  # user operator classes' hash functions
            flags = "".join("h" if k.get("hashfn") else "n" for k in key["keys"])
            args = ", ".join(f"{k['hashfn_name']}({c}, {HASH_SEED})" if k.get("hashfn") else c
                             for k, c in zip(key["keys"], cols))
            return [f"pgsvc_hash_partition({b['mod']}, {b['rem']}, '{flags}', {args})"]
        args = ", ".join(cols)
        return [f"satisfies_hash_partition('{parent.oid}'::oid, {b['mod']}, {b['rem']}, {args})"]
    if b["kind"] == "l":
        q = list_qual(cols[0], types[0], b["values"], plain)
        null_test = f"(({cols[0]} IS NOT NULL) AND "
        if q.startswith(null_test):  # two quals, as get_qual_for_list makes them (flattened in an AND)
            return [f"({cols[0]} IS NOT NULL)", q[len(null_test):-1]]
        return [q]
    if b["kind"] == "r":
        return range_quals(cols, types, b)
    return default_quals(cat, parent, rel, cols, types, key, plain)


def list_qual(col: str, typ, values: list, plain: bool = False) -> str:
    oid, typmod = typ
    consts = [const_text(v, oid, typmod) for v in values if v is not None]
    has_null = any(v is None for v in values)
    if len(consts) == 1:
        cond = f"({col} = {consts[0]})"
    elif consts and plain:
        cond = f"({col} IN ({', '.join(consts)}))"
    elif consts:
        cond = f"({col} = ANY (ARRAY[{', '.join(consts)}]))"
    else:
        cond = None
    if has_null:
        return f"(({col} IS NULL) OR {cond})" if cond else f"({col} IS NULL)"
    return f"(({col} IS NOT NULL) AND {cond})"


def range_quals(cols: list[str], types: list, b: dict) -> list[str]:
    """get_qual_for_range: every key IS NOT NULL, the leading equal columns as equalities,
    then the lower and upper bounds as OR arms."""
    out = [f"({c} IS NOT NULL)" for c in cols]
    lo, hi = b["from"], b["to"]
    n = len(cols)

    def val(d, i):
        return None if "k" in d else const_text(d["v"], *types[i])
    i = 0
    while i < n:
        lv, uv = val(lo[i], i), val(hi[i], i)
        if lv is None or uv is None or lo[i]["v"] != hi[i]["v"]:
            break
        out.append(f"({cols[i]} = {lv})")
        i += 1
    lower_arms, upper_arms = [], []
    need_lower = need_upper = True
    arm = 0
    while i < n and (need_lower or need_upper):
        la, ua = [], []
        for j in range(i, i + arm + 1):
            if j >= n:
                break
            last = j == n - 1
            if need_lower:
                lv = val(lo[j], j)
                if lv is not None:
                    nxt = lo[j + 1] if j + 1 < n else None
                    op = "=" if j - i < arm else ">=" if last or (nxt is not None and nxt.get("k") == "min") else ">"
                    la.append(f"({cols[j]} {op} {lv})")
            if need_upper:
                uv = val(hi[j], j)
                if uv is not None:
                    nxt = hi[j + 1] if j + 1 < n else None
                    op = "=" if j - i < arm else "<=" if nxt is not None and nxt.get("k") == "max" else "<"
                    ua.append(f"({cols[j]} {op} {uv})")
        if need_lower and la and len(la) == arm + 1:
            lower_arms.append(_and(la))
        if need_upper and ua and len(ua) == arm + 1:
            upper_arms.append(_and(ua))
        j = i + arm + 1
        if j >= n or "k" in lo[j] or len(la) != arm + 1:
            need_lower = False
        if j >= n or "k" in hi[j] or len(ua) != arm + 1:
            need_upper = False
        arm += 1
    if lower_arms:
        out.append(_or(lower_arms))
    if upper_arms:
        out.append(_or(upper_arms))
    return out


def default_quals(cat, parent, rel, cols, types, key, plain=False) -> list[str]:
    """The default partition: none of its siblings' constraints hold."""
    sibs = [p for p in partitions_of(cat, parent) if p.oid != rel.oid and bound(p)["kind"] != "d"]
    if not sibs:
        return []
    if key["strategy"] == "l":
        values = [v for p in sibs for v in bound(p)["values"]]
        return [f"(NOT {list_qual(cols[0], types[0], values, plain)})"]
    arms = []
    for p in sibs:
        q = [x for x in range_quals(cols, types, bound(p)) if not x.endswith(" IS NOT NULL)")]
        arms.append(_and(q) if q else "true")
    notnull = [f"({c} IS NOT NULL)" for c in cols]
    return [f"(NOT {_and(notnull + [_or(arms)])})"]


def constraint_text(cat, rel, plain: bool = False) -> str | None:
    """pg_get_partition_constraintdef: the ancestors' quals and rel's own, ANDed."""
    quals: list[str] = []
    chain = [rel] + ancestors(cat, rel)
    for r in reversed(chain):
        quals += own_quals(cat, r, plain)
    if not quals:
        return None
    return _and(quals)


__all__ = ["partkey", "bound", "parent_of", "constraint_owner", "partitions_of", "subtree", "ancestors", "leaves", "const_text", "key_texts",
           "partkeydef", "key_display", "key_error_display", "bound_text", "own_quals", "constraint_text", "list_qual", "range_quals", "STRATEGY_NAMES"]
