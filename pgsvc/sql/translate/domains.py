"""How a domain's constraints are enforced (the DDL is pgsvc.sql.commands.ddl.user_types):

  columns  table_sql gives each column of a domain SQLite CHECK clauses (NOT NULL and every
           CHECK of the domain and the domains under it), named "pgsvc$dom$<oid>$<name>" /
           "pgsvc$domnn$<oid>" so that pgsvc.sql.catalog.sqlite_errors reports PostgreSQL's
           domain errors (domain_violation); INSERT, UPDATE and COPY all pass through them.
  casts    `value::domain` wraps the value in a CASE that raises the same errors.

Errors name the column's (outermost) domain, whichever domain of the chain holds the
failing constraint, as PostgreSQL's do. VALUE in a CHECK stands for the value checked.

Plain functions of the engine, called by the translator (casts) and by the DDL (table
definitions, CREATE/ALTER DOMAIN): each CHECK is translated by a Translator of its own over
the engine's catalog, VALUE bound to the checked value. The Translator is composed in this
package's __init__ from the mixins of this folder, so this module cannot import it: the
package registers its constructor here when it is imported (`register_translator`), which
Python does before any module of the folder is used.
"""

from __future__ import annotations

from collections.abc import Callable

import pglast

from pgsvc.sql.catalog import database as C
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.names import ColInfo, RangeEntry
from pgsvc.sql.types import usertypes as U


def domain_chain(oid: int) -> list[U.UserType]:
    """The domain and the domains it is based on (outermost first)."""
    out, ut = [], U.domain(oid)
    while ut is not None and ut not in out:
        out.append(ut)
        ut = U.domain(ut.basetype)
    return out


_new_translator: list[Callable] = []  # pgsvc.sql.translate's standalone_translator


def register_translator(make: Callable) -> None:
    """Called once by pgsvc.sql.translate: make(engine) -> a Translator over engine.catalog."""
    _new_translator[:] = [make]


def domain_check_sql(engine, base: int, typmod: int, expr: str, value_sql: str) -> str:
    """A domain CHECK as SQLite SQL, VALUE standing for `value_sql` (a column or a value)."""
    tr = _new_translator[0](engine)
    tr.scope.add(RangeEntry(None, [ColInfo("value", base, typmod, value_sql)]))
    node = pglast.parse_sql(f"SELECT {expr}")[0].stmt.targetList[0].val
    return tr.bool_expr(node, "CHECK").sql


def column_check_clauses(engine, a: C.Attr) -> list[str]:
    """table_sql's CHECK clauses for a domain column (named so that catalog.sqlite_errors
    can report PostgreSQL's domain errors: "pgsvc$dom$<type oid>$<constraint>")."""
    col = quote_sqlite_ident(a.name)
    out = []
    outer = a.domain_oid  # errors name the column's domain, whichever domain of the chain has the check
    for ut in domain_chain(a.domain_oid):
        if ut.notnull:
            out.append(f'CONSTRAINT "pgsvc$domnn${outer}" CHECK ({col} IS NOT NULL)')
        for c in ut.checks:
            cond = domain_check_sql(engine, a.type_oid, a.typmod, c.expr, col)
            out.append(f"CONSTRAINT {quote_sqlite_ident(f'pgsvc$dom${outer}${c.name}')} CHECK ({cond})")
    return out


def cast_check_sql(engine, domain_oid: int, base: int, typmod: int, value_sql: str) -> str:
    """`value::domain`: the value, or PostgreSQL's error for a NULL or failed CHECK."""
    whens = []
    name = U.display_name(domain_oid).replace("'", "''")
    for ut in domain_chain(domain_oid):
        if ut.notnull:
            whens.append(f"WHEN v IS NULL THEN pgsvce_raise_domain('23502', 'domain {name} does not allow null "
                         f"values', {domain_oid}, NULL)")
        for c in ut.checks:
            cond = domain_check_sql(engine, base, typmod, c.expr, "v")
            msg = f'value for domain {name} violates check constraint "{c.name}"'.replace("'", "''")
            conname = c.name.replace("'", "''")
            whens.append(f"WHEN ({cond}) = 0 THEN pgsvce_raise_domain('23514', '{msg}', {domain_oid}, '{conname}')")
    if not whens:
        return value_sql
    return f"(SELECT CASE {' '.join(whens)} ELSE v END FROM (SELECT {value_sql} AS v))"
