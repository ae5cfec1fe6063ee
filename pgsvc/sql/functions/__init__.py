"""PostgreSQL's pg_cast / pg_operator / pg_proc as data, and the SQLite UDFs behind them.

The translator resolves casts, operators and function calls PostgreSQL-style over
CASTS, OPERATORS and FUNCTIONS. Each entry's `emit` is an SQL template over the
*stored forms* (see pgsvc.sql.types) with {0}, {1}, ... for the operands; the
result is again a stored form of the entry's result type. `register_all(conn, ctx)`
installs every UDF, aggregate and collation those templates use.

Errors inside UDFs: see pgsvc.sql.functions.context (raise_sql / pending_error).
"""

from pgsvc.sql.functions.context import FunctionContext, UdfError, raise_sql  # noqa: F401
from pgsvc.sql.functions.signatures import (  # noqa: F401
    CASTS, FUNCTIONS, OPERATORS, CastSig, FuncSig, OperSig,
)
from pgsvc.sql.functions.register import register_all  # noqa: F401
