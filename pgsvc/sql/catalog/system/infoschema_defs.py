"""information_schema relations served by pgsvc.sql.catalog.system.information_schema: PostgreSQL 15's columns
and the SQLite SQL that makes each relation's rows.

Column types: PostgreSQL declares these columns with the information_schema domains
(sql_identifier, cardinal_number, character_data, yes_or_no, time_stamp). A domain never
reaches the wire (RowDescription carries its base type and typmod), so each column is
typed here with what drivers and psql see from PostgreSQL 15: name, integer,
character varying, character varying(3), timestamp(2) with time zone.

Sources: the database's hidden catalog tables (main."pgsvc$...") and the pg_catalog
relations of pgsvc.sql.catalog.system.relations (TEMP objects named "pg_catalog.<name>"), which this module
lists in DEPENDS so that they exist and are current before a view over them is read.
Per-row decisions that need the session (privileges, the current database, type facts)
are SQLite functions registered by pgsvc.sql.pg_functions.information_schema ("pgsvce_is_*").

Rows follow PostgreSQL's visibility rule: an object is listed when the current role owns
it or holds some privilege on it (superusers see everything).
"""

from __future__ import annotations

from pgsvc.cluster.builtin_oids import PG_DATABASE_OWNER_OID
from pgsvc.sql.types import oids as O

SCHEMA = "information_schema"
PREFIX = SCHEMA + "."  # "information_schema.<name>": how refresh and Statement.extra["syscat"] name them

# column kinds -> (type OID, typmod) as the wire shows them (see the module docstring)
KINDS = {"N": (O.NAME, -1), "I": (O.INT4, -1), "C": (O.VARCHAR, -1), "Y": (O.VARCHAR, 7),
         "TS": (O.TIMESTAMPTZ, 2)}

# type facts repeated by columns, attributes, domains, element_types, routines, parameters
_TYPE_COLS = ("data_type:C character_maximum_length:I character_octet_length:I character_set_catalog:N "
              "character_set_schema:N character_set_name:N collation_catalog:N collation_schema:N "
              "collation_name:N numeric_precision:I numeric_precision_radix:I numeric_scale:I "
              "datetime_precision:I interval_type:C interval_precision:I")

