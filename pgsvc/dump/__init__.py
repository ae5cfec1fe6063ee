"""`pgsvc dump` and `pgsvc dumpall`: a database (or the whole cluster) as a plain SQL
script that PostgreSQL 15's psql and pgsvc load unchanged — the way from pgsvc to
PostgreSQL. A client like pg_dump: it connects over the protocol (pgsvc.client) and
reads the catalogs with SQL.

introspect.py reads, ddl.py and acl.py word the statements, order.py orders them,
script.py writes one database, roles.py the cluster's roles, run.py ties them to a
connection and to pg_dump's error wording.
"""
