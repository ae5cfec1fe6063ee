"""DDL: CREATE/ALTER/DROP of tables, indexes, views, sequences, schemas and user types;
TRUNCATE; COMMENT; ALTER ... RENAME / OWNER TO of relations and types.

Each command updates pgsvc's catalog (pgsvc.sql.catalog.database, through its writer
functions) and the SQLite schema in the same transaction. A table's SQLite definition is
always generated from the catalog (sqlite_schema.table_sql); ALTERs SQLite cannot do in
place rebuild the table from it.

`Ddl` is composed here from one mixin per statement family, so that a command of one
family calls another's (DROP SCHEMA drops the schema's types, ALTER TABLE ADD COLUMN of a
domain checks the domain) through `self` without the modules importing each other. The
statements that build on it (GRANT / REVOKE, REASSIGN / DROP OWNED, ALTER SCHEMA/TYPE
... OWNER TO) are pgsvc.sql.commands.grants; the utility dispatcher
(pgsvc.sql.commands.utility) calls the methods by name.
"""

from __future__ import annotations

from pgsvc.sql.commands.ddl.alter_table import AlterTableDdl
from pgsvc.sql.commands.ddl.base import DdlBase
from pgsvc.sql.commands.ddl.comments import CommentDdl
from pgsvc.sql.commands.ddl.composite_types import CompositeTypeDdl
from pgsvc.sql.commands.ddl.drop import DropDdl
from pgsvc.sql.commands.ddl.indexes_views import IndexViewDdl
from pgsvc.sql.commands.ddl.inherit_alter import InheritAlterDdl
from pgsvc.sql.commands.ddl.opclasses import OpClassDdl
from pgsvc.sql.commands.ddl.partitions import PartitionDdl
from pgsvc.sql.commands.ddl.policies import PolicyDdl
from pgsvc.sql.commands.ddl.range_types import RangeTypeDdl
from pgsvc.sql.commands.ddl.routines import RoutineDdl
from pgsvc.sql.commands.ddl.rules import RuleDdl
from pgsvc.sql.commands.ddl.schemas import SchemaDdl
from pgsvc.sql.commands.ddl.sequences import SequenceDdl
from pgsvc.sql.commands.ddl.tables import TableDdl
from pgsvc.sql.commands.ddl.triggers import TriggerDdl
from pgsvc.sql.commands.ddl.user_types import UserTypeDdl


class Ddl(TableDdl, AlterTableDdl, IndexViewDdl, SequenceDdl, SchemaDdl, DropDdl, CommentDdl, UserTypeDdl,
          CompositeTypeDdl, RangeTypeDdl, RoutineDdl, TriggerDdl, PartitionDdl, PolicyDdl, InheritAlterDdl, OpClassDdl,
          RuleDdl, DdlBase):
    """Runs one DDL statement against the engine's connection and catalog."""


__all__ = ["Ddl"]