_SPECS = {
    "information_schema_catalog_name": "catalog_name:N",
    "schemata": "catalog_name:N schema_name:N schema_owner:N default_character_set_catalog:N "
                "default_character_set_schema:N default_character_set_name:N sql_path:C",
    "tables": "table_catalog:N table_schema:N table_name:N table_type:C self_referencing_column_name:N "
              "reference_generation:C user_defined_type_catalog:N user_defined_type_schema:N "
              "user_defined_type_name:N is_insertable_into:Y is_typed:Y commit_action:C",
    "columns": "table_catalog:N table_schema:N table_name:N column_name:N ordinal_position:I "
               "column_default:C is_nullable:Y data_type:C character_maximum_length:I "
               "character_octet_length:I numeric_precision:I numeric_precision_radix:I numeric_scale:I "
               "datetime_precision:I interval_type:C interval_precision:I character_set_catalog:N "
               "character_set_schema:N character_set_name:N collation_catalog:N collation_schema:N "
               "collation_name:N domain_catalog:N domain_schema:N domain_name:N udt_catalog:N udt_schema:N "
               "udt_name:N scope_catalog:N scope_schema:N scope_name:N maximum_cardinality:I "
               "dtd_identifier:N is_self_referencing:Y is_identity:Y identity_generation:C identity_start:C "
               "identity_increment:C identity_maximum:C identity_minimum:C identity_cycle:Y "
               "is_generated:C generation_expression:C is_updatable:Y",
    "triggers": "trigger_catalog:N trigger_schema:N trigger_name:N event_manipulation:C event_object_catalog:N "
                "event_object_schema:N event_object_table:N action_order:I action_condition:C action_statement:C "
                "action_orientation:C action_timing:C action_reference_old_table:N action_reference_new_table:N "
                "action_reference_old_row:N action_reference_new_row:N created:TS",
    "triggered_update_columns": "trigger_catalog:N trigger_schema:N trigger_name:N event_object_catalog:N "
                                "event_object_schema:N event_object_table:N event_object_column:N",
    "views": "table_catalog:N table_schema:N table_name:N view_definition:C check_option:C is_updatable:Y "
             "is_insertable_into:Y is_trigger_updatable:Y is_trigger_deletable:Y is_trigger_insertable_into:Y",
    "table_constraints": "constraint_catalog:N constraint_schema:N constraint_name:N table_catalog:N "
                         "table_schema:N table_name:N constraint_type:C is_deferrable:Y initially_deferred:Y "
                         "enforced:Y nulls_distinct:Y",
    "key_column_usage": "constraint_catalog:N constraint_schema:N constraint_name:N table_catalog:N "
                        "table_schema:N table_name:N column_name:N ordinal_position:I "
                        "position_in_unique_constraint:I",
    "constraint_column_usage": "table_catalog:N table_schema:N table_name:N column_name:N "
                               "constraint_catalog:N constraint_schema:N constraint_name:N",
    "constraint_table_usage": "table_catalog:N table_schema:N table_name:N constraint_catalog:N "
                              "constraint_schema:N constraint_name:N",
    "referential_constraints": "constraint_catalog:N constraint_schema:N constraint_name:N "
                               "unique_constraint_catalog:N unique_constraint_schema:N "
                               "unique_constraint_name:N match_option:C update_rule:C delete_rule:C",
    "check_constraints": "constraint_catalog:N constraint_schema:N constraint_name:N check_clause:C",
    "sequences": "sequence_catalog:N sequence_schema:N sequence_name:N data_type:C numeric_precision:I "
                 "numeric_precision_radix:I numeric_scale:I start_value:C minimum_value:C maximum_value:C "
                 "increment:C cycle_option:Y",
    "column_udt_usage": "udt_catalog:N udt_schema:N udt_name:N table_catalog:N table_schema:N table_name:N "
                        "column_name:N",
    "domains": "domain_catalog:N domain_schema:N domain_name:N " + _TYPE_COLS + " domain_default:C "
               "udt_catalog:N udt_schema:N udt_name:N scope_catalog:N scope_schema:N scope_name:N "
               "maximum_cardinality:I dtd_identifier:N",
    "domain_constraints": "constraint_catalog:N constraint_schema:N constraint_name:N domain_catalog:N "
                          "domain_schema:N domain_name:N is_deferrable:Y initially_deferred:Y",
    "element_types": "object_catalog:N object_schema:N object_name:N object_type:C "
                     "collection_type_identifier:N " + _TYPE_COLS + " domain_default:C udt_catalog:N "
                     "udt_schema:N udt_name:N scope_catalog:N scope_schema:N scope_name:N "
                     "maximum_cardinality:I dtd_identifier:N",
    "enabled_roles": "role_name:N",
    "applicable_roles": "grantee:N role_name:N is_grantable:Y",
    "table_privileges": "grantor:N grantee:N table_catalog:N table_schema:N table_name:N privilege_type:C "
                        "is_grantable:Y with_hierarchy:Y",
    "role_table_grants": "grantor:N grantee:N table_catalog:N table_schema:N table_name:N privilege_type:C "
                         "is_grantable:Y with_hierarchy:Y",
    "column_privileges": "grantor:N grantee:N table_catalog:N table_schema:N table_name:N column_name:N "
                         "privilege_type:C is_grantable:Y",
    "parameters": "specific_catalog:N specific_schema:N specific_name:N ordinal_position:I parameter_mode:C "
                  "is_result:Y as_locator:Y parameter_name:N " + _TYPE_COLS + " udt_catalog:N udt_schema:N "
                  "udt_name:N scope_catalog:N scope_schema:N scope_name:N maximum_cardinality:I "
                  "dtd_identifier:N parameter_default:C",
    "routines": "specific_catalog:N specific_schema:N specific_name:N routine_catalog:N routine_schema:N "
                "routine_name:N routine_type:C module_catalog:N module_schema:N module_name:N udt_catalog:N "
                "udt_schema:N udt_name:N " + _TYPE_COLS + " type_udt_catalog:N type_udt_schema:N "
                "type_udt_name:N scope_catalog:N scope_schema:N scope_name:N maximum_cardinality:I "
                "dtd_identifier:N routine_body:C routine_definition:C external_name:C external_language:C "
                "parameter_style:C is_deterministic:Y sql_data_access:C is_null_call:Y sql_path:C "
                "schema_level_routine:Y max_dynamic_result_sets:I is_user_defined_cast:Y "
                "is_implicitly_invocable:Y security_type:C to_sql_specific_catalog:N "
                "to_sql_specific_schema:N to_sql_specific_name:N as_locator:Y created:TS last_altered:TS "
                "new_savepoint_level:Y is_udt_dependent:Y result_cast_from_data_type:C "
                "result_cast_as_locator:Y result_cast_char_max_length:I result_cast_char_octet_length:I "
                "result_cast_char_set_catalog:N result_cast_char_set_schema:N result_cast_char_set_name:N "
                "result_cast_collation_catalog:N result_cast_collation_schema:N "
                "result_cast_collation_name:N result_cast_numeric_precision:I "
                "result_cast_numeric_precision_radix:I result_cast_numeric_scale:I "
                "result_cast_datetime_precision:I result_cast_interval_type:C "
                "result_cast_interval_precision:I result_cast_type_udt_catalog:N "
                "result_cast_type_udt_schema:N result_cast_type_udt_name:N result_cast_scope_catalog:N "
                "result_cast_scope_schema:N result_cast_scope_name:N result_cast_maximum_cardinality:I "
                "result_cast_dtd_identifier:N",
}


