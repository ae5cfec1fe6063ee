"""Catalog functions behind psql's \\d family: pg_get_expr, pg_get_constraintdef,
pg_get_indexdef, pg_get_viewdef, pg_get_ruledef, pg_get_serial_sequence,
obj_description, col_description, shobj_description, and the ones psql calls for
objects pgsvc does not have (triggers, extended statistics, publications).

Wiring (as catalog_funcs'): their signatures go into functions.session_sigs.ENGINE_FUNCTIONS
when this module is imported; `register(conn, engine)` installs the SQLite UDFs on each
backend's connection. The
pg_catalog relations that use the normalising UDFs (pgsvce_node_default,
pgsvce_node_check, pgsvce_check_keys) are in pgsvc.sql.catalog.system.describe_defs.

Texts are PostgreSQL 15's: pgsvc.sql.deparse.query.Analyzer types a stored expression or view
query the way PostgreSQL's parser would have, and pgsvc.sql.deparse prints it the way
ruleutils.c does. A construct the deparser does not model prints as it was stored.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from functools import lru_cache

import pglast
from pglast import ast, enums
from pglast.stream import RawStream

from pgsvc.cluster.builtin_oids import BUILTIN_SCHEMAS, PG_CATALOG_OID, PG_TOAST_OID, PUBLIC_SCHEMA_OID
from pgsvc.errors import SqlError
from pgsvc.sql.catalog import deferrable, regtypes
from pgsvc.sql.catalog.publications import publishable
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.catalog.system import procs as P
from pgsvc.sql.catalog.system.describe_defs import CLASSOID
from pgsvc.sql.catalog.system.pg_catalog_defs import REL_OIDS
from pgsvc.sql.deparse.nodes import Var
from pgsvc.sql.deparse.printing import relation_name
from pgsvc.sql.deparse.query import Analyzer, analyze_select
from pgsvc.sql.deparse.query_text import expr_text, query_text
from pgsvc.sql.functions.context import reporting_sql_errors
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.pg_functions.ruledefs import find_rule, rule_text
from pgsvc.sql.pg_functions.type_funcs import domain_constraintdef
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import find_oid, format_type

# comments every database has from initdb (pg_description's built-in rows)
_INITDB_COMMENTS = {(PUBLIC_SCHEMA_OID, "pg_namespace"): "standard public schema",
                    (PG_CATALOG_OID, "pg_namespace"): "system catalog schema",
                    (PG_TOAST_OID, "pg_namespace"): "reserved schema for TOAST tables",
                    (13559, "pg_extension"): "PL/pgSQL procedural language"}
_FK_ACTIONS = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
# classoid of the catalogs obj_description / shobj_description are asked about
_CATALOG_OIDS = {"pg_class": 1259, "pg_namespace": 2615, "pg_constraint": 2606, "pg_type": 1247,
                 "pg_extension": 3079, "pg_proc": 1255, "pg_database": 1262, "pg_authid": 1260,
                 "pg_tablespace": 1213, "pg_am": 2601, "pg_attrdef": 2604, "pg_rewrite": 2618,
                 "pg_trigger": 2620, "pg_collation": 3456, "pg_language": 2612, "pg_operator": 2617,
                 "pg_publication": 6104}


# --- names ---------------------------------------------------------------------------------

def find_relation(engine, text: str):
    """regclassin's lookup (pgsvc.sql.catalog.regtypes): the relation a (qualified) name finds, or
    None; 42602 for a malformed name."""
    parts = regtypes.split_names(text)
    if len(parts) > 2:
        return None
    return regtypes.find_relation(engine, parts[0] if len(parts) == 2 else None, parts[-1])


# Stored defaults and view queries are PostgreSQL source text, their names resolved when
# they are read; PostgreSQL bound them when they were created, mostly under the default
# search_path. A name the reader's search_path does not find (a dump's, which is '') is
# looked up under that default, and printed qualified as the reader's path needs.
_CREATION_PATH = '"$user", public'


@contextmanager
def resolving_as_created(engine):
    """Names resolved under the default search_path for the duration (printing is not)."""
    session = engine.session.settings.session
    had, old = "search_path" in session, session.get("search_path")
    session["search_path"] = _CREATION_PATH
    try:
        yield
    finally:
        if had:
            session["search_path"] = old
        else:
            session.pop("search_path", None)


def regclass_text(engine, text: str) -> str:
    """'name'::regclass as regclassout prints it: bare when visible, else qualified."""
    if text.strip().isdigit():
        rel = engine.catalog.by_oid.get(int(text))
    else:
        try:
            rel = find_relation(engine, text)
            if rel is None:
                with resolving_as_created(engine):
                    rel = find_relation(engine, text)
        except SqlError:
            rel = None
    return relation_name(engine, rel) if rel is not None else text


def analyzer_for(engine) -> Analyzer:
    return Analyzer(engine, regclass_name=lambda text: regclass_text(engine, text))


def _parse_expr(text: str):
    return pglast.parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val


def _analyze(engine, text: str, relid, target=None):
    try:
        return _analyze_now(engine, text, relid, target)
    except Exception:  # noqa: BLE001 - names the reader's search_path does not find
        with resolving_as_created(engine):
            return _analyze_now(engine, text, relid, target)


def _analyze_now(engine, text: str, relid, target=None):
    an = analyzer_for(engine)
    rel = engine.catalog.by_oid.get(int(relid)) if relid else None
    if rel is not None:
        an.with_relation(rel)
    node = an.expr(_parse_expr(text))
    if target is not None:
        node = an.coerce(node, target[0], target[1], implicit=True)
    else:
        node = an.finalize(node)
    return node


def _guard(fn, fallback):
    """Deparsing is best effort: a construct it does not model (Unsupported) or any other
    failure prints the stored source text instead of failing the client's catalog query."""
    try:
        return fn()
    except Exception:  # noqa: BLE001 - see the docstring
        return fallback


