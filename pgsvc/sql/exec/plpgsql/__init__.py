"""LANGUAGE plpgsql: PostgreSQL's procedural language, compiled from libpg_query's own
PL/pgSQL parse (source, compiler), with its SQL translated by the SQL layer's translator
(exprs) and run by an interpreter (control, assign, sqlstmts, results, misc, subxact,
frame) - the `plpgsql` handler of catalog.routines' language registry (handler), which
this package registers when it is imported (by the engine).
"""

from pgsvc.sql.catalog.routines import register_language
from pgsvc.sql.exec.plpgsql.handler import PlpgsqlLanguage

register_language("plpgsql", PlpgsqlLanguage())
