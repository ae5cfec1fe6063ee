"""pg_proc, pg_aggregate, pg_operator, pg_cast, pg_language and pg_collation: PostgreSQL
15's rows (OIDs, names, attributes, descriptions; pgsvc.sql.catalog.system.pg15, made by
scripts/gen_pg15_catalog.py) for the functions, operators and casts pgsvc has.

"pgsvc has" is decided at run time from the catalogues the translator resolves over
(pgsvc.sql.functions' FUNCTIONS/OPERATORS/CASTS and functions.session_sigs' EXTRA_FUNCTIONS /
ENGINE_FUNCTIONS, after every engine module registered its signatures): a PostgreSQL 15
row is listed when pgsvc resolves the same name and argument types (anycompatible and
anyelement families count as the same). pgsvc signatures PostgreSQL lacks are not
listed: they are not callable under PostgreSQL's grammar anyway (current_date(), ...).

The relations are static TEMP tables of the backend (filled once per connection);
pgsvc.sql.catalog.system.relations serves them like its other relations. Every PostgreSQL
15 function and operator, listed or not, is found by OID and name here too (proc_row,
oper_row, ...: the reg* types name them).
"""

from __future__ import annotations

import json
from functools import lru_cache

from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID, PG_CATALOG_OID
from pgsvc.sql.catalog.system import pg15
from pgsvc.sql.functions import CASTS, FUNCTIONS, OPERATORS
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS, EXTRA_FUNCTIONS
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import find_oid, format_type

B, C, N, T, I2, I4, OID, F4 = O.BOOL, O.CHAR, O.NAME, O.TEXT, O.INT2, O.INT4, O.OID, O.FLOAT4
REGPROC, TEXTS, OIDS, CHARS = O.REGPROC, O.ARRAY_TEXT, 1028, 1002
OIDVECTOR, NODE, ACL = 30, O.TEXT, O.ARRAY_TEXT

COLUMNS: dict[str, list[tuple[str, int]]] = {
    "pg_proc": [("oid", OID), ("proname", N), ("pronamespace", OID), ("proowner", OID), ("prolang", OID),
                ("procost", F4), ("prorows", F4), ("provariadic", OID), ("prosupport", REGPROC),
                ("prokind", C), ("prosecdef", B), ("proleakproof", B), ("proisstrict", B), ("proretset", B),
                ("provolatile", C), ("proparallel", C), ("pronargs", I2), ("pronargdefaults", I2),
                ("prorettype", OID), ("proargtypes", OIDVECTOR), ("proallargtypes", OIDS),
                ("proargmodes", CHARS), ("proargnames", TEXTS), ("proargdefaults", NODE),
                ("protrftypes", OIDS), ("prosrc", T), ("probin", T), ("prosqlbody", NODE),
                ("proconfig", TEXTS), ("proacl", ACL)],
    "pg_aggregate": [("aggfnoid", REGPROC), ("aggkind", C), ("aggnumdirectargs", I2), ("aggtransfn", REGPROC),
                     ("aggfinalfn", REGPROC), ("aggcombinefn", REGPROC), ("aggserialfn", REGPROC),
                     ("aggdeserialfn", REGPROC), ("aggmtransfn", REGPROC), ("aggminvtransfn", REGPROC),
                     ("aggmfinalfn", REGPROC), ("aggfinalextra", B), ("aggmfinalextra", B),
                     ("aggfinalmodify", C), ("aggmfinalmodify", C), ("aggsortop", OID), ("aggtranstype", OID),
                     ("aggtransspace", I4), ("aggmtranstype", OID), ("aggmtransspace", I4),
                     ("agginitval", T), ("aggminitval", T)],
    "pg_operator": [("oid", OID), ("oprname", N), ("oprnamespace", OID), ("oprowner", OID), ("oprkind", C),
                    ("oprcanmerge", B), ("oprcanhash", B), ("oprleft", OID), ("oprright", OID),
                    ("oprresult", OID), ("oprcom", OID), ("oprnegate", OID), ("oprcode", REGPROC),
                    ("oprrest", REGPROC), ("oprjoin", REGPROC)],
    "pg_cast": [("oid", OID), ("castsource", OID), ("casttarget", OID), ("castfunc", OID),
                ("castcontext", C), ("castmethod", C)],
    "pg_language": [("oid", OID), ("lanname", N), ("lanowner", OID), ("lanispl", B), ("lanpltrusted", B),
                    ("lanplcallfoid", OID), ("laninline", OID), ("lanvalidator", OID), ("lanacl", ACL)],
    "pg_parameter_acl": [("oid", OID), ("parname", T), ("paracl", ACL)],
    "pg_collation": [("oid", OID), ("collname", N), ("collnamespace", OID), ("collowner", OID),
                     ("collprovider", C), ("collisdeterministic", B), ("collencoding", I4),
                     ("collcollate", T), ("collctype", T), ("colliculocale", T), ("collversion", T)],
}
REL_OIDS = {"pg_proc": 1255, "pg_aggregate": 2600, "pg_operator": 2617, "pg_cast": 2605,
            "pg_language": 2612, "pg_collation": 3456, "pg_parameter_acl": 6243}

