#!/usr/bin/env python3
"""Generate pgsvc/sql/catalog/system/pg15_data.py from a running PostgreSQL 15 (build time only).

pgsvc's pg_proc, pg_operator, pg_cast, pg_aggregate and pg_language carry PostgreSQL
15's real OIDs and attributes for the functions, operators and casts pgsvc has. They
are taken from a reference PostgreSQL 15 once, by this script, and committed as plain
data; the server never talks to PostgreSQL.

    .venv/bin/python scripts/gen_pg15_catalog.py "host=127.0.0.1 port=5432 user=postgres"

What is extracted:
  PROC_NAMES   oid -> (proname, nspname, proargtypes, prorettype) for EVERY pg_catalog
               function (regproc / regprocedure output and input need the names even of
               support functions that pgsvc does not call, e.g. pg_operator.oprcode);
  PROCS        full pg_proc rows (plus the description and pg_get_expr of the argument
               defaults) for every function whose name pgsvc's catalogues have or that
               is in CATALOG_NAMES below; the server keeps only the signatures it resolves;
  OPERATORS, CASTS, AGGREGATES, LANGUAGES, COLLATIONS: rows keyed the same way;
  SETTINGS     pg_settings' category, descriptions and type facts of every setting (pgsvc keeps
               adding settings; the planner knobs it accepts are listed with these facts);
  TIMEZONE_ABBREVS  pg_timezone_abbrevs (timezone_abbreviations = 'Default').

Run it again after adding functions to pgsvc.sql.functions (the row set is filtered at
run time, so a missing row only means that the new function is absent from pg_proc).
"""

from __future__ import annotations

import pprint
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "pgsvc" / "sql" / "catalog" / "system" / "pg15_data.py"

# catalog functions clients call (names pgsvc may add later are fetched ahead of time)
CATALOG_NAMES = """
format_type pg_get_userbyid pg_type_is_visible pg_function_is_visible pg_table_is_visible
pg_get_function_arguments pg_get_function_result pg_get_function_identity_arguments
pg_get_function_sqlbody pg_encoding_to_char pg_char_to_encoding current_schemas set_config
current_setting pg_relation_size pg_total_relation_size pg_table_size pg_indexes_size
pg_database_size pg_size_pretty pg_size_bytes pg_backend_pid pg_is_in_recovery
pg_postmaster_start_time pg_conf_load_time array_to_string unnest generate_subscripts
array_length array_lower array_upper array_ndims array_dims cardinality pg_my_temp_schema
pg_is_other_temp_schema pg_tablespace_location version to_regclass to_regtype to_regproc
to_regprocedure to_regnamespace to_regrole to_regoper to_regoperator current_database
current_schema current_user session_user current_query inet_client_addr inet_client_port
inet_server_addr inet_server_port pg_get_indexdef pg_get_constraintdef pg_get_expr
pg_get_viewdef pg_get_triggerdef pg_get_serial_sequence obj_description col_description
shobj_description has_table_privilege has_schema_privilege has_database_privilege
has_column_privilege has_function_privilege has_sequence_privilege pg_has_role
has_any_column_privilege has_type_privilege has_language_privilege has_tablespace_privilege
pg_stat_get_activity pg_cancel_backend pg_terminate_backend pg_sleep txid_current
pg_current_xact_id pg_typeof pg_column_size pg_collation_for pg_get_keywords
pg_listening_channels pg_notify pg_notification_queue_usage pg_opclass_is_visible pg_operator_is_visible
pg_collation_is_visible pg_conversion_is_visible pg_ts_config_is_visible
pg_get_partkeydef pg_get_statisticsobjdef pg_get_ruledef pg_relation_filenode
pg_relation_filepath pg_current_logfile pg_tablespace_size pg_options_to_table
pg_settings_get_flags lastval nextval currval setval oidvectortypes pg_get_functiondef
getdatabaseencoding enum_first enum_last enum_range pg_column_size pg_get_keywords
""".split()

PROC_COLS = ("oid, proname, pronamespace, proowner, prolang, procost, prorows, provariadic, "
             "prosupport::oid, prokind, prosecdef, proleakproof, proisstrict, proretset, provolatile, "
             "proparallel, pronargs, pronargdefaults, prorettype, proargtypes::oid[], proallargtypes, "
             "proargmodes::text[], proargnames, proargdefaults::text, protrftypes, prosrc, probin, "
             "prosqlbody::text, proconfig, proacl::text[]")