# --- stored expressions ----------------------------------------------------------------------

def node_default(engine, text, relid, typid, typmod):
    """pg_attrdef.adbin: a default as PostgreSQL stores it (coerced to the column's type)."""
    if text is None:
        return None
    return _guard(lambda: expr_text(engine, _analyze(engine, text, relid, (typid, typmod)), False), text)


def node_check(engine, text, relid):
    """pg_constraint.conbin of a CHECK constraint."""
    if text is None:
        return None
    return _guard(lambda: expr_text(engine, _analyze(engine, text, relid, (O.BOOL, -1)), False), text)


def check_keys(engine, text, relid):
    """conkey of a CHECK constraint: the attnums its expression reads, ascending."""
    if text is None:
        return "[]"

    def keys():
        rel = engine.catalog.by_oid.get(int(relid))
        node = _analyze(engine, text, relid)
        names = set()
        _walk(node, lambda n: names.add(n.name) if isinstance(n, Var) else None)
        return json.dumps(sorted(a.attnum for a in rel.attrs if a.name in names))
    return _guard(keys, "[]")


def _walk(node, fn) -> None:
    fn(node)
    for value in vars(node).values() if hasattr(node, "__dict__") else ():
        if isinstance(value, list):
            for v in value:
                for x in (v if isinstance(v, tuple) else (v,)):
                    if hasattr(x, "typ"):
                        _walk(x, fn)
        elif hasattr(value, "typ") and value is not node:
            _walk(value, fn)


def get_expr(engine, text, relid, pretty):
    """pg_get_expr(pg_node_tree, relation [, pretty]); a list (pg_proc.proargdefaults) prints
    its items comma-separated, as PostgreSQL prints a List."""
    if text is None:
        return None
    items = _guard(lambda: pglast.parse_sql(f"SELECT {text}")[0].stmt.targetList, None) if "," in text else None
    if items is not None and len(items) > 1:
        # (an item that starts on a new line, as CASE, leaves no space after the comma: ruleutils'
        # removeStringInfoSpaces)
        return re.sub(r" +\n", "\n", ", ".join(get_expr(engine, RawStream()(t.val), relid, pretty) for t in items))
    return _guard(lambda: expr_text(engine, _analyze(engine, text, relid), bool(pretty)), text)


# --- constraints, indexes, views ----------------------------------------------------------------

