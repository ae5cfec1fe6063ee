"""Replication connections (the start-up packet's `replication=database|true`): a backend
that speaks the walsender command language (PostgreSQL's src/backend/replication) besides,
for replication=database, plain SQL. `grammar` reads the commands, `dispatch` routes them
to their handlers (registered per command keyword), `session` is the connection's loop,
`plugins` lists the modules whose handlers are registered."""
