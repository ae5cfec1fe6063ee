"""CREATE / ALTER / DROP PUBLICATION and ALTER PUBLICATION ... RENAME TO / OWNER TO, as
PostgreSQL 15's publicationcmds.c: FOR TABLE, FOR ALL TABLES, FOR TABLES IN SCHEMA,
WITH (publish = '...', publish_via_partition_root = ...), the same checks and errors.

Each is a function of a Ddl (pgsvc.sql.commands.ddl) run inside the statement's
transaction; the catalog rows are pgsvc.sql.catalog.publications', and the change log's
triggers follow the publications when the statement ends (the dispatcher's after-DDL step,
pgsvc.sql.catalog.changelog.sync).
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import publications as PUB
from pgsvc.sql.catalog.authz import authz, not_owner
from pgsvc.sql.catalog.system.pg_catalog_defs import REL_OIDS as SYSTEM_RELATIONS
from pgsvc.sql.commands.ddl.ownership import check_may_give, new_owner_oid
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.ex import location
from pgsvc.sql.types.scalars import parse_bool

OBJ = enums.PublicationObjSpecType
AP = enums.AlterPublicationAction
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
_KIND_PLURAL = {"v": "views", "S": "sequences", "i": "indexes", "c": "composite types", "m": "materialized views",
                "f": "foreign tables"}


def find(ddl, name: str, missing_ok: bool = False) -> PUB.Publication | None:
    for pub in ddl.cat.publications.values():
        if pub.name == name:
            return pub
    if missing_ok:
        return None
    raise SqlError("42704", f'publication "{name}" does not exist')


def check_pub_owner(ddl, pub: PUB.Publication) -> None:
    az = authz(ddl.engine)
    az.fresh()
    if not az.has_privs_of(az.current_oid(), pub.owner):
        raise not_owner("publication", pub.name)


def _bool_option(d: ast.DefElem) -> bool:
    """defGetBoolean: no value is true; an integer 0 or 1; a boolean word."""
    if d.arg is None:
        return True
    if isinstance(d.arg, ast.Integer) and d.arg.ival in (0, 1):
        return d.arg.ival == 1
    try:
        return parse_bool(str(getattr(d.arg, "sval", "")))
    except SqlError:
        raise SqlError("42601", f"{d.defname} requires a Boolean value") from None


def _publish_list(text: str) -> dict[str, bool]:
    """publish = 'insert, update': PostgreSQL's SplitIdentifierString (names downcased,
    blanks around them ignored; an empty element is invalid list syntax)."""
    actions = dict.fromkeys(PUB.ACTIONS, False)
    if text.strip() == "":
        return actions
    for item in text.split(","):
        word = item.strip()
        if word.startswith('"') and word.endswith('"') and len(word) > 1:
            word = word[1:-1]
        else:
            word = word.lower()
        if not word:
            raise SqlError("42601", 'invalid list syntax in parameter "publish"')
        if word not in actions:
            raise SqlError("42601", f'unrecognized value for publication option "publish": "{word}"')
        actions[word] = True
    return actions


def parse_options(options) -> tuple[dict[str, bool] | None, bool | None]:
    """WITH (...): (the actions publish names or None, publish_via_partition_root or None)."""
    actions, viaroot, seen = None, None, set()
    for d in options or ():
        if d.defname in seen:
            err = SqlError("42601", "conflicting or redundant options")
            err.position = location(d)
            raise err
        seen.add(d.defname)
        if d.defname == "publish":
            actions = _publish_list(str(getattr(d.arg, "sval", d.arg)) if d.arg is not None else "")
        elif d.defname == "publish_via_partition_root":
            viaroot = _bool_option(d)
        else:
            raise SqlError("42601", f'unrecognized publication parameter: "{d.defname}"')
    return actions, viaroot


def _table(ddl, spec) -> C.Relation:
    """A FOR TABLE item: an ordinary table of the database the current role owns."""
    rv = spec.pubtable.relation
    try:
        rel = Translator(ddl.engine, ddl.cat, []).relation(rv)
    except SqlError as err:
        err.position = None
        if err.sqlstate == "42P01" and rv.schemaname in (None, "pg_catalog", "information_schema") \
                and rv.relname in SYSTEM_RELATIONS:
            raise SqlError("22023", f'cannot add relation "{rv.relname}" to publication',
                           detail="This operation is not supported for system tables.") from None
        raise
    rel = ddl.cat.by_oid.get(rel.oid, rel)
    detail = None
    if rel.kind in _KIND_PLURAL:
        detail = f"This operation is not supported for {_KIND_PLURAL[rel.kind]}."
    elif rel.schema in _SYSTEM_SCHEMAS or getattr(rel, "oid", 0) < C.FIRST_OID:
        detail = "This operation is not supported for system tables."
    elif rel.schema.startswith("pg_temp_"):
        detail = "This operation is not supported for temporary tables."
    elif rel.options.get("persistence") == "u":
        detail = "This operation is not supported for unlogged tables."
    if detail is not None:
        raise SqlError("22023", f'cannot add relation "{rel.name}" to publication', detail=detail)
    authz(ddl.engine).check_owner(rel)
    return rel


def _schema(ddl, spec) -> tuple[str, int]:
    if spec.pubobjtype == OBJ.PUBLICATIONOBJ_TABLES_IN_CUR_SCHEMA:
        name = next((s for s in ddl.engine.search_path() if s in ddl.cat.schemas), None)
        if name is None:
            raise SqlError("3F000", "no schema has been selected for CURRENT_SCHEMA")
    else:
        name = spec.name
    if name in _SYSTEM_SCHEMAS or (name not in ddl.cat.schemas and name.startswith("pg_")):
        raise SqlError("22023", f'cannot add schema "{name}" to publication',
                       detail="This operation is not supported for system schemas.")
    if name not in ddl.cat.schemas:
        raise SqlError("3F000", f'schema "{name}" does not exist')
    if name.startswith("pg_temp_"):
        raise SqlError("22023", f'cannot add schema "{name}" to publication',
                       detail="This operation is not supported for temporary schemas.")
    return name, ddl.cat.schemas[name]


def _objects(ddl, pubobjects) -> tuple[dict[int, C.Relation], dict[int, str]]:
    """The FOR / ADD / SET / DROP list: tables by OID and schemas by OID (duplicates once)."""
    tables, schemas = {}, {}
    for spec in pubobjects or ():
        if spec.pubobjtype == OBJ.PUBLICATIONOBJ_TABLE:
            if spec.pubtable.whereClause is not None or spec.pubtable.columns:
                raise SqlError("0A000", "row filters and column lists of publications are not supported")
            rel = _table(ddl, spec)
            tables[rel.oid] = rel
        elif spec.pubobjtype in (OBJ.PUBLICATIONOBJ_TABLES_IN_SCHEMA, OBJ.PUBLICATIONOBJ_TABLES_IN_CUR_SCHEMA):
            name, oid = _schema(ddl, spec)
            schemas[oid] = name
        else:
            raise SqlError("0A000", "this publication object is not supported")
    return tables, schemas


def _require_superuser(ddl, what: str) -> None:
    az = authz(ddl.engine)
    az.fresh()
    if not az.is_superuser(az.current_oid()):
        raise SqlError("42501", f"must be superuser to {what}")


def create_publication(ddl, node: ast.CreatePublicationStmt) -> None:
    if find(ddl, node.pubname, missing_ok=True) is not None:
        raise SqlError("42710", f'publication "{node.pubname}" already exists')
    authz(ddl.engine).check_create_schema()  # CREATE on the database
    actions, viaroot = parse_options(node.options)
    if node.for_all_tables:
        _require_superuser(ddl, "create FOR ALL TABLES publication")
    tables, schemas = _objects(ddl, node.pubobjects)
    if schemas:
        _require_superuser(ddl, "create FOR TABLES IN SCHEMA publication")
    oid = C.new_oid(ddl.conn)
    PUB.insert_publication(ddl.conn, oid, node.pubname, ddl.creator(), bool(node.for_all_tables),
                           actions or dict.fromkeys(PUB.ACTIONS, True), bool(viaroot))
    for relid in tables:
        PUB.add_relation(ddl.conn, C.new_oid(ddl.conn), oid, relid)
    for nspid in schemas:
        PUB.add_schema(ddl.conn, C.new_oid(ddl.conn), oid, nspid)
    ddl.refresh()
    if str(ddl.engine.session.settings.get("wal_level")).lower() != "logical":
        ddl.engine.session.notice(SqlNotice("wal_level is insufficient to publish logical changes", sqlstate="01000",
                                            severity="WARNING",
                                            hint='Set wal_level to "logical" before creating subscriptions.'))


def alter_publication(ddl, node: ast.AlterPublicationStmt) -> None:
    pub = find(ddl, node.pubname)
    check_pub_owner(ddl, pub)
    if node.options:
        actions, viaroot = parse_options(node.options)
        PUB.set_publication_options(ddl.conn, pub.oid, actions or pub.actions,
                                    pub.viaroot if viaroot is None else viaroot)
        ddl.refresh()
        return
    tables, schemas = _objects(ddl, node.pubobjects)
    if schemas and node.action == AP.AP_AddObjects:
        _require_superuser(ddl, "add or set schemas")
    if node.action == AP.AP_SetObjects and schemas:
        _require_superuser(ddl, "add or set schemas")
    if pub.alltables and (schemas or node.action == AP.AP_SetObjects and not tables):
        raise SqlError("55000", f'publication "{pub.name}" is defined as FOR ALL TABLES',
                       detail="Schemas cannot be added to or dropped from FOR ALL TABLES publications.")
    if pub.alltables and tables:
        raise SqlError("55000", f'publication "{pub.name}" is defined as FOR ALL TABLES',
                       detail="Tables cannot be added to or dropped from FOR ALL TABLES publications.")
    if node.action == AP.AP_AddObjects:
        _add(ddl, pub, tables, schemas)
    elif node.action == AP.AP_DropObjects:
        for relid, rel in tables.items():
            if relid not in pub.rels:
                raise SqlError("42704", f'relation "{rel.name}" is not part of the publication')
            PUB.remove_relation(ddl.conn, pub.oid, relid)
        for nspid, name in schemas.items():
            if nspid not in pub.schemas:
                raise SqlError("42704", f'tables from schema "{name}" are not part of the publication')
            PUB.remove_schema(ddl.conn, pub.oid, nspid)
    else:  # SET: exactly the objects listed
        for relid in pub.rels:
            if relid not in tables:
                PUB.remove_relation(ddl.conn, pub.oid, relid)
        for nspid in pub.schemas:
            if nspid not in schemas:
                PUB.remove_schema(ddl.conn, pub.oid, nspid)
        _add(ddl, pub, {k: v for k, v in tables.items() if k not in pub.rels},
             {k: v for k, v in schemas.items() if k not in pub.schemas})
    ddl.refresh()


def _add(ddl, pub, tables, schemas) -> None:
    for relid, rel in tables.items():
        if relid in pub.rels:
            raise SqlError("42710", f'relation "{rel.name}" is already member of publication "{pub.name}"')
        PUB.add_relation(ddl.conn, C.new_oid(ddl.conn), pub.oid, relid)
    for nspid, name in schemas.items():
        if nspid in pub.schemas:
            raise SqlError("42710", f'schema "{name}" is already member of publication "{pub.name}"')
        PUB.add_schema(ddl.conn, C.new_oid(ddl.conn), pub.oid, nspid)


def drop_publications(ddl, node: ast.DropStmt) -> None:
    for obj in node.objects:
        name = obj.sval
        pub = find(ddl, name, missing_ok=node.missing_ok)
        if pub is None:
            ddl.notice(f'publication "{name}" does not exist, skipping')
            continue
        check_pub_owner(ddl, pub)
        PUB.delete_publication(ddl.conn, pub.oid)
        ddl.refresh()


def rename_publication(ddl, node: ast.RenameStmt) -> None:
    pub = find(ddl, node.object.sval)
    if find(ddl, node.newname, missing_ok=True) is not None:
        raise SqlError("42710", f'publication "{node.newname}" already exists')
    check_pub_owner(ddl, pub)
    PUB.rename_publication(ddl.conn, pub.oid, node.newname)
    ddl.refresh()


def alter_publication_owner(ddl, node: ast.AlterOwnerStmt) -> None:
    pub = find(ddl, node.object.sval)
    new = new_owner_oid(ddl.engine, node.newowner)
    if new == pub.owner:
        return
    check_may_give(ddl.engine, "publication", pub.name, pub.owner, new)
    az = authz(ddl.engine)
    if pub.alltables and not az.is_superuser(az.current_oid()) and not az.is_superuser(new):
        raise SqlError("42501", f'permission denied to change owner of publication "{pub.name}"',
                       hint="The owner of a FOR ALL TABLES publication must be a superuser.")
    PUB.set_publication_owner(ddl.conn, pub.oid, new)
    ddl.refresh()


__all__ = ["find", "parse_options", "create_publication", "alter_publication", "drop_publications",
           "rename_publication", "alter_publication_owner"]
