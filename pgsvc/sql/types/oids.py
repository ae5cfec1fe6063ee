"""PostgreSQL type OIDs (pg_type.oid) as module constants, and the raw pg_type rows.

Constants use PostgreSQL's typname upper-cased (BOOL, INT4, TIMESTAMPTZ, ...); array
types are ARRAY_<elem> (ARRAY_INT4 = 1007, PostgreSQL's `_int4`). `TYPE_ROWS` holds
(oid, typname, format_type name, typlen, typcategory, typispreferred, typarray, typelem)
exactly as PostgreSQL 15's pg_type has them, for pgsvc.sql.types.pg_type.
"""

BOOL = 16
BYTEA = 17
CHAR = 18
NAME = 19
INT8 = 20
INT2 = 21
INT2VECTOR = 22
INT4 = 23
REGPROC = 24
TEXT = 25
OID = 26
XID = 28
OIDVECTOR = 30
JSON = 114
XML = 142
ARRAY_XML = 143
ARRAY_JSON = 199
ARRAY_XID8 = 271
POINT = 600
LSEG = 601
PATH = 602
BOX = 603
POLYGON = 604
LINE = 628
ARRAY_LINE = 629
CIDR = 650
ARRAY_CIDR = 651
FLOAT4 = 700
FLOAT8 = 701
UNKNOWN = 705
CIRCLE = 718
ARRAY_CIRCLE = 719
MACADDR8 = 774
ARRAY_MACADDR8 = 775
MONEY = 790
ARRAY_MONEY = 791
MACADDR = 829
ACLITEM = 1033
ARRAY_ACLITEM = 1034
INET = 869
ARRAY_BOOL = 1000
ARRAY_BYTEA = 1001
ARRAY_CHAR = 1002
ARRAY_NAME = 1003
ARRAY_INT2 = 1005
ARRAY_INT2VECTOR = 1006
ARRAY_INT4 = 1007
ARRAY_REGPROC = 1008
ARRAY_TEXT = 1009
ARRAY_XID = 1011
ARRAY_OIDVECTOR = 1013
ARRAY_BPCHAR = 1014
ARRAY_VARCHAR = 1015
ARRAY_INT8 = 1016
ARRAY_POINT = 1017
ARRAY_LSEG = 1018
ARRAY_PATH = 1019
ARRAY_BOX = 1020
ARRAY_FLOAT4 = 1021
ARRAY_FLOAT8 = 1022
ARRAY_POLYGON = 1027
ARRAY_OID = 1028
ARRAY_MACADDR = 1040
ARRAY_INET = 1041
BPCHAR = 1042
VARCHAR = 1043
DATE = 1082
TIME = 1083
TIMESTAMP = 1114
ARRAY_TIMESTAMP = 1115
ARRAY_DATE = 1182
ARRAY_TIME = 1183
TIMESTAMPTZ = 1184
ARRAY_TIMESTAMPTZ = 1185
INTERVAL = 1186
ARRAY_INTERVAL = 1187
ARRAY_NUMERIC = 1231
ARRAY_CSTRING = 1263
TIMETZ = 1266
ARRAY_TIMETZ = 1270
BIT = 1560
ARRAY_BIT = 1561
VARBIT = 1562
ARRAY_VARBIT = 1563
NUMERIC = 1700
REFCURSOR = 1790
ARRAY_REFCURSOR = 2201
REGPROCEDURE = 2202
REGOPER = 2203
REGOPERATOR = 2204
REGCLASS = 2205
REGTYPE = 2206
ARRAY_REGPROCEDURE = 2207
ARRAY_REGOPER = 2208
ARRAY_REGOPERATOR = 2209
ARRAY_REGCLASS = 2210
ARRAY_REGTYPE = 2211
RECORD = 2249
CSTRING = 2275
ANY_ = 2276
ANYARRAY = 2277
VOID = 2278
TRIGGER = 2279
ANYELEMENT = 2283
ANYNONARRAY = 2776
UUID = 2950
ARRAY_UUID = 2951
ANYENUM = 3500
TSVECTOR = 3614
TSQUERY = 3615
ARRAY_TSVECTOR = 3643
ARRAY_TSQUERY = 3645
REGCONFIG = 3734
ARRAY_REGCONFIG = 3735
REGDICTIONARY = 3769
ARRAY_REGDICTIONARY = 3770
JSONB = 3802
ARRAY_JSONB = 3807
JSONPATH = 4072
ARRAY_JSONPATH = 4073
REGNAMESPACE = 4089
ARRAY_REGNAMESPACE = 4090
REGROLE = 4096
ARRAY_REGROLE = 4097
REGCOLLATION = 4191
ARRAY_REGCOLLATION = 4192
XID8 = 5069
ANYCOMPATIBLE = 5077
ANYCOMPATIBLEARRAY = 5078
ANYCOMPATIBLENONARRAY = 5079