def _constraint(engine, oid):
    for rel in engine.catalog.by_oid.values():
        for con in rel.constraints:
            if con.oid == oid:
                return rel, con
    return None, None


def constraintdef(engine, oid, pretty):
    if oid is None:
        return None
    rel, con = _constraint(engine, int(oid))
    if con is None:
        t = next((t for t in engine.catalog.triggers.values() if t.constraint == int(oid)), None)
        if t is not None:  # a constraint trigger's
            return "TRIGGER" + (" DEFERRABLE" if t.deferrable else "") + \
                (" INITIALLY DEFERRED" if t.initdeferred else "")
        return domain_constraintdef(engine, int(oid), pretty)  # a domain's CHECK (pgsvc$domain_constraint)
    text = _constraintdef(engine, rel, con, pretty)
    # not validated yet (ALTER TABLE ... ADD ... NOT VALID)
    return f"{text} NOT VALID" if text and con.oid in (rel.options.get("not_valid") or ()) else text


def _constraintdef(engine, rel, con, pretty):
    cols = lambda r, keys: ", ".join(quote_ident(r.attr_by_num(k).name) for k in keys)  # noqa: E731
    if con.contype == "p":
        return f"PRIMARY KEY ({cols(rel, con.keys)})"
    if con.contype == "u":
        return f"UNIQUE ({cols(rel, con.keys)})"
    if con.contype == "f":
        parent = engine.catalog.by_oid.get(con.frelid)
        if parent is None:
            return None
        out = f"FOREIGN KEY ({cols(rel, con.keys)}) REFERENCES {relation_name(engine, parent)}" \
              f"({cols(parent, con.fkeys)})"
        if con.on_update in _FK_ACTIONS:
            out += f" ON UPDATE {_FK_ACTIONS[con.on_update]}"
        if con.on_delete in _FK_ACTIONS:
            out += f" ON DELETE {_FK_ACTIONS[con.on_delete]}"
        return out + deferrable.clause(rel, con)
    if con.contype == "c":
        node = node_check(engine, con.expr, rel.oid)
        return f"CHECK ({get_expr(engine, node, rel.oid, pretty) if pretty else node})"
    return None


def _index(engine, oid):
    for rel in engine.catalog.by_oid.values():
        for ix in rel.indexes:
            if ix.oid == oid:
                return rel, ix
    return None, None


def indexdef(engine, oid, colno, pretty):
    if oid is None:
        return None
    rel, ix = _index(engine, int(oid))
    if ix is None:
        return None

    def key(k):
        if isinstance(k, int):
            return quote_ident(rel.attr_by_num(k).name)
        text = get_expr(engine, k, rel.oid, pretty)
        # ruleutils' looks_like_function: a function call prints bare, another expression in parentheses
        return text if _looks_like_function(k) else f"({text})"
    irel = engine.catalog.by_oid.get(ix.oid)
    include = [quote_ident(rel.attr_by_num(n).name) for n in (irel.options.get("include") or ())] if irel else []
    colno = int(colno or 0)
    if colno:
        if 0 < colno <= len(ix.keys):
            return key(ix.keys[colno - 1])
        return include[colno - len(ix.keys) - 1] if colno <= len(ix.keys) + len(include) else ""
    options = (irel.options.get("indoption") if irel is not None else None) or [0] * len(ix.keys)
    keys = ", ".join(key(k) + _key_order(opt) for k, opt in zip(ix.keys, options))
    table = relation_name(engine, rel) if pretty else f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"
    am = "gist" if irel is not None and irel.options.get("relam") == 783 else "btree"
    pred = irel.options.get("indpred") if irel is not None else None
    where = f" WHERE {get_expr(engine, pred, rel.oid, pretty)}" if pred else ""
    inc = f" INCLUDE ({', '.join(include)})" if include else ""
    only = "ONLY " if rel.options.get("partkey") else ""  # a partitioned table's index (its partitions have theirs)
    return (f"CREATE {'UNIQUE ' if ix.unique else ''}INDEX {quote_ident(ix.name)} ON {only}{table} "
            f"USING {quote_ident(am)} ({keys}){inc}{where}")


