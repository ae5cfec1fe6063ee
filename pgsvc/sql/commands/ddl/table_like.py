"""CREATE TABLE ... (LIKE source [INCLUDING | EXCLUDING what] ...), as PostgreSQL's
transformTableLikeClause: the source's columns (name, type, typmod, collation, NOT NULL)
written out as column definitions where the LIKE clause stands, and with the options:

  DEFAULTS     the columns' defaults (a serial's nextval of the source's sequence, as PostgreSQL)
  GENERATED    generated columns' expressions (else plain columns)
  IDENTITY     identity columns, each with a new sequence of the source's sequence options
  CONSTRAINTS  CHECK constraints, under their own names (NOT NULL is always copied)
  INDEXES      the primary key and unique constraints, and the other indexes, under names
               made for the new table (l_pkey, l_b_key, l_f_idx ...)
  COMMENTS     the comments of the columns, the CHECK constraints and the copied indexes
  STORAGE, COMPRESSION, STATISTICS  accepted (pgsvc keeps none of them)

The source is a table, a view or a sequence-free relation the caller may SELECT from. The
definitions are produced as SQL text and parsed by PostgreSQL's grammar (pglast), so the
CREATE TABLE that follows treats them exactly like written ones; what needs the new table
(indexes other than constraints, comments) is done after it exists (`finish_like`).
"""

from __future__ import annotations

import pglast
from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.pg_functions.describe import indexdef
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.ex import location
from pgsvc.sql.types.pg_type import format_type

_OPT = enums.TableLikeOption
_COLLATION_NAMES = {950: "C", 951: "POSIX"}


def _has(like: ast.TableLikeClause, opt) -> bool:
    return bool(like.options & opt.value)


def expand_like(ddl, elts) -> tuple[list, list]:
    """The table elements with each LIKE clause replaced by the definitions it stands for,
    and the work left for after the table exists: (source relation, LIKE clause) pairs."""
    out, pending = [], []
    for elt in elts or ():
        if not isinstance(elt, ast.TableLikeClause):
            out.append(elt)
            continue
        tr = Translator(ddl.engine, ddl.cat, [])
        src = tr.relation(elt.relation)
        if src.kind not in ("r", "v"):
            raise SqlError("42809", f'relation "{src.name}" is invalid in LIKE clause',
                           detail=f'This operation is not supported for {"sequences" if src.kind == "S" else "indexes"}.',
                           position=location(elt.relation))
        tr.need(src, "r")
        authz(ddl.engine).check_statement(tr.privs_needed)
        out += _definitions(ddl, src, elt)
        pending.append((src, elt))
    return out, pending


def _definitions(ddl, src, like) -> list:
    cols = []
    collations = src.options.get("collations") or {}
    for a in src.attrs:
        typ = format_type(a.domain_oid or a.type_oid, -1 if a.domain_oid else a.typmod)
        text = f"{quote_ident(a.name)} {typ}"
        coll = _COLLATION_NAMES.get(collations.get(str(a.attnum)))
        if coll:
            text += f' COLLATE "{coll}"'
        if a.generated:
            if _has(like, _OPT.CREATE_TABLE_LIKE_GENERATED):
                text += f" GENERATED ALWAYS AS ({a.default}) STORED"
        elif a.identity in ("a", "d"):
            if _has(like, _OPT.CREATE_TABLE_LIKE_IDENTITY):
                text += f" GENERATED {'ALWAYS' if a.identity == 'a' else 'BY DEFAULT'} AS IDENTITY" \
                        f"{_sequence_options(ddl, src, a)}"
        elif a.default is not None and _has(like, _OPT.CREATE_TABLE_LIKE_DEFAULTS):
            text += f" DEFAULT {a.default}"
        if a.notnull:
            text += " NOT NULL"
        cols.append(text)
    if _has(like, _OPT.CREATE_TABLE_LIKE_CONSTRAINTS):
        for con in src.constraints:
            if con.contype == "c" and con.expr:
                cols.append(f"CONSTRAINT {quote_ident(con.name)} CHECK ({con.expr})")
    if _has(like, _OPT.CREATE_TABLE_LIKE_INDEXES):
        for con in src.constraints:
            if con.contype in ("p", "u") and con.keys:
                names = ", ".join(quote_ident(src.attr_by_num(k).name) for k in con.keys)
                cols.append(f"{'PRIMARY KEY' if con.contype == 'p' else 'UNIQUE'} ({names})")
    if not cols:
        return []
    stmt = pglast.parse_sql(f"CREATE TABLE pgsvc_like ({', '.join(cols)})")[0].stmt
    return list(stmt.tableElts)


def _sequence_options(ddl, src, a) -> str:
    row = ddl.conn.execute('SELECT start, increment, minvalue, maxvalue, cycle FROM "pgsvc$sequence" '
                           "WHERE owner_relid = ? AND owner_attnum = ?", (src.oid, a.attnum)).fetchone()
    if row is None:
        return ""
    start, inc, lo, hi, cycle = row
    return f" (START WITH {start} INCREMENT BY {inc} MINVALUE {lo} MAXVALUE {hi}{' CYCLE' if cycle else ''})"


def finish_like(ddl, rel, pending) -> None:
    """After the table exists: the LIKE sources' other indexes and their comments."""
    for src, like in pending:
        index_names: dict[int, int] = {}  # source index OID -> the copy's OID
        if _has(like, _OPT.CREATE_TABLE_LIKE_INDEXES):
            backing = {c.name for c in src.constraints if c.contype in ("p", "u")}
            for ix in src.indexes:
                if ix.name in backing:
                    continue
                node = pglast.parse_sql(indexdef(ddl.engine, ix.oid, 0, False))[0].stmt
                node.idxname = None
                node.relation = ast.RangeVar(relname=rel.name, schemaname=rel.schema, inh=True, relpersistence="p")
                before = {i.oid for i in ddl.cat.by_oid[rel.oid].indexes}
                ddl.create_index(node)
                ddl.refresh()
                made = [i.oid for i in ddl.cat.by_oid[rel.oid].indexes if i.oid not in before]
                if made:
                    index_names[ix.oid] = made[0]
        if _has(like, _OPT.CREATE_TABLE_LIKE_COMMENTS):
            _copy_comments(ddl, src, ddl.cat.by_oid[rel.oid], like, index_names)
    ddl.refresh()


def _copy_comments(ddl, src, rel, like, index_names: dict) -> None:
    def comment(oid, sub):
        row = ddl.conn.execute('SELECT description FROM "pgsvc$description" WHERE objoid = ? AND objsubid = ?',
                               (oid, sub)).fetchone()
        return row[0] if row else None
    for a in src.attrs:
        text = comment(src.oid, a.attnum)
        mine = rel.attr(a.name)
        if text is not None and mine is not None:
            C.delete_description(ddl.conn, rel.oid, mine.attnum)
            C.insert_description(ddl.conn, rel.oid, mine.attnum, text)
    if _has(like, _OPT.CREATE_TABLE_LIKE_CONSTRAINTS):
        for con in src.constraints:
            mine = next((c for c in rel.constraints if c.contype == "c" and c.name == con.name), None)
            text = comment(con.oid, 0) if con.contype == "c" else None
            if text is not None and mine is not None:
                C.insert_description(ddl.conn, mine.oid, 0, text)
    for old, new in index_names.items():
        text = comment(old, 0)
        if text is not None:
            C.insert_description(ddl.conn, new, 0, text)