# the polymorphic pseudo-types a signature may declare (resolved from the actual arguments)
ANY_OIDS = frozenset({ANYELEMENT, ANY_, ANYARRAY, ANYNONARRAY, ANYCOMPATIBLE,
                      ANYCOMPATIBLEARRAY, ANYCOMPATIBLENONARRAY})

# the reg* types whose values read and print as names (pgsvc.sql.catalog.regtypes), and their
# array types with the element type of each
REG_OIDS = frozenset({REGCLASS, REGTYPE, REGPROC, REGPROCEDURE, REGOPER, REGOPERATOR, REGNAMESPACE, REGROLE})
REG_ARRAYS = {ARRAY_REGPROC: REGPROC, ARRAY_REGCLASS: REGCLASS, ARRAY_REGTYPE: REGTYPE,
              ARRAY_REGPROCEDURE: REGPROCEDURE, ARRAY_REGOPER: REGOPER, ARRAY_REGOPERATOR: REGOPERATOR,
              ARRAY_REGNAMESPACE: REGNAMESPACE, ARRAY_REGROLE: REGROLE}

# PostgreSQL's own array typnames, as aliases of ARRAY_*
_XML = 143
_JSON = 199
_XID8 = 271
_LINE = 629
_CIDR = 651
_CIRCLE = 719
_MACADDR8 = 775
_MONEY = 791
_BOOL = 1000
_BYTEA = 1001
_CHAR = 1002
_NAME = 1003
_INT2 = 1005
_INT2VECTOR = 1006
_INT4 = 1007
_REGPROC = 1008
_TEXT = 1009
_XID = 1011
_OIDVECTOR = 1013
_BPCHAR = 1014
_VARCHAR = 1015
_INT8 = 1016
_POINT = 1017
_LSEG = 1018
_PATH = 1019
_BOX = 1020
_FLOAT4 = 1021
_FLOAT8 = 1022
_POLYGON = 1027
_OID = 1028
_MACADDR = 1040
_INET = 1041
_TIMESTAMP = 1115
_DATE = 1182
_TIME = 1183
_TIMESTAMPTZ = 1185
_INTERVAL = 1187
_NUMERIC = 1231
_CSTRING = 1263
_TIMETZ = 1270
_BIT = 1561
_VARBIT = 1563
_REFCURSOR = 2201
_REGPROCEDURE = 2207
_REGOPER = 2208
_REGOPERATOR = 2209
_REGCLASS = 2210
_REGTYPE = 2211
_UUID = 2951
_TSVECTOR = 3643
_TSQUERY = 3645
_REGCONFIG = 3735
_REGDICTIONARY = 3770
_JSONB = 3807
_JSONPATH = 4073
_REGNAMESPACE = 4090
_REGROLE = 4097
_REGCOLLATION = 4192