def _looks_like_function(text: str) -> bool:
    node = _guard(lambda: pglast.parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val, None)
    if isinstance(node, ast.A_Expr):
        return node.kind == enums.A_Expr_Kind.AEXPR_NULLIF
    return isinstance(node, (ast.FuncCall, ast.CoalesceExpr, ast.MinMaxExpr, ast.SQLValueFunction, ast.XmlExpr))


def _key_order(indoption: int) -> str:
    if indoption & 1:
        return " DESC" if indoption & 2 else " DESC NULLS LAST"
    return " NULLS FIRST" if indoption & 2 else ""


def view_query(stmt: ast.SelectStmt):
    """Undo CREATE VIEW v (a, b)'s stored wrapper SELECT * FROM (query) AS v(a, b)."""
    f = stmt.fromClause
    if (f and len(f) == 1 and isinstance(f[0], ast.RangeSubselect) and f[0].alias is not None
            and f[0].alias.aliasname == "v" and f[0].alias.colnames and len(stmt.targetList) == 1
            and isinstance(stmt.targetList[0].val, ast.ColumnRef)
            and isinstance(stmt.targetList[0].val.fields[-1], ast.A_Star) and stmt.whereClause is None):
        return f[0].subquery
    return stmt


def viewdef(engine, key, pretty):
    """pg_get_viewdef(oid | name [, pretty])."""
    if key is None:
        return None
    if isinstance(key, str) and not key.strip().isdigit():
        rel = find_relation(engine, key)
        if rel is None:
            raise SqlError("42P01", f'relation "{key}" does not exist')
    else:
        rel = engine.catalog.by_oid.get(int(key))
    if rel is None or rel.kind not in ("v", "m") or not rel.viewdef:  # (m: commands.ddl.matviews)
        return None
    settings = engine.session.settings
    styles = tuple(str(settings.get(n)) for n in ("DateStyle", "IntervalStyle", "TimeZone", "extra_float_digits",
                                                                 "quote_all_identifiers"))
    return _viewdef_cached(engine, rel.oid, engine.catalog.version, tuple(engine.search_path()), bool(pretty),
                           rel.viewdef, styles)


@lru_cache(maxsize=256)
def _viewdef_cached(engine, oid, version, search_path, pretty, text, styles):
    """(keyed by what the text depends on: the catalog, the search path for qualification,
    the settings constants are printed under)"""
    rel = engine.catalog.by_oid[oid]

    def make():
        stmt = view_query(pglast.parse_sql(text)[0].stmt)
        try:
            q = analyze_select(analyzer_for(engine), stmt)
        except Exception:  # noqa: BLE001 - names the reader's search_path does not find
            with resolving_as_created(engine):
                q = analyze_select(analyzer_for(engine), view_query(pglast.parse_sql(text)[0].stmt))
        return query_text(engine, q, pretty, 0, [a.name for a in rel.attrs]) + ";"
    return _guard(make, f" {text};")


def ruledef(engine, oid, pretty):
    """pg_get_ruledef: a view's _RETURN rule, or a rule CREATE RULE made (pg_functions.ruledefs)."""
    if oid is None:
        return None
    rel = engine.catalog.by_oid.get(int(oid))
    if rel is None or rel.kind != "v":
        found = find_rule(engine, int(oid))
        if found is None:
            return None
        rel, rule = found
        target = relation_name(engine, rel) if pretty else f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"
        return rule_text(engine, rel, rule, bool(pretty), target)
    target = relation_name(engine, rel) if pretty else f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"
    return f'CREATE RULE "_RETURN" AS\n    ON SELECT TO {target} DO INSTEAD {viewdef(engine, rel.oid, pretty)}'


def serial_sequence(engine, table, column):
    """pg_get_serial_sequence(table, column): the owned sequence, schema-qualified."""
    if table is None or column is None:
        return None
    rel = find_relation(engine, table)
    if rel is None:
        raise SqlError("42P01", f'relation "{table}" does not exist')
    attr = rel.attr(column)
    if attr is None:
        raise SqlError("42703", f'column "{column}" of relation "{rel.name}" does not exist')
    row = engine.conn.execute('SELECT relid FROM "pgsvc$sequence" WHERE owner_relid = ? AND owner_attnum = ?',
                              (rel.oid, attr.attnum)).fetchone()
    seq = engine.catalog.by_oid.get(row[0]) if row else None
    return f"{quote_ident(seq.schema)}.{quote_ident(seq.name)}" if seq is not None else None


