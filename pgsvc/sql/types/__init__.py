"""pgsvc's type system: PostgreSQL's pg_type, text and binary I/O, typmods, and how
each type's values are stored in SQLite.

Python values (fixed by pgsvc.sql.api): bool -> bool; int2/int4/int8/oid/reg* -> int;
float4/float8 -> float; numeric -> Decimal (Decimal('NaN'), and Decimal('Infinity')
for PG 14+'s numeric infinities); text/varchar/bpchar/name/"char"/unknown -> str;
bytea -> bytes; date -> datetime.date, or the strings 'infinity'/'-infinity';
time -> datetime.time (the int 86400000000 for 24:00:00); timetz -> datetime.time with
a fixed-offset tzinfo (dates.TimeTz24 for 24:00:00); timestamp -> naive datetime;
timestamptz -> aware datetime (UTC); timestamp infinities -> the strings
'infinity'/'-infinity'; interval -> Interval; uuid -> uuid.UUID; json/jsonb -> str (JSON
text); box -> str (its canonical text, types.geometry); arrays -> list (nested lists for
more dimensions, None for NULL elements; float and numeric NaN/Infinity are stored in the
array's JSON as the strings 'NaN', 'Infinity', '-Infinity').

STORAGE CONVENTIONS (the stored form in SQLite; `sqlite_adapter(oid)` converts; the
column's declared storage class is `by_oid(oid).storage`):

  bool                 INTEGER 0/1
  int2/int4/int8/oid,
  reg*                 INTEGER (identity)
  float4/float8        REAL; NaN is stored as the TEXT 'NaN' (SQLite would turn a NaN
                       REAL into NULL). TEXT sorts after every number in SQLite, so NaN
                       sorts above +Infinity and equals itself, as in PostgreSQL.
                       +-Infinity are REAL infinities.
  numeric              TEXT, canonical: the value as PostgreSQL prints it (keeping its
                       scale: '1.50'), 'NaN', 'Infinity', '-Infinity'. Columns and
                       comparisons must use COLLATE pg_numeric (numeric order, 1.5 = 1.50,
                       NaN above everything). Arithmetic must go through the numeric
                       UDFs (SQLite would compute in floating point).
  text/varchar/name/
  "char"/unknown       TEXT (identity). BINARY collation = PostgreSQL's "C" collation.
  bpchar               TEXT blank-padded to the typmod length (as PostgreSQL stores
                       it); declare/compare with COLLATE RTRIM (SQLite built-in): trailing
                       spaces are insignificant for char(n), as in PostgreSQL.
  bytea                BLOB (identity)
  date                 INTEGER days since 2000-01-01; +-infinity = +-(2**63-1)... exactly
                       DATE_NOBEGIN = -2**63, DATE_NOEND = 2**63-1
  timestamp            INTEGER microseconds since 2000-01-01 00:00 (wall clock)
  timestamptz          INTEGER microseconds since 2000-01-01 00:00 UTC
                       (both: -infinity = -2**63, infinity = 2**63-1, like PostgreSQL)
  time                 INTEGER microseconds since midnight
  timetz               TEXT 'HH:MM:SS[.ffffff]+HH:MM' (rarely used; COLLATE pg_timetz)
  interval             TEXT 'months days microseconds' (three integers, space
                       separated); COLLATE pg_interval compares like PostgreSQL
                       (30-day months, 24-hour days: '1 mon' = '30 days').
  uuid                 TEXT lower-case hyphenated (memcmp order = PostgreSQL's order)
  json                 TEXT as given
  jsonb                TEXT normalised (PostgreSQL's jsonb output form); equality of the
                       normalised text is jsonb equality.
  arrays               TEXT: a JSON array (nested for more dimensions) of the elements'
                       stored forms (numbers stay JSON numbers, numeric elements are JSON
                       numbers with their exact text, bytea elements hex strings, NaN
                       'NaN'); COLLATE pg_array compares element-wise like PostgreSQL
                       (NULL elements greater than non-NULL). SQLite's json_each /
                       json_array_length work on it directly. Lower bounds other than 1
                       prefix it as a JSON5 comment ('/*0,-1*/[[1,2],[3,4]]', which
                       SQLite's JSON functions skip); the Python value is then an
                       arrays.BoundedArray (a list with .lbounds).
  ranges               TEXT: 'empty' or the bounds' stored forms between the brackets, an
                       infinite bound left out ('[1,5)', '(,8766]'); text and float bounds
                       (user-defined ranges) quoted as range_out quotes them, marked 's'/'f'
                       before the bracket. Discrete built-in ranges are held canonical
                       ('[)'). COLLATE pg_range orders as range_cmp (types.ranges).
  multiranges          TEXT: '{' the ranges' stored forms '}', normalised as make_multirange
                       leaves them; COLLATE pg_multirange (types.multiranges).

Errors are SqlError with PostgreSQL's SQLSTATE and message text.
"""

from pgsvc.sql.types import oids as _oids
from pgsvc.sql.types.pg_type import (  # noqa: F401
    PgType, all_types, array_of, by_name, by_oid, element_of, find_oid, format_type,
    typmod_from_modifiers,
)
from pgsvc.sql.types.context import FormatContext  # noqa: F401
from pgsvc.sql.types.interval import Interval  # noqa: F401
from pgsvc.sql.types.textio import text_decoder, text_encoder  # noqa: F401
from pgsvc.sql.types.binary import binary_decoder, binary_encoder  # noqa: F401
from pgsvc.sql.types.typmod import apply_typmod  # noqa: F401
from pgsvc.sql.types.storage import COLLATIONS, collation_for, sqlite_adapter  # noqa: F401

# Type OID constants (BOOL, INT4, ..., ARRAY_INT4 and PostgreSQL's _INT4 spelling).
globals().update({_k: _v for _k, _v in vars(_oids).items() if _k.lstrip("_").isupper()
                  and isinstance(_v, int)})