# positions in pg15_data.PROCS rows (scripts/gen_pg15_catalog.py's PROC_COLS, then two extras)
_ARGTYPES, _ALLARGTYPES, _ARGMODES, _ARGNAMES, _NARGDEFAULTS = 19, 20, 21, 22, 17
_RETTYPE, _RETSET, _DESCRIPTION, _DEFAULTS_TEXT = 18, 13, 30, 31

# polymorphic families: PostgreSQL 15 moved several functions to anycompatible; pgsvc may
# declare them with anyelement (same resolution for the calls pgsvc supports)
_FAMILY = {O.ANYCOMPATIBLE: O.ANYELEMENT, O.ANYCOMPATIBLEARRAY: O.ANYARRAY,
           O.ANYCOMPATIBLENONARRAY: O.ANYNONARRAY}


def _norm(args) -> tuple:
    return tuple(_FAMILY.get(a, a) for a in args)


# --- PostgreSQL 15's functions and operators ---------------------------------------------

@lru_cache(maxsize=1)
def _procs() -> tuple[dict, dict]:
    by_oid = {row[0]: row for row in pg15.data().PROC_NAMES}
    by_name: dict[str, list[int]] = {}
    for row in pg15.data().PROC_NAMES:
        by_name.setdefault(row[1], []).append(row[0])
    return by_oid, by_name


@lru_cache(maxsize=1)
def _opers() -> tuple[dict, dict]:
    by_oid = {row[0]: row for row in pg15.data().OPERATORS}
    by_name: dict[str, list[int]] = {}
    for row in pg15.data().OPERATORS:
        by_name.setdefault(row[1], []).append(row[0])
    return by_oid, by_name


def proc_row(oid: int):
    """(oid, proname, nspname, argtypes, rettype, prokind) of a PostgreSQL 15 function."""
    return _procs()[0].get(oid)


def procs_named(name: str) -> list[int]:
    return _procs()[1].get(name, [])


@lru_cache(maxsize=1)
def _opers_by_code() -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for row in pg15.data().OPERATORS:
        out.setdefault(row[10], []).append(row)
    return out


def operators_of_function(name: str) -> list[tuple[str, int, int, int]]:
    """(operator, left type, right type, result type) of PostgreSQL 15's operators whose
    function (oprcode) is named `name`: int4pl is +(int4, int4), booleq =(bool, bool)."""
    return [(r[1], r[5], r[6], r[7]) for oid in procs_named(name) for r in _opers_by_code().get(oid, ())]


def oper_row(oid: int):
    return _opers()[0].get(oid)


def opers_named(name: str) -> list[int]:
    return _opers()[1].get(name, [])


def pgsvc_signatures() -> set[tuple[str, tuple]]:
    out = set()
    for catalogue in (FUNCTIONS, EXTRA_FUNCTIONS, ENGINE_FUNCTIONS):
        for name, sigs in catalogue.items():
            for sig in sigs:
                out.add((name, _norm(sig.arg_oids)))
    return out


def listed_procs() -> list[tuple]:
    """PostgreSQL 15's pg_proc rows (with description, default texts) pgsvc resolves."""
    have = pgsvc_signatures()
    return [row for row in pg15.data().PROCS if (row[1], _norm(row[_ARGTYPES])) in have
            and _types_exist(row)]