# --- object descriptions (pg_describe_object) ----------------------------------------------------

_RELKIND_WORDS = {"r": "table", "i": "index", "S": "sequence", "v": "view", "m": "materialized view",
                  "c": "composite type", "t": "TOAST table", "f": "foreign table", "p": "partitioned table",
                  "I": "partitioned index"}
_LANGUAGES = {12: "internal", 13: "c", 14: "sql", 13563: "plpgsql"}
_BUILTIN_SCHEMAS = {oid: name for name, oid in BUILTIN_SCHEMAS.items()}
_TABLESPACES = {1663: "pg_default", 1664: "pg_global"}


def describe_object(engine, classid, objid, objsubid):
    """pg_describe_object: PostgreSQL's getObjectDescription for the objects pgsvc has
    (NULL for one that does not exist; an error for an unknown catalog)."""
    if classid is None or objid is None or objsubid is None:
        return None
    classid, objid, objsubid = int(classid), int(objid), int(objsubid)
    if classid not in set(REL_OIDS.values()) | set(_CATALOG_OIDS.values()):
        raise SqlError("XX000", f"unrecognized object class: {classid}")
    cat = engine.catalog
    if classid == 1259:
        return _relation_description(engine, objid, objsubid)
    if classid == 2604:  # pg_attrdef: oid = (adrelid << 11) | adnum
        column = _relation_description(engine, objid >> 11, objid & 0x7FF)
        return f"default value for {column}" if column and column.startswith("column ") else None
    if classid == 2606:
        rel, con = _constraint(engine, objid)
        return f"constraint {con.name} on {_relation_description(engine, rel.oid, 0)}" if con else None
    if classid == 2620:
        t = cat.triggers.get(objid)
        return f"trigger {t.name} on {_relation_description(engine, t.relid, 0)}" if t else None
    if classid == 2618:
        rel = cat.by_oid.get(objid)
        return f"rule _RETURN on {_relation_description(engine, objid, 0)}" if rel and rel.kind == "v" else None
    if classid == 2615:
        name = next((n for n, o in cat.schemas.items() if o == objid), _BUILTIN_SCHEMAS.get(objid))
        return f"schema {quote_ident(name)}" if name else None
    if classid == 1255:
        text = regtypes.reg_out(engine, O.REGPROCEDURE, objid)
        return f"function {text}" if text and not text.isdigit() else None
    if classid == 1247:
        return f"type {format_type(objid, None)}" if find_oid(objid) is not None else None
    names = {2612: _LANGUAGES, 3079: {13559: "plpgsql"}, 1213: _TABLESPACES}
    if classid in names:
        word = {2612: "language", 3079: "extension", 1213: "tablespace"}[classid]
        return f"{word} {quote_ident(names[classid][objid])}" if objid in names[classid] else None
    if classid in (1262, 1260):
        sc = shared(engine)
        found = sc.cat.find_database_oid(objid) if classid == 1262 else sc.cat.find_role_oid(objid)
        return f"{'database' if classid == 1262 else 'role'} {quote_ident(found.name)}" if found else None
    return None


def _relation_description(engine, oid: int, subid: int):
    rel = regtypes.relation_by_oid(engine, oid)
    if rel is None:
        return None
    text = f"{_RELKIND_WORDS.get(rel.kind, 'relation')} {regtypes.reg_out(engine, O.REGCLASS, oid)}"
    if subid:
        attr = next((a for a in rel.attrs if a.attnum == subid), None)
        return f"column {attr.name} of {text}" if attr is not None else None
    return text


# --- comments --------------------------------------------------------------------------------

