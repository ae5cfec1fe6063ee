"""CREATE OPERATOR CLASS ... USING hash and DROP OPERATOR CLASS (catalog.opclasses): a hash
class's support function decides which partition a row of a hash-partitioned table whose
key names the class goes to (commands.ddl.partitions, catalog.partitions). Other access
methods are refused: pgsvc builds btree indexes in its own order only.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import opclasses as OC
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.translate.typenames import type_from_typename
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type

_METHODS = ("btree", "hash", "gist", "gin", "spgist", "brin")


class OpClassDdl:
    """CREATE / DROP OPERATOR CLASS (methods of pgsvc.sql.commands.ddl.Ddl)."""

    def create_opclass(self, node: ast.CreateOpClassStmt) -> None:
        names = [n.sval for n in node.opclassname]
        schema = self.schema_of(ast.RangeVar(schemaname=names[0] if len(names) > 1 else None, relname=names[-1],
                                             relpersistence="p"))
        method = node.amname
        if method not in _METHODS:
            raise SqlError("42704", f'access method "{method}" does not exist')
        if method != "hash":
            raise SqlError("0A000", f"operator classes for access method {method} are not supported")
        if any(c.schema == schema and c.name == names[-1] and c.method == method for c in OC.opclasses(self.conn)):
            raise SqlError("42710", f'operator class "{names[-1]}" for access method "{method}" already exists')
        intype, _ = type_from_typename(node.datatype)
        fn, proc = 0, 0
        for item in node.items or ():
            if item.itemtype == 2:  # FUNCTION n name(args)
                if item.number not in (1, 2):
                    raise SqlError("42P17", f"invalid function number {item.number}, must be between 1 and 2")
                r = self.lookup_routine(item.name, enums.ObjectType.OBJECT_FUNCTION)  # ddl.routines
                want = O.INT8 if item.number == 2 else O.INT4
                if r.rettype != want:
                    raise SqlError("42P17", f"hash function {item.number} must return "
                                   f"{format_type(want, None)}")
                if proc != 2:
                    fn, proc = r.oid, item.number
            elif item.itemtype == 3:
                raise SqlError("42P17", "storage type cannot be different from data type for access method "
                               f'"{method}"')
        OC.insert_opclass(self.conn, OC.OpClass(C.new_oid(self.conn), schema, names[-1], method, intype,
                                                bool(node.isDefault), fn, proc, self.creator()))

    def drop_opclasses(self, node: ast.DropStmt) -> None:
        for obj in node.objects:
            parts = [n.sval for n in obj]
            method, names = parts[0], parts[1:]
            c = self.opclass_named(names, method, node.missing_ok)
            if c is None:
                continue
            users = [r for r in self.cat.by_oid.values() if any(
                k.get("opclass") == c.oid for k in (P.partkey(r) or {}).get("keys", ()))]
            what = f"operator class {c.name} for access method {method}"
            if users and node.behavior != enums.DropBehavior.DROP_CASCADE:
                raise SqlError("2BP01", f"cannot drop {what} because other objects depend on it",
                               detail="\n".join(f"table {r.name} depends on {what}" for r in users),
                               hint="Use DROP ... CASCADE to drop the dependent objects too.")
            if users:
                raise SqlError("0A000", "DROP OPERATOR CLASS ... CASCADE of a class a partition key uses is not "
                               "supported")
            OC.delete_opclass(self.conn, c.oid)

    def opclass_named(self, names: list[str], method: str, missing_ok: bool = False):
        """The operator class names (schema-qualified or on the search path) of method."""
        schemas = [names[0]] if len(names) > 1 else self.engine.search_path()
        c = OC.find_opclass(self.conn, names[-1], method, schemas)
        if c is None:
            msg = f'operator class "{".".join(names)}" does not exist for access method "{method}"'
            if missing_ok:
                self.notice(msg + ", skipping")
                return None
            raise SqlError("42704", msg)
        return c


__all__ = ["OpClassDdl"]