def pgsvc_names() -> set[str]:
    """Every function name the translator resolves, including the ones engine modules
    register when a backend opens its connection (registered here on a scratch one)."""
    import sqlite3
    import types

    from pgsvc.sql import pg_functions
    from pgsvc.sql.functions import FUNCTIONS
    from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS, EXTRA_FUNCTIONS
    pg_functions.register(sqlite3.connect(":memory:"), types.SimpleNamespace(fctx=None, session=None))
    return set(FUNCTIONS) | set(EXTRA_FUNCTIONS) | set(ENGINE_FUNCTIONS) | set(CATALOG_NAMES)


def fetch(cur, sql, *args):
    cur.execute(sql, args)
    return [tuple(r) for r in cur.fetchall()]


def main(dsn: str) -> None:
    names = sorted(pgsvc_names())
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        proc_names = fetch(cur, """SELECT p.oid, p.proname, n.nspname, p.proargtypes::oid[], p.prorettype,
            p.prokind FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'pg_catalog' ORDER BY p.oid""")
        procs = fetch(cur, f"""SELECT {PROC_COLS}, obj_description(oid, 'pg_proc'),
            pg_get_expr(proargdefaults, 0) FROM pg_proc
            WHERE pronamespace = 11 AND proname = ANY(%s) ORDER BY oid""", names)
        operators = fetch(cur, """SELECT oid, oprname, oprkind, oprcanmerge, oprcanhash, oprleft, oprright,
            oprresult, oprcom, oprnegate, oprcode::oid, oprrest::oid, oprjoin::oid,
            obj_description(oid, 'pg_operator') FROM pg_operator WHERE oprnamespace = 11 ORDER BY oid""")
        casts = fetch(cur, """SELECT oid, castsource, casttarget, castfunc, castcontext, castmethod
            FROM pg_cast ORDER BY oid""")
        aggregates = fetch(cur, """SELECT aggfnoid::oid, aggkind, aggnumdirectargs, aggtransfn::oid,
            aggfinalfn::oid, aggcombinefn::oid, aggserialfn::oid, aggdeserialfn::oid, aggmtransfn::oid,
            aggminvtransfn::oid, aggmfinalfn::oid, aggfinalextra, aggmfinalextra, aggfinalmodify,
            aggmfinalmodify, aggsortop, aggtranstype, aggtransspace, aggmtranstype, aggmtransspace,
            agginitval, aggminitval FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
            WHERE p.proname = ANY(%s) ORDER BY 1""", names)
        languages = fetch(cur, """SELECT oid, lanname, lanowner, lanispl, lanpltrusted, lanplcallfoid::oid,
            laninline::oid, lanvalidator::oid, lanacl::text[], obj_description(oid, 'pg_language')
            FROM pg_language ORDER BY oid""")
        collations = fetch(cur, """SELECT oid, collname, collnamespace, collowner, collprovider,
            collisdeterministic, collencoding, collcollate, collctype, colliculocale, collversion,
            obj_description(oid, 'pg_collation') FROM pg_collation WHERE collname IN ('default', 'C', 'POSIX', 'ucs_basic') ORDER BY oid""")
        # every setting's texts: helpers keep adding settings to pgsvc.settings
        settings = fetch(cur, """SELECT name, category, short_desc, extra_desc, enumvals, vartype, unit, min_val,
            max_val, boot_val, context FROM pg_settings ORDER BY name""")
        abbrevs = fetch(cur, """SELECT abbrev, extract(epoch FROM utc_offset)::int, is_dst
            FROM pg_timezone_abbrevs ORDER BY abbrev""")
        version = fetch(cur, "SELECT current_setting('server_version')")[0][0]
    with open(OUT, "w") as f:
        f.write(f'"""Generated by scripts/gen_pg15_catalog.py from PostgreSQL {version}: do not edit.\n\n'
                "Rows of PostgreSQL 15's pg_proc, pg_operator, pg_cast, pg_aggregate, pg_language and\n"
                "pg_collation (see the script for what each table holds and how it is filtered).\n"
                '"""\n\n# flake8: noqa\n')
        for name, value in (("PROC_NAMES", proc_names), ("PROCS", procs), ("OPERATORS", operators),
                            ("CASTS", casts), ("AGGREGATES", aggregates), ("LANGUAGES", languages),
                            ("COLLATIONS", collations), ("SETTINGS", settings),
                            ("TIMEZONE_ABBREVS", abbrevs)):
            f.write(f"\n{name} = " + pprint.pformat(value, width=110, compact=True) + "\n")
    print(f"wrote {OUT}: {len(proc_names)} names, {len(procs)} procs, {len(operators)} operators, "
          f"{len(casts)} casts, {len(aggregates)} aggregates")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
