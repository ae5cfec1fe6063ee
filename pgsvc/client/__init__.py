"""A small frontend (client) for protocol v3, for pgsvc's own tools (`pgsvc dump`).

conninfo.py resolves libpq-style options and environment; messages.py builds and decodes
messages (no I/O); connection.py connects, authenticates and runs queries.
"""

from pgsvc.client.conninfo import ConnInfoError, ConnParams, password_from_file, resolve
from pgsvc.client.connection import ClientError, Connection, Result, ServerError, connect

__all__ = ["ClientError", "ConnInfoError", "ConnParams", "Connection", "Result", "ServerError",
           "connect", "password_from_file", "resolve"]
