"""PostgreSQL's pg_cast / pg_operator / pg_proc as data, and the SQLite UDFs behind them.

The translator resolves casts, operators and function calls PostgreSQL-style over
CASTS, OPERATORS and FUNCTIONS. Each entry's `emit` is an SQL template over the
*stored forms* (see pgsvc.sql.types) with {0}, {1}, ... for the operands; the
result is again a stored form of the entry's result type. `register_all(conn, ctx)`
installs every UDF, aggregate and collation those templates use.

Template placeholders: {0}, {1}, ... operands; {args} (variadic functions) the
comma-separated argument list; {argtype0}/{argtype1} the OID of that argument's
resolved type (to_json, json_agg). kind='set' functions have emit '' and a Python
`generator` the translator calls (or materialises) per input row.

Errors inside UDFs: see pgsvc.sql.functions.context (raise_sql / pending_error).
"""

from pgsvc.sql.functions.context import FunctionContext, UdfError, raise_sql  # noqa: F401
from pgsvc.sql.functions.signatures import CastSig, FuncSig, OperSig  # noqa: F401
from pgsvc.sql.functions.casts import CASTS, find_cast  # noqa: F401
from pgsvc.sql.functions.operators import OPERATORS  # noqa: F401
from pgsvc.sql.functions.library import FUNCTIONS  # noqa: F401
from pgsvc.sql.functions.aggregates import AGGREGATES as _AGGREGATES
from pgsvc.sql.functions.core_udfs import like_to_glob  # noqa: F401
from pgsvc.sql.functions.register import register_all  # noqa: F401

from pgsvc.sql.functions import bit_funcs as _bit_funcs
from pgsvc.sql.functions import net_funcs as _net_funcs
from pgsvc.sql.functions import regr as _regr
from pgsvc.sql.functions.bytea_funcs import bytea_sigs as _bytea_sigs
from pgsvc.sql.functions.fmt_funcs import format_sigs as _format_sigs
from pgsvc.sql.functions.jsonsets import json_set_sigs as _json_set_sigs
from pgsvc.sql.functions import jsonb_edit as _jsonb_edit
from pgsvc.sql.functions import json_records as _json_records
from pgsvc.sql.functions import jsonpath_exec as _jsonpath_exec
from pgsvc.sql.functions import range_funcs as _range_funcs
from pgsvc.sql.functions.zone_funcs import zone_sigs as _zone_sigs

for _sig in [*_AGGREGATES, *_format_sigs(), *_json_set_sigs(), *_zone_sigs(), *_bytea_sigs(),
             *_range_funcs.range_sigs(), *_bit_funcs.bit_sigs(), *_net_funcs.net_sigs(), *_regr.state_sigs(),
             *_jsonpath_exec.jsonpath_sigs(), *_jsonb_edit.jsonb_edit_sigs(),
             *_json_records.json_record_sigs()]:
    FUNCTIONS.setdefault(_sig.name, []).append(_sig)
for _op in [*_range_funcs.range_operators(), *_bit_funcs.bit_operators(), *_net_funcs.net_operators(),
            *_jsonpath_exec.jsonpath_operators(), *_jsonb_edit.jsonb_edit_operators()]:
    OPERATORS.setdefault(_op.name, []).append(_op)
for _cast in [*_range_funcs.range_casts(), *_bit_funcs.bit_casts(), *_net_funcs.net_casts()]:
    CASTS[(_cast.source_oid, _cast.target_oid)] = _cast