def _columns(spec: str) -> list[tuple[str, int, int]]:
    out = []
    for item in spec.split():
        name, kind = item.split(":")
        out.append((name, *KINDS[kind]))
    return out


COLUMNS: dict[str, list[tuple[str, int, int]]] = {name: _columns(spec) for name, spec in _SPECS.items()}

# Stable relation OIDs (pg_class.oid of PostgreSQL's views differs per installation too).
REL_OIDS = {name: 13400 + i for i, name in enumerate(sorted(COLUMNS))}


def q(name: str) -> str:
    """The SQLite name of a relation served here (a TEMP view, as pg_catalog's)."""
    return f'"information_schema.{name}"'


def pc(name: str) -> str:
    """The SQLite name of a pg_catalog relation of pgsvc.sql.catalog.system.relations."""
    return f'"pg_catalog.{name}"'


CAT = "pgsvce_is_catalog()"
_TEMP = "(n.nspname LIKE 'pg\\_temp\\_%' ESCAPE '\\')"
_NULLS = lambda k: ", ".join("NULL" for _ in range(k))

_RELS = '''main."pgsvc$class" c JOIN main."pgsvc$namespace" n ON n.oid = c.nspoid'''


def _join_rel(cond: str) -> str:
    """JOIN of the relation `c` (and its schema `n`) that `cond` picks."""
    return f'''JOIN main."pgsvc$class" c ON {cond} JOIN main."pgsvc$namespace" n ON n.oid = c.nspoid'''


def _visible(privileges: str, rel: str = "c.oid") -> str:
    """The relation's rows are shown to its owner or to a holder of any of `privileges`
    (pgsvc.sql.catalog.acl letters; each view names those PostgreSQL 15's definition checks)."""
    return f"pgsvce_is_rel_visible({rel}, '{privileges}')"


ANY_TABLE, NOT_SELECT, COLUMN_USE, SEQUENCE_USE = "arwdDxt", "awdDxt", "arwx", "rwU"


def _type_facts(typ: str, typmod: str, charset_last: bool = False, lengths: bool = True) -> str:
    """The type-fact columns for a type OID and typmod (SQL expressions): in _TYPE_COLS'
    order, or with the character-set and collation columns last (as `columns` has them)."""
    f = lambda field: f"pgsvce_is_type('{field}', {typ}, {typmod})"
    lens = [f("character_maximum_length"), f("character_octet_length")] if lengths else ["NULL", "NULL"]
    charset = "NULL, NULL, NULL, NULL, NULL, NULL"  # default character set and collation
    numbers = [f("numeric_precision"), f("numeric_precision_radix"), f("numeric_scale"),
               f("datetime_precision"), f("interval_type"), "NULL"]
    if charset_last:
        return ", ".join([f("data_type"), *lens, *numbers, charset])
    return ", ".join([f("data_type"), *lens, charset, *numbers])


_IDENTITY_SEQ = '''(SELECT s.{col} FROM main."pgsvc$sequence" s
                    WHERE s.owner_relid = a.relid AND s.owner_attnum = a.attnum)'''

# constraint of the referenced table that an FK uses: its primary key or unique
# constraint on exactly the referenced columns
# DEFERRABLE / INITIALLY DEFERRED of a constraint k of table c (catalog.deferrable)
_DEFER_FLAG = ("CASE WHEN EXISTS (SELECT 1 FROM json_each(json_extract(c.options, '$.{key}')) d "
               "WHERE d.value = k.oid) THEN 'YES' ELSE 'NO' END")
_REF_KEY = '''(SELECT uc.oid FROM main."pgsvc$constraint" uc
    WHERE uc.conrelid = k.confrelid AND uc.contype IN ('p', 'u')
      AND (SELECT group_concat(value) FROM (SELECT value FROM json_each(uc.conkey) ORDER BY value))
        = (SELECT group_concat(value) FROM (SELECT value FROM json_each(k.confkey) ORDER BY value))
    ORDER BY uc.contype, uc.oid LIMIT 1)'''

_RULE = lambda col: (f"CASE {col} WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' "
                     f"WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END")