TYPE_ROWS = (
    (16, "bool", "boolean", 1, "B", True, 1000, 0),
    (17, "bytea", "bytea", -1, "U", False, 1001, 0),
    (18, "char", '"char"', 1, "Z", False, 1002, 0),
    (19, "name", "name", 64, "S", False, 1003, 0),
    (20, "int8", "bigint", 8, "N", False, 1016, 0),
    (21, "int2", "smallint", 2, "N", False, 1005, 0),
    (22, "int2vector", "int2vector", -1, "A", False, 1006, 21),
    (23, "int4", "integer", 4, "N", False, 1007, 0),
    (24, "regproc", "regproc", 4, "N", False, 1008, 0),
    (25, "text", "text", -1, "S", True, 1009, 0),
    (26, "oid", "oid", 4, "N", True, 1028, 0),
    (28, "xid", "xid", 4, "U", False, 1011, 0),
    (30, "oidvector", "oidvector", -1, "A", False, 1013, 26),
    (114, "json", "json", -1, "U", False, 199, 0),
    (142, "xml", "xml", -1, "U", False, 143, 0),
    (143, "_xml", "xml[]", -1, "A", False, 0, 142),
    (199, "_json", "json[]", -1, "A", False, 0, 114),
    (271, "_xid8", "xid8[]", -1, "A", False, 0, 5069),
    (600, "point", "point", 16, "G", False, 1017, 701),
    (601, "lseg", "lseg", 32, "G", False, 1018, 600),
    (602, "path", "path", -1, "G", False, 1019, 0),
    (603, "box", "box", 32, "G", False, 1020, 600),
    (604, "polygon", "polygon", -1, "G", False, 1027, 0),
    (628, "line", "line", 24, "G", False, 629, 701),
    (629, "_line", "line[]", -1, "A", False, 0, 628),
    (650, "cidr", "cidr", -1, "I", False, 651, 0),
    (651, "_cidr", "cidr[]", -1, "A", False, 0, 650),
    (700, "float4", "real", 4, "N", False, 1021, 0),
    (701, "float8", "double precision", 8, "N", True, 1022, 0),
    (705, "unknown", "unknown", -2, "X", False, 0, 0),
    (718, "circle", "circle", 24, "G", False, 719, 0),
    (719, "_circle", "circle[]", -1, "A", False, 0, 718),
    (774, "macaddr8", "macaddr8", 8, "U", False, 775, 0),
    (775, "_macaddr8", "macaddr8[]", -1, "A", False, 0, 774),
    (790, "money", "money", 8, "N", False, 791, 0),
    (791, "_money", "money[]", -1, "A", False, 0, 790),
    (829, "macaddr", "macaddr", 6, "U", False, 1040, 0),
    (869, "inet", "inet", -1, "I", True, 1041, 0),
    (1000, "_bool", "boolean[]", -1, "A", False, 0, 16),
    (1001, "_bytea", "bytea[]", -1, "A", False, 0, 17),
    (1002, "_char", '"char"[]', -1, "A", False, 0, 18),
    (1003, "_name", "name[]", -1, "A", False, 0, 19),
    (1005, "_int2", "smallint[]", -1, "A", False, 0, 21),
    (1006, "_int2vector", "int2vector[]", -1, "A", False, 0, 22),
    (1007, "_int4", "integer[]", -1, "A", False, 0, 23),
    (1008, "_regproc", "regproc[]", -1, "A", False, 0, 24),
    (1009, "_text", "text[]", -1, "A", False, 0, 25),
    (1011, "_xid", "xid[]", -1, "A", False, 0, 28),
    (1013, "_oidvector", "oidvector[]", -1, "A", False, 0, 30),
    (1014, "_bpchar", "character[]", -1, "A", False, 0, 1042),
    (1015, "_varchar", "character varying[]", -1, "A", False, 0, 1043),
    (1016, "_int8", "bigint[]", -1, "A", False, 0, 20),
    (1017, "_point", "point[]", -1, "A", False, 0, 600),
    (1018, "_lseg", "lseg[]", -1, "A", False, 0, 601),
    (1019, "_path", "path[]", -1, "A", False, 0, 602),
    (1020, "_box", "box[]", -1, "A", False, 0, 603),
    (1021, "_float4", "real[]", -1, "A", False, 0, 700),
    (1022, "_float8", "double precision[]", -1, "A", False, 0, 701),
    (1027, "_polygon", "polygon[]", -1, "A", False, 0, 604),
    (1028, "_oid", "oid[]", -1, "A", False, 0, 26),
    (1040, "_macaddr", "macaddr[]", -1, "A", False, 0, 829),
    (1033, "aclitem", "aclitem", 12, "U", False, 1034, 0),
    (1034, "_aclitem", "aclitem[]", -1, "A", False, 0, 1033),
    (1041, "_inet", "inet[]", -1, "A", False, 0, 869),
    (1042, "bpchar", "character", -1, "S", False, 1014, 0),
    (1043, "varchar", "character varying", -1, "S", False, 1015, 0),
    (1082, "date", "date", 4, "D", False, 1182, 0),
    (1083, "time", "time without time zone", 8, "D", False, 1183, 0),
    (1114, "timestamp", "timestamp without time zone", 8, "D", False, 1115, 0),
    (1115, "_timestamp", "timestamp without time zone[]", -1, "A", False, 0, 1114),
    (1182, "_date", "date[]", -1, "A", False, 0, 1082),
    (1183, "_time", "time without time zone[]", -1, "A", False, 0, 1083),
    (1184, "timestamptz", "timestamp with time zone", 8, "D", True, 1185, 0),
    (1185, "_timestamptz", "timestamp with time zone[]", -1, "A", False, 0, 1184),
    (1186, "interval", "interval", 16, "T", True, 1187, 0),
    (1187, "_interval", "interval[]", -1, "A", False, 0, 1186),
    (1231, "_numeric", "numeric[]", -1, "A", False, 0, 1700),
    (1263, "_cstring", "cstring[]", -1, "A", False, 0, 2275),
    (1266, "timetz", "time with time zone", 12, "D", False, 1270, 0),
    (1270, "_timetz", "time with time zone[]", -1, "A", False, 0, 1266),
    (1560, "bit", "bit", -1, "V", False, 1561, 0),
    (1561, "_bit", "bit[]", -1, "A", False, 0, 1560),
    (1562, "varbit", "bit varying", -1, "V", True, 1563, 0),
    (1563, "_varbit", "bit varying[]", -1, "A", False, 0, 1562),
    (1700, "numeric", "numeric", -1, "N", False, 1231, 0),
    (1790, "refcursor", "refcursor", -1, "U", False, 2201, 0),
    (2201, "_refcursor", "refcursor[]", -1, "A", False, 0, 1790),
    (2202, "regprocedure", "regprocedure", 4, "N", False, 2207, 0),
    (2203, "regoper", "regoper", 4, "N", False, 2208, 0),
    (2204, "regoperator", "regoperator", 4, "N", False, 2209, 0),
    (2205, "regclass", "regclass", 4, "N", False, 2210, 0),
    (2206, "regtype", "regtype", 4, "N", False, 2211, 0),
    (2207, "_regprocedure", "regprocedure[]", -1, "A", False, 0, 2202),
    (2208, "_regoper", "regoper[]", -1, "A", False, 0, 2203),
    (2209, "_regoperator", "regoperator[]", -1, "A", False, 0, 2204),
    (2210, "_regclass", "regclass[]", -1, "A", False, 0, 2205),
    (2211, "_regtype", "regtype[]", -1, "A", False, 0, 2206),
    (2249, "record", "record", -1, "P", False, 2287, 0),
    (2287, "_record", "record[]", -1, "A", False, 0, 2249),  # PostgreSQL's is a pseudo-type (P); an array here
    (2275, "cstring", "cstring", -2, "P", False, 1263, 0),
    (2276, "any", '"any"', 4, "P", False, 0, 0),
    (2277, "anyarray", "anyarray", -1, "P", False, 0, 0),
    (2278, "void", "void", 4, "P", False, 0, 0),
    (2279, "trigger", "trigger", 4, "P", False, 0, 0),
    (2280, "language_handler", "language_handler", 4, "P", False, 0, 0),
    (2281, "internal", "internal", 8, "P", False, 0, 0),
    (2283, "anyelement", "anyelement", 4, "P", False, 0, 0),
    (2776, "anynonarray", "anynonarray", 4, "P", False, 0, 0),
    (2950, "uuid", "uuid", 16, "U", False, 2951, 0),
    (2951, "_uuid", "uuid[]", -1, "A", False, 0, 2950),
    (3500, "anyenum", "anyenum", 4, "P", False, 0, 0),
    (3614, "tsvector", "tsvector", -1, "U", False, 3643, 0),
    (3615, "tsquery", "tsquery", -1, "U", False, 3645, 0),
    (3643, "_tsvector", "tsvector[]", -1, "A", False, 0, 3614),
    (3645, "_tsquery", "tsquery[]", -1, "A", False, 0, 3615),
    (3734, "regconfig", "regconfig", 4, "N", False, 3735, 0),
    (3735, "_regconfig", "regconfig[]", -1, "A", False, 0, 3734),
    (3769, "regdictionary", "regdictionary", 4, "N", False, 3770, 0),
    (3770, "_regdictionary", "regdictionary[]", -1, "A", False, 0, 3769),
    (3802, "jsonb", "jsonb", -1, "U", False, 3807, 0),
    (3807, "_jsonb", "jsonb[]", -1, "A", False, 0, 3802),
    (4072, "jsonpath", "jsonpath", -1, "U", False, 4073, 0),
    (4073, "_jsonpath", "jsonpath[]", -1, "A", False, 0, 4072),
    (4089, "regnamespace", "regnamespace", 4, "N", False, 4090, 0),
    (4090, "_regnamespace", "regnamespace[]", -1, "A", False, 0, 4089),
    (4096, "regrole", "regrole", 4, "N", False, 4097, 0),
    (4097, "_regrole", "regrole[]", -1, "A", False, 0, 4096),
    (4191, "regcollation", "regcollation", 4, "N", False, 4192, 0),
    (4192, "_regcollation", "regcollation[]", -1, "A", False, 0, 4191),
    (5069, "xid8", "xid8", 8, "U", False, 271, 0),
    (5077, "anycompatible", "anycompatible", 4, "P", False, 0, 0),
    (5078, "anycompatiblearray", "anycompatiblearray", -1, "P", False, 0, 0),
    (5079, "anycompatiblenonarray", "anycompatiblenonarray", 4, "P", False, 0, 0),
)