def _types_exist(row) -> bool:
    """Every type the row names is in pg_type: a row whose result type pgsvc lacks (pg_lsn:
    pg_current_wal_lsn() answers text here) would send clients that join pg_proc to
    pg_type -- sqlsmith, driver introspection -- to a type that does not exist."""
    return all(find_oid(t) is not None for t in (row[_RETTYPE], *row[_ARGTYPES]))


_BY_OID: dict[int, tuple] = {}


def proc_by_oid(oid: int) -> tuple | None:
    """A listed pg_proc row by OID (the set is fixed once every module has registered)."""
    if not _BY_OID:
        _BY_OID.update({row[0]: row for row in listed_procs()})
    return _BY_OID.get(oid)


def proc_description(oid: int) -> str | None:
    """obj_description(oid, 'pg_proc') of a built-in function."""
    row = proc_by_oid(int(oid))
    return row[_DESCRIPTION] if row is not None else None


@lru_cache(maxsize=1)
def other_descriptions() -> dict:
    """obj_description of the built-in languages and collations, by OID and (OID, catalog)."""
    out: dict = {}
    for rows, catalog in ((pg15.data().LANGUAGES, "pg_language"), (pg15.data().COLLATIONS, "pg_collation")):
        for r in rows:
            if r[-1] is not None:
                out[(r[0], catalog)] = out[r[0]] = r[-1]
    return out


def function_definition(row: tuple) -> str:
    """pg_get_functiondef of a built-in function: CREATE OR REPLACE FUNCTION as PostgreSQL
    prints it (arguments with defaults, RETURNS, LANGUAGE, the options line, AS $function$)."""
    lang = {r[0]: r[1] for r in language_rows()}.get(row[4], "internal")
    out = [f"CREATE OR REPLACE FUNCTION {quote_ident('pg_catalog')}.{quote_ident(row[1])}"
           f"({format_arguments(row)})\n", f" RETURNS {format_result(row)}\n", f" LANGUAGE {quote_ident(lang)}\n"]
    opts = ""
    if row[9] == "w":
        opts += " WINDOW"
    opts += {"i": " IMMUTABLE", "s": " STABLE"}.get(row[14], "")
    opts += {"s": " PARALLEL SAFE", "r": " PARALLEL RESTRICTED"}.get(row[15], "")
    if row[12]:
        opts += " STRICT"
    if row[10]:
        opts += " SECURITY DEFINER"
    if row[11]:
        opts += " LEAKPROOF"
    default_cost = 1 if lang in ("internal", "c") else 100
    if row[5] != default_cost:
        opts += f" COST {row[5]:g}"
    if row[6] and row[6] > 0 and row[6] != 1000:
        opts += f" ROWS {row[6]:g}"
    if row[8]:
        support = proc_row(row[8])
        opts += f" SUPPORT {quote_ident(support[1]) if support else row[8]}"
    if opts:
        out.append(opts + "\n")
    body = ""
    if row[26] is not None:
        body += "'" + row[26].replace("'", "''") + "', "
    tag = "$function$"
    while tag in (row[25] or ""):
        tag = tag[:-1] + "x$"
    out.append(f"AS {body}{tag}{row[25]}{tag}\n")
    return "".join(out)


# --- pg_get_function_arguments / _result ------------------------------------------------

def _split_top(text: str) -> list[str]:
    """'0, 0, ARRAY[1, 2]' -> the top-level comma-separated expressions."""
    out, depth, cur, quote = [], 0, "", False
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch in "([":
            depth += 1
        elif not quote and ch in ")]":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def format_arguments(row: tuple, identity: bool = False) -> str:
    """print_function_arguments: modes, names, types (format_type), DEFAULTs."""
    types = row[_ALLARGTYPES] or row[_ARGTYPES]
    modes = row[_ARGMODES] or ["i"] * len(types)
    names = row[_ARGNAMES] or [""] * len(types)
    defaults = _split_top(row[_DEFAULTS_TEXT]) if row[_DEFAULTS_TEXT] and not identity else []
    inputs = sum(1 for m in modes if m in ("i", "b", "v"))
    first_default = inputs - (row[_NARGDEFAULTS] or 0)
    parts, n_in = [], 0
    for typ, mode, name in zip(types, modes, names):
        if mode == "t" or identity and mode == "o":
            continue
        prefix = {"o": "OUT ", "b": "INOUT ", "v": "VARIADIC "}.get(mode, "")
        text = prefix + (f"{quote_ident(name)} " if name else "") + format_type(typ, None)
        if mode in ("i", "b", "v"):
            if defaults and n_in >= first_default:
                text += " DEFAULT " + defaults[n_in - first_default]
            n_in += 1
        parts.append(text)
    return ", ".join(parts)


