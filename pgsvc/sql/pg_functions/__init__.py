"""The catalog functions clients call (pg_get_expr, format_type, has_table_privilege,
obj_description, ...) and the ones the pg_catalog and information_schema views call
(pgsvce_*): SQLite UDFs bound to one engine, with their signatures for the translator.

The signatures (functions.session_sigs' ENGINE_FUNCTIONS / EXTRA_FUNCTIONS) are added
once, when these modules are imported; `register(conn, engine)` installs the UDFs on each
new connection (Engine.open_connection). The catalog (pgsvc.sql.catalog.system) defines
the relations; what it cannot compute below this layer it takes from here: the UDFs its
views call, and the row source of "pg_type$user" (domains' typdefault is deparsed), which
type_funcs sets when it is imported.
"""

from __future__ import annotations

from pgsvc.errors import SqlNotice
from pgsvc.sql import quoting
from pgsvc.sql.catalog import regtypes
from pgsvc.sql.catalog.system import opclass
from pgsvc.sql.catalog.system.role_names import role_name_by_oid
from pgsvc.sql.types import aclitem
from pgsvc.sql.types import oids as O
from pgsvc.sql.pg_functions import (advisory, catalog_funcs, changelog_udfs, depends, describe, information_schema,
                                   notify_funcs, privileges, publication_funcs, snapshots, triggerdef, type_funcs)
from pgsvc.sql.pg_functions import partition_funcs
from pgsvc.sql.pg_functions import replication_slots
from pgsvc.sql.pg_functions import row_security_funcs
from pgsvc.sql.pg_functions import view_updatable


def _session_hooks(conn, engine) -> None:
    # one session per backend: quote_ident follows its quote_all_identifiers
    quoting.set_quote_all_source(lambda: engine.session.settings.get("quote_all_identifiers") is True)
    # and aclitem input looks its roles up in its catalog
    aclitem.set_role_check(lambda name: regtypes.reg_in(engine, O.REGROLE, quoting.quote_ident(name)),
                           lambda: role_name_by_oid(engine, 10) or "postgres",
                           lambda msg, code: engine.session.notice(SqlNotice(msg, sqlstate=code, severity="WARNING")))


# register's steps in order, each (name, function(conn, engine)); pgsvc.sql.exec.prepared_udfs
# builds them once before the fork (catalog_funcs replaces earlier signatures of its names)
REGISTER_STEPS = (
    ("session_hooks", _session_hooks),
    ("information_schema", information_schema.register),
    ("opclass", lambda conn, engine: opclass.register(conn)),  # pg_index.indclass
    ("type_funcs", type_funcs.register),  # pg_type_is_visible, domain constraints' conbin, "pg_type$user"
    ("regtypes", regtypes.register),  # reg* input/output
    ("catalog_funcs", catalog_funcs.register),  # format_type, pg_get_function_*, sizes, pg_get_userbyid, ...
    ("describe", describe.register),  # pg_get_expr/-constraintdef/-indexdef/-viewdef, comments
    ("partition_funcs", partition_funcs.register),  # pg_get_partkeydef, relpartbound's text, ...
    ("depends", depends.register),  # pg_depend's rows of defaults and views
    ("privileges", privileges.register),  # has_*_privilege, ACL texts, current_user
    ("notify_funcs", notify_funcs.register),  # pg_notify, pg_listening_channels, pg_notification_queue_usage
    ("triggerdef", triggerdef.register),  # pg_get_triggerdef, pg_trigger's tgargs
    ("advisory", advisory.register),  # pg_advisory_lock and its family, pg_blocking_pids
    ("snapshots", snapshots.register),  # pg_export_snapshot (SET TRANSACTION SNAPSHOT imports)
    ("replication_slots", replication_slots.register),  # pg_create_logical_replication_slot, ...
    ("changelog_udfs", changelog_udfs.register),  # what the change log's triggers call (catalog.changelog)
    ("publication_funcs", publication_funcs.register),  # pg_get_replica_identity_index, ...
    ("row_security_funcs", row_security_funcs.register),  # row_security_active
    ("view_updatable", view_updatable.register),  # pg_relation_is_updatable, information_schema's is_updatable
)


def register(conn, engine) -> None:
    """Every catalog UDF on `conn` (REGISTER_STEPS in order)."""
    for _name, step in REGISTER_STEPS:
        step(conn, engine)
