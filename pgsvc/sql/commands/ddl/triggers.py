"""CREATE [OR REPLACE] TRIGGER, DROP TRIGGER, ALTER TRIGGER ... RENAME TO and ALTER TABLE
... ENABLE / DISABLE TRIGGER, with PostgreSQL's checks in CreateTriggerFiringOn's order
(relation kind, system catalog, TRIGGER privilege, timing and level, REFERENCING, WHEN,
the function, an existing trigger, UPDATE OF columns) and its messages. The rows go to
catalog.triggers; the SQLite triggers that report row changes to the engine are made by
commands.ddl.trigger_capture after the statement. Constraint triggers are refused (0A000).
"""

from __future__ import annotations

import pglast
from pglast import ast, enums
from pglast.stream import RawStream

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog import routines as CR
from pgsvc.sql.catalog import triggers as TG
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.system import relations as pg_relations
from pgsvc.sql.commands.ddl.trigger_clones import TriggerCloneDdl
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.trigger_dml import SYSTEM_COLUMNS, stored_when, when_references
from pgsvc.sql.types import oids as O

A = enums.AlterTableType
_ENABLE = {A.AT_EnableTrig: "O", A.AT_EnableAlwaysTrig: "A", A.AT_EnableReplicaTrig: "R", A.AT_DisableTrig: "D",
           A.AT_EnableTrigAll: "O", A.AT_DisableTrigAll: "D", A.AT_EnableTrigUser: "O", A.AT_DisableTrigUser: "D"}
TRIGGER_SUBTYPES = frozenset(_ENABLE)
_KIND_DETAIL = {"S": "sequences", "m": "materialized views", "f": "foreign tables"}