# NOT NULL constraints appear as CHECK constraints named as PostgreSQL names them; PostgreSQL 15
# writes the column name into the clause unquoted
_NOT_NULL = f'''SELECT n.nspname AS nspname, c.relname AS relname, c.oid AS relid,
        n.oid || '_' || c.oid || '_' || a.attnum || '_not_null' AS conname,
        a.attname || ' IS NOT NULL' AS clause
    FROM {_RELS} JOIN main."pgsvc$attribute" a ON a.relid = c.oid
    WHERE c.relkind = 'r' AND a.attnotnull AND {_visible(NOT_SELECT)}'''

_DOMAIN_CHECKS = '''main."pgsvc$domain_constraint" dc JOIN main."pgsvc$type" t ON t.oid = dc.contypid
        JOIN main."pgsvc$namespace" n ON n.oid = t.nspoid WHERE pgsvce_is_type_usable(t.oid)'''

def _grants(column_level: int) -> str:
    """One row per privilege granted on a table or view (pgsvce_is_grants: JSON from its ACL)."""
    return f'''SELECT c.oid AS relid, n.nspname AS nspname, c.relname AS relname,
        json_extract(j.value, '$[0]') AS grantor, json_extract(j.value, '$[1]') AS grantee,
        json_extract(j.value, '$[2]') AS word,
        CASE WHEN json_extract(j.value, '$[3]') THEN 'YES' ELSE 'NO' END AS grantable,
        CASE WHEN json_extract(j.value, '$[2]') = 'SELECT' THEN 'YES' ELSE 'NO' END AS hierarchy
    FROM {_RELS}, json_each(pgsvce_is_grants(c.oid, {column_level})) j
    WHERE c.relkind IN ('r', 'v')'''


_GRANT_COLS = (f"pgsvce_userbyid(g.grantor), CASE WHEN g.grantee = 0 THEN 'PUBLIC' "
               f"ELSE pgsvce_userbyid(g.grantee) END, {CAT}, g.nspname, g.relname")

_RET = "CASE WHEN p.prokind <> 'p' THEN pgsvce_is_type('{}', p.prorettype, -1) END"
_ROUTINE_VALUES = {
    "specific_catalog": CAT, "specific_schema": "ns.nspname", "specific_name": "p.proname || '_' || p.oid",
    "routine_catalog": CAT, "routine_schema": "ns.nspname", "routine_name": "p.proname",
    "routine_type": "CASE p.prokind WHEN 'f' THEN 'FUNCTION' WHEN 'p' THEN 'PROCEDURE' END",
    "data_type": _RET.format("data_type"), "type_udt_catalog": f"CASE WHEN p.prokind <> 'p' THEN {CAT} END",
    "type_udt_schema": _RET.format("udt_schema"), "type_udt_name": _RET.format("udt_name"),
    "dtd_identifier": "'0'",
    "routine_body": "CASE WHEN l.lanname = 'sql' THEN 'SQL' ELSE 'EXTERNAL' END",
    "routine_definition": "CASE WHEN pgsvce_is_enabled_role(p.proowner) THEN p.prosrc END",
    "external_name": "CASE WHEN l.lanname = 'c' THEN p.prosrc END",
    "external_language": "upper(l.lanname)", "parameter_style": "'GENERAL'",
    "is_deterministic": "CASE WHEN p.provolatile = 'i' THEN 'YES' ELSE 'NO' END",
    "sql_data_access": "'MODIFIES'",
    "is_null_call": "CASE WHEN p.prokind <> 'p' THEN CASE WHEN p.proisstrict THEN 'YES' ELSE 'NO' END END",
    "schema_level_routine": "'YES'", "max_dynamic_result_sets": "0",
    "security_type": "CASE WHEN p.prosecdef THEN 'DEFINER' ELSE 'INVOKER' END",
    "as_locator": "'NO'", "is_udt_dependent": "'NO'",
}