def obj_description(engine, oid, catalog=None):
    if oid is None:
        return None
    if catalog is not None and catalog not in _CATALOG_OIDS:
        return None
    sql = 'SELECT d.description FROM main."pgsvc$description" d WHERE d.objoid = ? AND d.objsubid = 0'
    args: tuple = (int(oid),)
    if catalog is not None:
        sql += f" AND {CLASSOID} = ?"
        args += (_CATALOG_OIDS[catalog],)
    row = engine.conn.execute(sql, args).fetchone()
    if row is None:
        return next((text for (o, cat), text in _INITDB_COMMENTS.items() if o == int(oid) and catalog in (None, cat)),
                    None)
    return row[0]


def described(engine, oid, catalog=None):
    """obj_description(oid[, catalog]) as SQL answers it: the database's comment, else PostgreSQL
    15's description of a built-in function, operator, language or collation (pg_description's
    initdb rows)."""
    text = obj_description(engine, oid, catalog)
    if text is None and oid is not None and catalog in (None, "pg_proc"):
        text = P.proc_description(int(oid))
    if text is None and oid is not None and catalog in (None, "pg_operator"):
        text = P.operator_description(int(oid))
    if text is None and oid is not None and catalog in (None, "pg_language", "pg_collation"):
        text = P.other_descriptions().get((int(oid), catalog or ""), P.other_descriptions().get(int(oid)))
    return text


def shobj_description(engine, oid, catalog):
    """Comments on databases and roles (the shared catalog's pg_shdescription)."""
    if oid is None or catalog not in ("pg_database", "pg_authid", "pg_tablespace"):
        return None
    return shared(engine).cat.shared_description(int(oid), _CATALOG_OIDS[catalog])


def col_description(engine, relid, attnum):
    if relid is None or attnum is None:
        return None
    row = engine.conn.execute('SELECT description FROM "pgsvc$description" WHERE objoid = ? AND objsubid = ?',
                              (int(relid), int(attnum))).fetchone()
    return row[0] if row and int(relid) in engine.catalog.by_oid else None


# --- registration ----------------------------------------------------------------------------

def register(conn, engine) -> None:

    udfs = {
        "pgsvce_node_default": (4, lambda t, r, ty, tm: node_default(engine, t, r, ty, tm)),
        "pgsvce_node_check": (2, lambda t, r: node_check(engine, t, r)),
        "pgsvce_check_keys": (2, lambda t, r: check_keys(engine, t, r)),
        "pgsvce_get_expr": (3, lambda t, r, p: get_expr(engine, t, r, p)),
        "pgsvce_constraintdef": (2, lambda oid, p: constraintdef(engine, oid, p)),
        "pgsvce_indexdef": (3, lambda oid, col, p: indexdef(engine, oid, col, p)),
        "pgsvce_viewdef": (2, lambda key, p: viewdef(engine, key, p)),
        "pgsvce_ruledef": (2, lambda oid, p: ruledef(engine, oid, p)),
        "pgsvce_serial_sequence": (2, lambda t, c: serial_sequence(engine, t, c)),
        "pgsvce_obj_description": (2, lambda oid, cat: described(engine, oid, cat)),
        "pgsvce_obj_description1": (1, lambda oid: described(engine, oid)),
        "pgsvce_col_description": (2, lambda rel, att: col_description(engine, rel, att)),
        "pgsvce_shobj_description": (2, lambda oid, cat: shobj_description(engine, oid, cat)),
        "pgsvce_relation_is_publishable": (1, lambda oid: _publishable(engine, oid)),
        "pgsvce_describe_object": (3, lambda c, o, s: describe_object(engine, c, o, s)),
        "pgsvce_reloptions": (1, reloptions),
    }
    for name, (nargs, fn) in udfs.items():
        conn.create_function(name, nargs, reporting_sql_errors(engine.fctx, fn))


# keys of pgsvc$class.options that are pgsvc's own records, not storage parameters
_NOT_RELOPTIONS = {"replident", "replident_index",  # REPLICA IDENTITY (commands.ddl.replica_identity)
                   "inherits", "partkey", "partbound", "parent_index", "indoption", "collations", "relam", "persistence", "not_valid",
                   "invalid",  # a partitioned index made ON ONLY (commands.ddl.partition_index_attach)
                   "deferrable", "deferred", "dropped",  # dropped columns (commands.ddl.alter_table)
                   "rls", "rls_force", "policies",  # row-level security (catalog.policies)
                   "populated",  # a materialized view's (commands.ddl.matviews)
                   "rules"}  # CREATE RULE's rules (catalog.rules)