class TriggerDdl(TriggerCloneDdl):
    """Trigger DDL: methods of pgsvc.sql.commands.ddl.Ddl."""

    # --- CREATE TRIGGER ------------------------------------------------------------

    def create_trigger(self, node: ast.CreateTrigStmt) -> None:
        rv = node.relation
        if rv.schemaname in (None, "pg_catalog") and pg_relations.find(rv.schemaname, rv.relname) is not None \
                and self.cat.lookup(rv.schemaname, rv.relname, self.engine.search_path()) is None:
            raise SqlError("42501", f'permission denied: "{rv.relname}" is a system catalog')
        tr = Translator(self.engine, self.cat, [])
        try:
            rel = tr.relation(rv)
        except SqlError as err:
            err.position = None  # RangeVarGetRelid: no position, as PostgreSQL
            raise
        tgtype = (TG.TYPE_ROW if node.row else 0) | (node.timing & (TG.TYPE_BEFORE | TG.TYPE_INSTEAD)) | node.events
        self.check_trigger_kind(rel, tgtype)
        authz(self.engine).check_statement([("r", rel.oid, "t", 0, False)])
        self.check_trigger_type(tgtype, node)
        old_name, new_name = self.transition_names(rel, tgtype, node)
        if (old_name or new_name) and tgtype & TG.TYPE_ROW:
            if P.partkey(rel) is not None:
                raise SqlError("0A000", f'"{rel.name}" is a partitioned table',
                               detail="ROW triggers with transition tables are not supported on partitioned tables.")
            if P.bound(rel) is not None:
                raise SqlError("0A000", "ROW triggers with transition tables are not supported on partitions")
            if rel.options.get("inherits"):
                raise SqlError("0A000",
                               "ROW triggers with transition tables are not supported on inheritance children")
        qual = None
        if node.whenClause is not None:
            self.check_when(rel, tgtype, node.whenClause)
            qual = RawStream()(stored_when(node.whenClause))
        func = self.trigger_function(node)
        existing = TG.trigger_by_name(rel, node.trigname)
        if existing is not None and not node.replace:
            raise SqlError("42710", f'trigger "{node.trigname}" for relation "{rel.name}" already exists')
        if existing is not None and existing.parentid:
            self.refuse_clone(existing, rel, "replace")  # pgsvc.sql.commands.ddl.trigger_clones
        if existing is not None and existing.constraint:
            raise SqlError("42710", f'trigger "{node.trigname}" for relation "{rel.name}" is a constraint trigger')
        attr = self.update_columns(rel, node.columns)
        t = TG.Trigger(existing.oid if existing is not None else C.new_oid(self.conn), rel.oid, node.trigname,
                       func.oid, tgtype, "O", attr, tuple(a.sval for a in node.args or ()), qual,
                       old_name, new_name)
        if node.isconstraint:  # fires as an AFTER ROW trigger does (INITIALLY DEFERRED: at COMMIT)
            t.constraint, t.deferrable = C.new_oid(self.conn), bool(node.deferrable)
            t.initdeferred = bool(node.initdeferred)
            if node.constrrel is not None:
                t.constrrelid = self.constraint_from(tr, node.constrrel)
        if existing is not None:
            for c in self.trigger_clones(existing):
                TG.delete_trigger(self.conn, c.oid)
            TG.replace_trigger(self.conn, t)
        else:
            TG.insert_trigger(self.conn, t)
        self.refresh()
        if P.partkey(rel) is not None and t.row:  # on each partition (ddl.trigger_clones)
            for p in P.partitions_of(self.cat, rel):
                self.clone_trigger(t, rel, p, bool(node.replace))
            self.refresh()

    @staticmethod
    def constraint_from(tr, rv) -> int:
        """FROM referenced_table of a constraint trigger: its OID."""
        try:
            return tr.relation(rv).oid
        except SqlError as err:
            err.position = None
            raise

    def check_trigger_kind(self, rel, tgtype: int) -> None:
        if rel.kind == "r":
            if tgtype & TG.TYPE_INSTEAD:
                raise SqlError("42809", f'"{rel.name}" is a table', detail="Tables cannot have INSTEAD OF triggers.")
        elif rel.kind == "v":
            if not tgtype & TG.TYPE_INSTEAD and tgtype & TG.TYPE_ROW:
                raise SqlError("42809", f'"{rel.name}" is a view',
                               detail="Views cannot have row-level BEFORE or AFTER triggers.")
            if tgtype & TG.TYPE_TRUNCATE:
                raise SqlError("42809", f'"{rel.name}" is a view', detail="Views cannot have TRUNCATE triggers.")
        elif rel.kind in ("i", "I", "c"):
            raise SqlError("42809", f'"{rel.name}" is {"a composite type" if rel.kind == "c" else "an index"}')
        else:
            raise SqlError("42809", f'relation "{rel.name}" cannot have triggers',
                           detail=f"This operation is not supported for {_KIND_DETAIL.get(rel.kind, 'this kind')}.")

    @staticmethod
    def check_trigger_type(tgtype: int, node) -> None:
        if tgtype & TG.TYPE_ROW and tgtype & TG.TYPE_TRUNCATE:
            raise SqlError("0A000", "TRUNCATE FOR EACH ROW triggers are not supported")
        if tgtype & TG.TYPE_INSTEAD:
            if not tgtype & TG.TYPE_ROW:
                raise SqlError("0A000", "INSTEAD OF triggers must be FOR EACH ROW")
            if node.whenClause is not None:
                raise SqlError("0A000", "INSTEAD OF triggers cannot have WHEN conditions")
            if node.columns:
                raise SqlError("0A000", "INSTEAD OF triggers cannot have column lists")

    @staticmethod
    def transition_names(rel, tgtype: int, node) -> tuple[str | None, str | None]:
        old = new = None
        for tt in node.transitionRels or ():
            if not tt.isTable:
                raise SqlError("0A000", "ROW variable naming in the REFERENCING clause is not supported",
                               hint="Use OLD TABLE or NEW TABLE for naming transition tables.")
            if rel.kind == "v":
                raise SqlError("42809", f'"{rel.name}" is a view',
                               detail="Triggers on views cannot have transition tables.")
            if tgtype & (TG.TYPE_BEFORE | TG.TYPE_INSTEAD):
                raise SqlError("42P17", "transition table name can only be specified for an AFTER trigger")
            if tgtype & TG.TYPE_TRUNCATE:
                raise SqlError("0A000", "TRUNCATE triggers with transition tables are not supported")
            if sum(1 for bit in (TG.TYPE_INSERT, TG.TYPE_UPDATE, TG.TYPE_DELETE) if tgtype & bit) > 1:
                raise SqlError("0A000", "transition tables cannot be specified for triggers with more than one event")
            if node.columns:
                raise SqlError("0A000", "transition tables cannot be specified for triggers with column lists")
            if tt.isNew:
                if not tgtype & (TG.TYPE_INSERT | TG.TYPE_UPDATE):
                    raise SqlError("42P17", "NEW TABLE can only be specified for an INSERT or UPDATE trigger")
                if new is not None:
                    raise SqlError("42P17", "NEW TABLE cannot be specified multiple times")
                new = tt.name
            else:
                if not tgtype & (TG.TYPE_DELETE | TG.TYPE_UPDATE):
                    raise SqlError("42P17", "OLD TABLE can only be specified for a DELETE or UPDATE trigger")
                if old is not None:
                    raise SqlError("42P17", "OLD TABLE cannot be specified multiple times")
                old = tt.name
        if old is not None and old == new:
            raise SqlError("42P17", "OLD TABLE name and NEW TABLE name cannot be the same")
        return old, new

    def check_when(self, rel, tgtype: int, node) -> None:
        """The WHEN condition parses against OLD and NEW, then may use only what the
        trigger has (PostgreSQL's checks after transformWhereClause)."""
        refs = when_references(node)
        for which, col, pos in refs:
            if col in SYSTEM_COLUMNS and rel.attr(col) is None:
                if which == "new" and tgtype & TG.TYPE_BEFORE:
                    raise SqlError("0A000", "BEFORE trigger's WHEN condition cannot reference NEW system columns",
                                   position=pos)
                if col == "tableoid":
                    continue  # the relation's OID (translate.trigger_dml.trigger_when)
                raise SqlError("0A000", "system columns in trigger WHEN conditions are not supported", position=pos)
        Translator(self.engine, self.cat, []).trigger_when(rel, node)
        for which, _col, pos in refs:
            if not tgtype & TG.TYPE_ROW:
                raise SqlError("42P17", "statement trigger's WHEN condition cannot reference column values",
                               position=pos)
            if which == "old" and tgtype & TG.TYPE_INSERT:
                raise SqlError("42P17", "INSERT trigger's WHEN condition cannot reference OLD values", position=pos)
            if which == "new" and tgtype & TG.TYPE_DELETE:
                raise SqlError("42P17", "DELETE trigger's WHEN condition cannot reference NEW values", position=pos)

    def trigger_function(self, node) -> CR.Routine:
        names = [n.sval for n in node.funcname]
        schema = names[0] if len(names) == 2 else None
        builtin = next((oid for oid, name in TG.BUILTIN_FUNCTIONS.items() if name == names[-1]), None)
        if builtin is not None and schema in (None, "pg_catalog"):
            return CR.Routine(builtin, "pg_catalog", 11, names[-1], rettype=O.TRIGGER)  # pg_catalog first
        if schema is not None and schema not in self.cat.schemas:
            raise SqlError("3F000", f'schema "{schema}" does not exist')
        found = [r for r in CR.visible(self.cat, names[-1], schema, self.engine.search_path())
                 if not r.argtypes and r.kind != "p"]
        if not found:
            raise SqlError("42883", f"function {'.'.join(names)}() does not exist")
        func = found[0]
        authz(self.engine).check_statement([("f", func.oid, "X", 0, False)])
        if func.rettype != O.TRIGGER:
            raise SqlError("42P17", f"function {'.'.join(names)} must return type trigger")
        return func

    @staticmethod
    def update_columns(rel, columns) -> tuple:
        attr: list[int] = []
        for c in columns or ():
            a = rel.attr(c.sval)
            if a is None:
                raise SqlError("42703", f'column "{c.sval}" of relation "{rel.name}" does not exist')
            if a.attnum in attr:
                raise SqlError("42701", f'column "{c.sval}" specified more than once')
            attr.append(a.attnum)
        return tuple(attr)

    # --- DROP TRIGGER / ALTER TRIGGER RENAME ------------------------------------------

    def drop_triggers(self, node: ast.DropStmt) -> None:
        for obj in node.objects:
            names = [n.sval for n in obj]
            table, name = names[:-1], names[-1]
            rel = self.find_target_table(table, node.missing_ok)
            if rel is None:
                continue
            t = TG.trigger_by_name(rel, name)
            if t is None:
                if node.missing_ok:
                    self.notice(f'trigger "{name}" for relation "{rel.name}" does not exist, skipping')
                    continue
                raise SqlError("42704", f'trigger "{name}" for table "{rel.name}" does not exist')
            authz(self.engine).check_owner(rel)
            self.refuse_clone(t, rel, "drop")
            self.delete_with_clones(t)
        self.refresh()

    def rename_trigger(self, node: ast.RenameStmt) -> None:
        rv = node.relation
        rel = Translator(self.engine, self.cat, []).relation(rv)
        authz(self.engine).check_owner(rel)
        t = TG.trigger_by_name(rel, node.subname)
        if t is None:
            raise SqlError("42704", f'trigger "{node.subname}" for table "{rel.name}" does not exist')
        if TG.trigger_by_name(rel, node.newname) is not None:
            raise SqlError("42710", f'trigger "{node.newname}" for relation "{rel.name}" already exists')
        self.refuse_clone(t, rel, "rename")
        clones = self.trigger_clones(t)
        for c in clones:  # renametrig_partition: each partition's clone takes the name too
            part = self.cat.by_oid.get(c.relid)
            other = TG.trigger_by_name(part, node.newname) if part is not None else None
            if other is not None and other.oid != c.oid:
                raise SqlError("42710", f'trigger "{node.newname}" for relation "{part.name}" already exists')
        for c in [t] + clones:
            TG.rename_trigger(self.conn, c.oid, node.newname)
        self.refresh()

    def comment_trigger(self, names: list[str]) -> int:
        """COMMENT ON TRIGGER name ON table: the trigger's OID (its table's owner may)."""
        rel = self.find(names[:-1])
        if rel is None:
            raise SqlError("42P01", f'relation "{".".join(names[:-1])}" does not exist')
        t = TG.trigger_by_name(rel, names[-1])
        if t is None:
            raise SqlError("42704", f'trigger "{names[-1]}" for table "{rel.name}" does not exist')
        authz(self.engine).check_owner(rel)
        return t.oid

    def check_not_in_use(self, rel, what: str) -> None:
        """PostgreSQL's CheckTableNotInUse: a statement running in this session (with
        triggers: exec.triggers' levels) still has rel open, so a trigger of it cannot
        change the table's definition under it."""
        for lv in getattr(self.engine, "tg_levels", None) or ():
            if lv.relid == rel.oid or rel.oid in lv.parts:
                raise SqlError("55006", f'cannot {what} "{rel.name}" because it is being used by active queries '
                               "in this session")

    # --- ALTER TABLE ... ENABLE / DISABLE TRIGGER --------------------------------------

    def enable_trigger(self, rel, cmd: ast.AlterTableCmd) -> None:
        state = _ENABLE[cmd.subtype]
        if cmd.subtype in (A.AT_EnableTrigAll, A.AT_DisableTrigAll, A.AT_EnableTrigUser, A.AT_DisableTrigUser):
            targets = list(rel.triggers)
        else:
            t = TG.trigger_by_name(rel, cmd.name)
            if t is None:
                raise SqlError("42704", f'trigger "{cmd.name}" for table "{rel.name}" does not exist')
            targets = [t]
        if getattr(self, "alter_inh", True):  # the partitions' clones too, unless ONLY
            targets += [c for t in targets for c in self.trigger_clones(t)]
        for t in targets:
            if t.enabled != state:
                TG.set_enabled(self.conn, t.oid, state)
        self.refresh()

    # --- dependencies --------------------------------------------------------------------

    def drop_column_triggers(self, rel, cmd) -> None:
        """ALTER TABLE ... DROP COLUMN of a column a trigger names (UPDATE OF, its WHEN):
        2BP01 unless CASCADE, which drops those triggers."""
        a = rel.attr(cmd.name)
        if a is None or not rel.triggers:
            return
        deps = [t for t in sorted(rel.triggers, key=lambda t: t.oid)
                if a.attnum in t.attr or t.qual and any(c == a.name for _, c, _ in when_references(when_node(t.qual)))]
        if not deps:
            return
        what = [f"trigger {t.name} on table {rel.name}" for t in deps]
        if cmd.behavior != enums.DropBehavior.DROP_CASCADE:
            col = f"column {a.name} of table {rel.name}"
            raise SqlError("2BP01", f"cannot drop {col} because other objects depend on it",
                           detail="\n".join(f"{w} depends on {col}" for w in what),
                           hint="Use DROP ... CASCADE to drop the dependent objects too.")
        self.report_cascade(what)
        for t in deps:
            TG.delete_trigger(self.conn, t.oid)
        self.refresh()

    def delete_trigger(self, t: TG.Trigger) -> None:
        """DROP FUNCTION ... CASCADE of its function."""
        self.delete_with_clones(t)

    def triggers_calling(self, r: CR.Routine) -> list:
        """(trigger, its relation) of the triggers that execute routine r."""
        out = []
        for t in sorted(self.cat.triggers.values(), key=lambda x: x.oid):
            rel = self.cat.by_oid.get(t.relid)
            if t.funcoid == r.oid and rel is not None and not t.parentid:  # a clone goes with its parent
                out.append((t, rel))
        return out


def when_node(qual: str):
    """A stored WHEN condition (tgqual) as a pglast expression."""
    return pglast.parse_sql(f"SELECT {qual}")[0].stmt.targetList[0].val


__all__ = ["TriggerDdl", "TRIGGER_SUBTYPES", "when_node"]