def format_result(row: tuple) -> str:
    """pg_get_function_result: the type, SETOF type, or TABLE(name type, ...)."""
    modes = row[_ARGMODES] or []
    if "t" in modes:
        cols = [f"{quote_ident(n)} {format_type(t, None)}"
                for t, m, n in zip(row[_ALLARGTYPES], modes, row[_ARGNAMES]) if m == "t"]
        return "TABLE(" + ", ".join(cols) + ")"
    text = format_type(row[_RETTYPE], None)
    return "SETOF " + text if row[_RETSET] else text


# --- rows (stored forms) ------------------------------------------------------------------

def _arr(value):
    return None if value is None else json.dumps(list(value))


def _b(value):
    return None if value is None else int(bool(value))


def proc_rows() -> list[tuple]:
    out = []
    for r in listed_procs():
        out.append((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], _b(r[10]), _b(r[11]),
                    _b(r[12]), _b(r[13]), r[14], r[15], r[16], r[17], r[18], _arr(r[19]), _arr(r[20]),
                    _arr(r[21]), _arr(r[22]), r[23], _arr(r[24]), r[25], r[26], r[27], _arr(r[28]),
                    _arr(r[29])))
    return out


def aggregate_rows() -> list[tuple]:
    listed = {r[0] for r in listed_procs()}
    return [tuple(_b(v) if i in (11, 12) else v for i, v in enumerate(r)) for r in pg15.data().AGGREGATES
            if r[0] in listed]


def operator_rows() -> list[tuple]:
    have = {(s.name, s.left_oid, s.right_oid) for sigs in OPERATORS.values() for s in sigs}
    out = []
    for (oid, name, kind, merge, hash_, left, right, result, com, neg, code, rest, join,
         _desc) in pg15.data().OPERATORS:
        if (name, left, right) in have:
            out.append((oid, name, PG_CATALOG_OID, BOOTSTRAP_SUPERUSER_OID, kind, _b(merge), _b(hash_), left,
                        right, result, com, neg, code, rest, join))
    return out


def operator_description(oid: int) -> str | None:
    """obj_description(oid, 'pg_operator') of a built-in operator pgsvc has."""
    if not _OPER_DESCRIPTIONS:
        _OPER_DESCRIPTIONS.update({r[0]: r[13] for r in _listed_operators()})
    return _OPER_DESCRIPTIONS.get(oid)


_OPER_DESCRIPTIONS: dict[int, str | None] = {}


def _listed_operators() -> list[tuple]:
    listed = {r[0] for r in operator_rows()}
    return [r for r in pg15.data().OPERATORS if r[0] in listed]


def cast_rows() -> list[tuple]:
    return [r for r in pg15.data().CASTS if (r[1], r[2]) in CASTS]


def language_rows() -> list[tuple]:
    return [(r[0], r[1], r[2], _b(r[3]), _b(r[4]), r[5], r[6], r[7], _arr(r[8])) for r in pg15.data().LANGUAGES]


def collation_rows() -> list[tuple]:
    return [(r[0], r[1], r[2], r[3], r[4], _b(r[5]), r[6], r[7], r[8], r[9], r[10])
            for r in pg15.data().COLLATIONS]


STATIC_ROWS = {"pg_proc$builtin": proc_rows, "pg_aggregate$builtin": aggregate_rows, "pg_operator": operator_rows,
               "pg_cast": cast_rows, "pg_language": language_rows, "pg_collation": collation_rows,
               # GRANT SET/ALTER SYSTEM ON PARAMETER is not supported: no parameter has an ACL
               "pg_parameter_acl": lambda: []}


@lru_cache(maxsize=1)
def collation_names() -> dict[str, int]:
    return {r[1]: r[0] for r in collation_rows()}
