"""pgsvc: a PostgreSQL-compatible database service written in Python.

A supervisor ("postmaster") forks one backend per client connection; backends
speak PostgreSQL's frontend/backend protocol v3 and run PostgreSQL SQL on SQLite.
"""

__version__ = "0.1.0"

# The PostgreSQL release whose protocol, grammar and catalogs pgsvc follows.
PG_COMPAT_VERSION = "15.18"
PG_COMPAT_VERSION_NUM = 150018