VIEWS = {
    "information_schema_catalog_name": f"SELECT {CAT} AS catalog_name",
    "schemata": f'''SELECT {CAT} AS catalog_name, n.nspname AS schema_name,
        pgsvce_userbyid(n.nspowner) AS schema_owner, {_NULLS(4)}
        FROM {pc("pg_namespace")} n WHERE pgsvce_is_schema_visible(n.nspname, n.nspowner)''',
    "tables": f'''SELECT {CAT}, n.nspname, c.relname,
        CASE WHEN {_TEMP} THEN 'LOCAL TEMPORARY' WHEN c.relkind = 'v' THEN 'VIEW' ELSE 'BASE TABLE' END,
        {_NULLS(5)}, CASE WHEN c.relkind = 'r' OR (c.relkind = 'v' AND pgsvce_rel_updatable(c.oid, 0) & 8 = 8)
        THEN 'YES' ELSE 'NO' END, 'NO',
        CASE WHEN {_TEMP} THEN 'PRESERVE' END
        FROM {_RELS} WHERE c.relkind IN ('r', 'v') AND {_visible(ANY_TABLE)}''',
    "columns": f'''SELECT {CAT}, n.nspname, c.relname, a.attname, a.attnum,
        CASE WHEN a.identity = '' THEN pgsvce_is_default(a.relid, a.default_expr, a.atttypid, a.atttypmod) END,
        CASE WHEN a.attnotnull OR pgsvce_is_type('domain_notnull', a.atttypid, -1) THEN 'NO' ELSE 'YES' END,
        {_type_facts("a.atttypid", "a.atttypmod", charset_last=True)},
        pgsvce_is_type('domain_catalog', a.atttypid, a.atttypmod),
        pgsvce_is_type('domain_schema', a.atttypid, a.atttypmod),
        pgsvce_is_type('domain_name', a.atttypid, a.atttypmod),
        {CAT}, pgsvce_is_type('udt_schema', a.atttypid, a.atttypmod),
        pgsvce_is_type('udt_name', a.atttypid, a.atttypmod),
        NULL, NULL, NULL, NULL, CAST(a.attnum AS TEXT), 'NO',
        CASE WHEN a.identity IN ('a', 'd') THEN 'YES' ELSE 'NO' END,
        CASE a.identity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END,
        CASE WHEN a.identity IN ('a', 'd') THEN CAST({_IDENTITY_SEQ.format(col="start")} AS TEXT) END,
        CASE WHEN a.identity IN ('a', 'd') THEN CAST({_IDENTITY_SEQ.format(col="increment")} AS TEXT) END,
        CASE WHEN a.identity IN ('a', 'd') THEN CAST({_IDENTITY_SEQ.format(col="maxvalue")} AS TEXT) END,
        CASE WHEN a.identity IN ('a', 'd') THEN CAST({_IDENTITY_SEQ.format(col="minvalue")} AS TEXT) END,
        CASE WHEN a.identity IN ('a', 'd') AND {_IDENTITY_SEQ.format(col="cycle")} THEN 'YES' ELSE 'NO' END,
        CASE a.identity WHEN 's' THEN 'ALWAYS' ELSE 'NEVER' END,
        CASE a.identity WHEN 's' THEN pgsvce_is_default(a.relid, a.default_expr, a.atttypid, a.atttypmod) END,
        CASE WHEN c.relkind = 'r' OR (c.relkind = 'v' AND pgsvce_col_updatable(c.oid, a.attnum, 0))
        THEN 'YES' ELSE 'NO' END
        FROM {_RELS} JOIN main."pgsvc$attribute" a ON a.relid = c.oid
        WHERE c.relkind IN ('r', 'v') AND {_visible(COLUMN_USE)}''',
    "views": f'''SELECT {CAT}, n.nspname, c.relname,
        CASE WHEN pgsvce_is_owner(c.oid) THEN pgsvce_is_viewdef(c.oid) END,
        pgsvce_view_check_option(c.oid),
        CASE WHEN pgsvce_rel_updatable(c.oid, 0) & 20 = 20 THEN 'YES' ELSE 'NO' END,
        CASE WHEN pgsvce_rel_updatable(c.oid, 0) & 8 = 8 THEN 'YES' ELSE 'NO' END,
        pgsvce_instead_of(c.oid, 'UPDATE'), pgsvce_instead_of(c.oid, 'DELETE'), pgsvce_instead_of(c.oid, 'INSERT')
        FROM {_RELS} WHERE c.relkind = 'v' AND {_visible(ANY_TABLE)}''',
    # one row per event (TRUNCATE left out, as PostgreSQL's); the WHEN condition and the
    # EXECUTE FUNCTION clause cut from pg_get_triggerdef (pgsvc.sql.pg_functions.triggerdef)
    "triggers": f'''SELECT {CAT}, n.nspname, t.tgname, em.text, {CAT}, n.nspname, c.relname,
        rank() OVER (PARTITION BY n.nspname, c.relname, em.num, t.tgtype & 1, t.tgtype & 66 ORDER BY t.tgname),
        CASE WHEN pgsvce_is_owner(c.oid) THEN pgsvce_is_trigger(t.oid, 'condition') END,
        pgsvce_is_trigger(t.oid, 'statement'),
        CASE t.tgtype & 1 WHEN 1 THEN 'ROW' ELSE 'STATEMENT' END,
        CASE t.tgtype & 66 WHEN 2 THEN 'BEFORE' WHEN 64 THEN 'INSTEAD OF' ELSE 'AFTER' END,
        t.tgoldtable, t.tgnewtable, NULL, NULL, NULL
        FROM main."pgsvc$trigger" t {_join_rel("c.oid = t.tgrelid")},
        (SELECT 4 AS num, 'INSERT' AS text UNION ALL SELECT 8, 'DELETE' UNION ALL SELECT 16, 'UPDATE') em
        WHERE t.tgtype & em.num <> 0 AND {_visible(NOT_SELECT)}''',
    # the columns of UPDATE OF triggers, in the order written
    "triggered_update_columns": f'''SELECT {CAT}, n.nspname, t.tgname, {CAT}, n.nspname, c.relname, a.attname
        FROM main."pgsvc$trigger" t {_join_rel("c.oid = t.tgrelid")}, json_each(t.tgattr) j
        JOIN main."pgsvc$attribute" a ON a.relid = t.tgrelid AND a.attnum = j.value
        WHERE {_visible("awx")}''',
    "table_constraints": f'''SELECT {CAT}, n.nspname, k.conname, {CAT}, n.nspname, c.relname,
        CASE k.contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE' WHEN 'f' THEN 'FOREIGN KEY'
                       ELSE 'CHECK' END,
        {_DEFER_FLAG.format(key="deferrable")}, {_DEFER_FLAG.format(key="deferred")},
        'YES', CASE WHEN k.contype = 'u' THEN 'YES' END
        FROM main."pgsvc$constraint" k {_join_rel("c.oid = k.conrelid")}
        WHERE c.relkind = 'r' AND {_visible(NOT_SELECT)}
        UNION ALL
        SELECT {CAT}, nn.nspname, nn.conname, {CAT}, nn.nspname, nn.relname, 'CHECK', 'NO', 'NO', 'YES', NULL
        FROM ({_NOT_NULL}) nn''',
    "key_column_usage": f'''SELECT {CAT}, n.nspname, k.conname, {CAT}, n.nspname, c.relname, a.attname,
        j.key + 1,
        CASE WHEN k.contype = 'f' THEN
          (SELECT u.key + 1 FROM main."pgsvc$constraint" uc, json_each(uc.conkey) u
           WHERE uc.oid = {_REF_KEY} AND u.value = json_extract(k.confkey, '$[' || j.key || ']')) END
        FROM main."pgsvc$constraint" k {_join_rel("c.oid = k.conrelid")}, json_each(k.conkey) j
        JOIN main."pgsvc$attribute" a ON a.relid = k.conrelid AND a.attnum = j.value
        WHERE k.contype IN ('p', 'u', 'f') AND {_visible(COLUMN_USE)}''',
    # the columns a constraint uses: its own key (p, u), the referenced key (f), the columns
    # its expression names (c); listed only for tables the current role owns
    "constraint_column_usage": f'''SELECT {CAT}, n.nspname, c.relname, a.attname, {CAT}, kn.nspname, k.conname
        FROM main."pgsvc$constraint" k
        JOIN main."pgsvc$class" kc ON kc.oid = k.conrelid
        JOIN main."pgsvc$namespace" kn ON kn.oid = kc.nspoid
        {_join_rel("c.oid = CASE WHEN k.contype = 'f' THEN k.confrelid ELSE k.conrelid END")}
        JOIN main."pgsvc$attribute" a ON a.relid = c.oid
        WHERE pgsvce_is_owner(c.oid) AND (
          (k.contype IN ('p', 'u') AND a.attnum IN (SELECT value FROM json_each(k.conkey)))
          OR (k.contype = 'f' AND a.attnum IN (SELECT value FROM json_each(k.confkey)))
          OR (k.contype = 'c' AND a.attname IN (SELECT value FROM json_each(pgsvce_is_expr_columns(k.expr)))))''',
    "constraint_table_usage": f'''SELECT {CAT}, n.nspname, c.relname, {CAT}, kn.nspname, k.conname
        FROM main."pgsvc$constraint" k
        JOIN main."pgsvc$class" kc ON kc.oid = k.conrelid
        JOIN main."pgsvc$namespace" kn ON kn.oid = kc.nspoid
        {_join_rel("c.oid = CASE WHEN k.contype = 'f' THEN k.confrelid ELSE k.conrelid END")}
        WHERE k.contype IN ('p', 'u', 'f') AND pgsvce_is_owner(c.oid)''',
    "referential_constraints": f'''SELECT {CAT}, n.nspname, k.conname,
        CASE WHEN uk.oid IS NOT NULL THEN {CAT} END, un.nspname, uk.conname,
        'NONE', {_RULE("k.confupdtype")}, {_RULE("k.confdeltype")}
        FROM main."pgsvc$constraint" k {_join_rel("c.oid = k.conrelid")}
        LEFT JOIN main."pgsvc$constraint" uk ON uk.oid = {_REF_KEY}
        LEFT JOIN main."pgsvc$class" uc ON uc.oid = uk.conrelid
        LEFT JOIN main."pgsvc$namespace" un ON un.oid = uc.nspoid
        WHERE k.contype = 'f' AND {_visible(NOT_SELECT)}''',
    "check_constraints": f'''SELECT {CAT}, n.nspname, k.conname, pgsvce_is_check_clause(k.oid)
        FROM main."pgsvc$constraint" k {_join_rel("c.oid = k.conrelid")}
        WHERE k.contype = 'c' AND pgsvce_is_owner(c.oid)
        UNION ALL
        SELECT {CAT}, nn.nspname, nn.conname, nn.clause FROM ({_NOT_NULL}) nn
        WHERE pgsvce_is_owner(nn.relid)
        UNION ALL
        SELECT {CAT}, n.nspname, dc.conname, pgsvce_is_check_clause(dc.oid) FROM {_DOMAIN_CHECKS}''',
    # identity columns' sequences are internal to their column: not listed (as PostgreSQL)
    "sequences": f'''SELECT {CAT}, n.nspname, c.relname, pgsvce_is_type('data_type', s.typid, -1),
        pgsvce_is_type('numeric_precision', s.typid, -1), 2, 0,
        CAST(s.start AS TEXT), CAST(s.minvalue AS TEXT), CAST(s.maxvalue AS TEXT),
        CAST(s.increment AS TEXT), CASE WHEN s.cycle THEN 'YES' ELSE 'NO' END
        FROM main."pgsvc$sequence" s {_join_rel("c.oid = s.relid")}
        WHERE {_visible(SEQUENCE_USE)} AND NOT EXISTS (
          SELECT 1 FROM main."pgsvc$attribute" a
          WHERE a.relid = s.owner_relid AND a.attnum = s.owner_attnum AND a.identity IN ('a', 'd'))''',
    "column_udt_usage": f'''SELECT {CAT}, pgsvce_is_type('udt_schema', a.atttypid, a.atttypmod),
        pgsvce_is_type('udt_name', a.atttypid, a.atttypmod), {CAT}, n.nspname, c.relname, a.attname
        FROM {_RELS} JOIN main."pgsvc$attribute" a ON a.relid = c.oid
        WHERE c.relkind IN ('r', 'v') AND pgsvce_is_type_usable(a.atttypid)''',
    # element types of array columns (dtd_identifier 'a' || the column's dtd_identifier)
    "element_types": f'''SELECT {CAT}, n.nspname, c.relname, 'TABLE', CAST(a.attnum AS TEXT),
        {_type_facts("pgsvce_is_type('element_oid', a.atttypid, -1)", "-1", lengths=False)}, NULL,
        {CAT}, pgsvce_is_type('udt_schema', pgsvce_is_type('element_oid', a.atttypid, -1), -1),
        pgsvce_is_type('udt_name', pgsvce_is_type('element_oid', a.atttypid, -1), -1),
        NULL, NULL, NULL, NULL, 'a' || a.attnum
        FROM {_RELS} JOIN main."pgsvc$attribute" a ON a.relid = c.oid
        WHERE c.relkind IN ('r', 'v') AND pgsvce_is_type('element_oid', a.atttypid, -1) IS NOT NULL
          AND {_visible(COLUMN_USE)}''',
    # domains and their checks are shown to members of their owner (the bootstrap superuser)
    "domains": f'''SELECT {CAT}, n.nspname, t.typname, {_type_facts("t.oid", "-1")},
        pgsvce_is_domain_default(t.oid), {CAT},
        pgsvce_is_type('udt_schema', t.basetype, t.typmod), pgsvce_is_type('udt_name', t.basetype, t.typmod),
        NULL, NULL, NULL, NULL, '1'
        FROM main."pgsvc$type" t JOIN main."pgsvc$namespace" n ON n.oid = t.nspoid
        WHERE t.typtype = 'd' AND pgsvce_is_type_usable(t.oid)''',
    "domain_constraints": f'''SELECT {CAT}, n.nspname, dc.conname, {CAT}, n.nspname, t.typname, 'NO', 'NO'
        FROM {_DOMAIN_CHECKS}''',
    # privileges granted on tables and views: shown when the grantor or the grantee is an
    # enabled role, or the grantee is PUBLIC (role_table_grants: not for PUBLIC alone)
    "table_privileges": f'''SELECT {_GRANT_COLS}, g.word, g.grantable, g.hierarchy FROM ({_grants(0)}) g
        WHERE pgsvce_is_enabled_role(g.grantor) OR pgsvce_is_enabled_role(g.grantee) OR g.grantee = 0''',
    "role_table_grants": f'''SELECT {_GRANT_COLS}, g.word, g.grantable, g.hierarchy FROM ({_grants(0)}) g
        WHERE pgsvce_is_enabled_role(g.grantor) OR pgsvce_is_enabled_role(g.grantee)''',
    # table-level privileges apply to every column (pgsvc has no column-level GRANT)
    "column_privileges": f'''SELECT {_GRANT_COLS}, a.attname, g.word, g.grantable
        FROM ({_grants(1)}) g JOIN main."pgsvc$attribute" a ON a.relid = g.relid
        WHERE pgsvce_is_enabled_role(g.grantor) OR pgsvce_is_enabled_role(g.grantee) OR g.grantee = 0''',
    "enabled_roles": f'''SELECT a.rolname FROM {pc("pg_authid")} a WHERE pgsvce_is_enabled_role(a.oid)''',
    # the current database's owner is implicitly a member of pg_database_owner
    "applicable_roles": f'''SELECT pgsvce_userbyid(m.member), pgsvce_userbyid(m.roleid),
        CASE WHEN m.admin_option THEN 'YES' ELSE 'NO' END
        FROM (SELECT member, roleid, admin_option FROM {pc("pg_auth_members")}
              UNION SELECT d.datdba, {PG_DATABASE_OWNER_OID}, 0 FROM {pc("pg_database")} d WHERE d.datname = {CAT}) m
        WHERE pgsvce_is_enabled_role(m.member)''',
    # the functions of pg_proc (pgsvc has no CREATE FUNCTION: PostgreSQL 15's built-in
    # functions that pgsvc has); executable by PUBLIC, so every role sees them
    "routines": "SELECT " + ", ".join(_ROUTINE_VALUES.get(c, "NULL") for c, _, _ in COLUMNS["routines"])
                + f""" FROM {pc("pg_proc")} p JOIN {pc("pg_namespace")} ns ON ns.oid = p.pronamespace
                   LEFT JOIN {pc("pg_language")} l ON l.oid = p.prolang""",
    # one row per argument of each function (proallargtypes, else proargtypes), the
    # default as pg_get_function_arg_default prints it (to roles with the owner's rights)
    "parameters": f"""SELECT {CAT}, ns.nspname, p.proname || '_' || p.oid, j.key + 1,
        CASE json_extract(p.proargmodes, '$[' || j.key || ']') WHEN 'o' THEN 'OUT' WHEN 'b' THEN 'INOUT'
             WHEN 't' THEN 'OUT' ELSE 'IN' END, 'NO', 'NO',
        NULLIF(json_extract(p.proargnames, '$[' || j.key || ']'), ''),
        pgsvce_is_type('data_type', j.value, -1), {_NULLS(14)}, {CAT}, pgsvce_is_type('udt_schema', j.value, -1),
        pgsvce_is_type('udt_name', j.value, -1), {_NULLS(4)}, CAST(j.key + 1 AS TEXT),
        CASE WHEN pgsvce_is_enabled_role(p.proowner) THEN pgsvce_function_arg_default(p.oid, j.key + 1) END
        FROM {pc("pg_proc")} p JOIN {pc("pg_namespace")} ns ON ns.oid = p.pronamespace,
             json_each(COALESCE(p.proallargtypes, p.proargtypes)) j""",
}

# the pg_catalog relations (pgsvc.sql.catalog.system.relations) a view reads
DEPENDS = {"schemata": ("pg_namespace",), "routines": ("pg_proc", "pg_namespace", "pg_language"), "enabled_roles": ("pg_authid",),
           "parameters": ("pg_proc", "pg_namespace"),
           "applicable_roles": ("pg_auth_members", "pg_database")}


def depends(name: str) -> tuple:
    """The pg_catalog relations an information_schema relation ("information_schema.x") reads."""
    return DEPENDS.get(name[len(PREFIX):], ())


def create(conn, name: str) -> None:
    """Make the TEMP view of "information_schema.x" (its pg_catalog sources exist already)."""
    short = name[len(PREFIX):]
    cols = ", ".join(f'"{c}"' for c, _, _ in COLUMNS[short])
    conn.execute(f"CREATE TEMP VIEW IF NOT EXISTS {q(short)} ({cols}) AS {VIEWS[short]}")