def reloptions(options):
    """pg_class.reloptions: WITH (...) storage parameters as 'name=value' (text[] stored form)."""
    if not options:
        return None
    items = [f"{k}={_option_text(v)}" for k, v in json.loads(options).items() if k not in _NOT_RELOPTIONS]
    return json.dumps(items) if items else None


def _option_text(value) -> str:
    if value is None or value is True:
        return "true"
    return "false" if value is False else str(value)


def _publishable(engine, oid):
    if oid is None:
        return None
    rel = engine.catalog.by_oid.get(int(oid))
    return int(rel is not None and publishable(rel))


_SIGNATURES = (
    ("pg_get_expr", (O.TEXT, O.OID), O.TEXT, "pgsvce_get_expr({0}, {1}, 0)"),
    ("pg_get_expr", (O.TEXT, O.OID, O.BOOL), O.TEXT, "pgsvce_get_expr({0}, {1}, {2})"),
    ("pg_get_constraintdef", (O.OID,), O.TEXT, "pgsvce_constraintdef({0}, 0)"),
    ("pg_get_constraintdef", (O.OID, O.BOOL), O.TEXT, "pgsvce_constraintdef({0}, {1})"),
    ("pg_get_indexdef", (O.OID,), O.TEXT, "pgsvce_indexdef({0}, 0, 0)"),
    ("pg_get_indexdef", (O.OID, O.INT4, O.BOOL), O.TEXT, "pgsvce_indexdef({0}, {1}, {2})"),
    ("pg_get_viewdef", (O.OID,), O.TEXT, "pgsvce_viewdef({0}, 0)"),
    ("pg_get_viewdef", (O.OID, O.BOOL), O.TEXT, "pgsvce_viewdef({0}, {1})"),
    ("pg_get_viewdef", (O.OID, O.INT4), O.TEXT, "pgsvce_viewdef({0}, 1)"),
    ("pg_get_viewdef", (O.TEXT,), O.TEXT, "pgsvce_viewdef({0}, 0)"),
    ("pg_get_viewdef", (O.TEXT, O.BOOL), O.TEXT, "pgsvce_viewdef({0}, {1})"),
    ("pg_get_ruledef", (O.OID,), O.TEXT, "pgsvce_ruledef({0}, 0)"),
    ("pg_get_ruledef", (O.OID, O.BOOL), O.TEXT, "pgsvce_ruledef({0}, {1})"),
    ("pg_get_statisticsobjdef_columns", (O.OID,), O.TEXT, "NULL"),
    ("pg_get_serial_sequence", (O.TEXT, O.TEXT), O.TEXT, "pgsvce_serial_sequence({0}, {1})"),
    ("obj_description", (O.OID,), O.TEXT, "pgsvce_obj_description1({0})"),
    ("obj_description", (O.OID, O.NAME), O.TEXT, "pgsvce_obj_description({0}, {1})"),
    ("col_description", (O.OID, O.INT4), O.TEXT, "pgsvce_col_description({0}, {1})"),
    ("shobj_description", (O.OID, O.NAME), O.TEXT, "pgsvce_shobj_description({0}, {1})"),
    ("pg_relation_is_publishable", (O.REGCLASS,), O.BOOL, "pgsvce_relation_is_publishable({0})"),
    ("pg_describe_object", (O.OID, O.OID, O.INT4), O.TEXT, "pgsvce_describe_object({0}, {1}, {2})"),
    ("pg_statistics_obj_is_visible", (O.OID,), O.BOOL, "1"),  # (no extended statistics exist)
)


def _install_signatures() -> None:
    """The translator's signatures of these functions (once, at import)."""
    for name, args, ret, emit in _SIGNATURES:
        sigs = ENGINE_FUNCTIONS.setdefault(name, [])
        if not any(s.arg_oids == args for s in sigs):
            sigs.append(FuncSig(name, args, ret, emit, "scalar", 0, False, "s"))


_install_signatures()