# int2vector / oidvector: arrays of one dimension whose subscripts start at 0, printed as
# space-separated elements without braces (pg_index.indkey, pg_proc.proargtypes, ...)
VECTOR_OIDS = (INT2VECTOR, OIDVECTOR)

# range and multirange types (typtype 'r' and 'm', typcategory 'R'), their arrays, and the
# polymorphic pseudo-types over them (pgsvc.sql.types.ranges)
ANYRANGE = 3831
INT4RANGE = 3904
NUMRANGE = 3906
TSRANGE = 3908
TSTZRANGE = 3910
DATERANGE = 3912
INT8RANGE = 3926
INT4MULTIRANGE = 4451
NUMMULTIRANGE = 4532
TSMULTIRANGE = 4533
TSTZMULTIRANGE = 4534
DATEMULTIRANGE = 4535
INT8MULTIRANGE = 4536
ANYMULTIRANGE = 4537
ANYCOMPATIBLEMULTIRANGE = 4538
ANYCOMPATIBLERANGE = 5080
# range type -> (subtype, multirange type, range array, multirange array), as pg_range has them
RANGE_TYPES = {
    INT4RANGE: (INT4, INT4MULTIRANGE, 3905, 6150, "int4range", "int4multirange"),
    NUMRANGE: (NUMERIC, NUMMULTIRANGE, 3907, 6151, "numrange", "nummultirange"),
    TSRANGE: (TIMESTAMP, TSMULTIRANGE, 3909, 6152, "tsrange", "tsmultirange"),
    TSTZRANGE: (TIMESTAMPTZ, TSTZMULTIRANGE, 3911, 6153, "tstzrange", "tstzmultirange"),
    DATERANGE: (DATE, DATEMULTIRANGE, 3913, 6155, "daterange", "datemultirange"),
    INT8RANGE: (INT8, INT8MULTIRANGE, 3927, 6157, "int8range", "int8multirange"),
}
MULTIRANGE_TYPES = {v[1]: k for k, v in RANGE_TYPES.items()}  # multirange -> its range
ANY_OIDS = ANY_OIDS | {ANYRANGE, ANYMULTIRANGE}


def _range_rows() -> tuple:
    rows = [(ANYRANGE, "anyrange", "anyrange", -1, "P", False, 0, 0),
            (ANYMULTIRANGE, "anymultirange", "anymultirange", -1, "P", False, 0, 0),
            (ANYCOMPATIBLERANGE, "anycompatiblerange", "anycompatiblerange", -1, "P", False, 0, 0),
            (ANYCOMPATIBLEMULTIRANGE, "anycompatiblemultirange", "anycompatiblemultirange", -1, "P",
             False, 0, 0)]
    for rng, (_sub, multi, rarr, marr, rname, mname) in RANGE_TYPES.items():
        rows += [(rng, rname, rname, -1, "R", False, rarr, 0),
                 (rarr, "_" + rname, rname + "[]", -1, "A", False, 0, rng),
                 (multi, mname, mname, -1, "R", False, marr, 0),
                 (marr, "_" + mname, mname + "[]", -1, "A", False, 0, multi)]
    return tuple(rows)


TYPE_ROWS = TYPE_ROWS + _range_rows()
