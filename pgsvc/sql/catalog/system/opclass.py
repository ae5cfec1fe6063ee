"""pg_opclass: the btree operator classes of the types pgsvc has (btree is the one index
access method pgsvc builds), with PostgreSQL 15's OIDs, names, families and input types.

Clients read it to tell default from non-default operator classes (SQLAlchemy's index
reflection reports a column's non-default class, such as text_pattern_ops, as
postgresql_ops). The rows are PostgreSQL 15's catalog data for access method 403 (btree),
filtered to the input types of pgsvc.sql.types; a static TEMP table of the backend served
by pgsvc.sql.catalog.system.relations like pg_am.
"""

from __future__ import annotations

from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID, PG_CATALOG_OID
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes
from pgsvc.sql.types.pg_type import find_oid
from pgsvc.sql.types.ranges import is_multirange, is_range

BTREE = 403
COLUMNS = {"pg_opclass": [("oid", O.OID), ("opcmethod", O.OID), ("opcname", O.NAME), ("opcnamespace", O.OID),
                          ("opcowner", O.OID), ("opcfamily", O.OID), ("opcintype", O.OID), ("opcdefault", O.BOOL),
                          ("opckeytype", O.OID)]}
REL_OIDS = {"pg_opclass": 2616}

# (oid, opcname, opcfamily, opcintype, opcdefault, opckeytype)
_BTREE_CLASSES = (
    (1978, "int4_ops", 1976, 23, True, 0), (1979, "int2_ops", 1976, 21, True, 0),
    (1981, "oid_ops", 1989, 26, True, 0), (3122, "date_ops", 434, 1082, True, 0),
    (3123, "float8_ops", 1970, 701, True, 0), (3124, "int8_ops", 1976, 20, True, 0),
    (3125, "numeric_ops", 1988, 1700, True, 0), (3126, "text_ops", 1994, 25, True, 0),
    (3127, "timestamptz_ops", 434, 1184, True, 0), (3128, "timestamp_ops", 434, 1114, True, 0),
    (4217, "text_pattern_ops", 2095, 25, False, 0), (4218, "varchar_pattern_ops", 2095, 25, False, 0),
    (4219, "bpchar_pattern_ops", 2097, 1042, False, 0), (10000, "array_ops", 397, 2277, True, 0),
    (10002, "bit_ops", 423, 1560, True, 0), (10003, "bool_ops", 424, 16, True, 0),
    (10004, "bpchar_ops", 426, 1042, True, 0), (10006, "bytea_ops", 428, 17, True, 0),
    (10007, "char_ops", 429, 18, True, 0), (10009, "cidr_ops", 1974, 869, False, 0),
    (10012, "float4_ops", 1970, 700, True, 0), (10015, "inet_ops", 1974, 869, True, 0),
    (10022, "interval_ops", 1982, 1186, True, 0), (10024, "macaddr_ops", 1984, 829, True, 0),
    (10026, "macaddr8_ops", 3371, 774, True, 0), (10028, "name_ops", 1994, 19, True, 2275),
    (10032, "oidvector_ops", 1991, 30, True, 0), (10034, "record_ops", 2994, 2249, True, 0),
    (10036, "record_image_ops", 3194, 2249, False, 0), (10038, "time_ops", 1996, 1083, True, 0),
    (10041, "timetz_ops", 2000, 1266, True, 0), (10043, "varbit_ops", 2002, 1562, True, 0),
    (10044, "varchar_ops", 1994, 25, False, 0), (10047, "money_ops", 2099, 790, True, 0),
    (10053, "xid8_ops", 5067, 5069, True, 0), (10065, "uuid_ops", 2968, 2950, True, 0),
    (10069, "enum_ops", 3522, 3500, True, 0), (10071, "tsvector_ops", 3626, 3614, True, 0),
    (10074, "tsquery_ops", 3683, 3615, True, 0), (10088, "jsonb_ops", 4033, 3802, True, 0),
    (10076, "range_ops", 3901, 3831, True, 0), (10080, "multirange_ops", 4199, 4537, True, 0),
)
# the GiST classes pgsvc accepts an index of (ranges and multiranges: a SQLite index in their
# order serves it; pgsvc.sql.commands.ddl.indexes_views)
GIST = 783
GIST_CLASSES = {O.ANYRANGE: (10078, "range_ops", 3919, 0), O.ANYMULTIRANGE: (10082, "multirange_ops", 6158, 3831)}


def opclass_rows() -> list[tuple]:
    """Stored forms of the rows whose input type pgsvc knows (pg_catalog, bootstrap superuser)."""
    return [(oid, BTREE, name, PG_CATALOG_OID, BOOTSTRAP_SUPERUSER_OID, family, intype, int(default), keytype)
            for oid, name, family, intype, default, keytype in _BTREE_CLASSES if find_oid(intype) is not None] + \
        [(oid, GIST, name, PG_CATALOG_OID, BOOTSTRAP_SUPERUSER_OID, family, intype, 1, keytype)
         for intype, (oid, name, family, keytype) in GIST_CLASSES.items()]


STATIC_ROWS = {"pg_opclass": opclass_rows}


_ANYARRAY, _ANYENUM = 2277, 3500


def default_opclass(typid, am=None) -> int:
    """The btree operator class PostgreSQL picks for an index column of type `typid` (its
    default class for the type, or for the type it is binary-coercible to: a domain's base
    type, text for varchar, anyarray for arrays, anyenum for enums); 0 if none."""
    if typid is None:
        return 0
    typid = int(typid)
    if am == GIST:  # a GiST index (of a range or multirange column)
        base = usertypes.base_of(typid)
        found = GIST_CLASSES.get(O.ANYRANGE if is_range(base) else O.ANYMULTIRANGE if is_multirange(base) else 0)
        return found[0] if found else 0
    user = usertypes.find(typid)
    if user is not None and user.typtype == "d":
        return default_opclass(user.basetype)
    if user is not None and user.typtype == "e":
        typid = _ANYENUM
    elif typid == O.VARCHAR:
        typid = O.TEXT
    elif is_range(typid) or is_multirange(typid):
        typid = O.ANYRANGE if is_range(typid) else O.ANYMULTIRANGE
    else:
        t = find_oid(typid)
        if t is not None and t.category == "A" and t.elem_oid and typid not in O.VECTOR_OIDS:
            typid = _ANYARRAY
    return next((oid for oid, _, _, intype, default, _ in _BTREE_CLASSES if intype == typid and default), 0)


def register(conn) -> None:
    conn.create_function("pgsvce_default_opclass", 1, default_opclass)
    conn.create_function("pgsvce_default_opclass", 2, default_opclass)
