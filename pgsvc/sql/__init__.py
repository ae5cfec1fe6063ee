"""The SQL layer of a backend: parse, translate to SQLite, execute, type the results.

Laid out by stage, lowest first — the base modules here (api, statement, parse,
quoting), types, functions, catalog, translate, deparse, pg_functions, commands, exec —
and a module imports only from its own folder or the folders below it (README.md beside
this file: the stages, the rule, where a new function, relation or statement goes).
"""
