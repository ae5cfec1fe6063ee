"""Running DML on a partitioned table or an inheritance parent row by row (the spec's
`part` entry, translate.partitions): tuple routing as PostgreSQL's execPartition.c does
it, level by level from the target, with its error when no partition takes a row; an
UPDATE that moves a row to another partition deletes it and inserts it there. Mixed into
the Engine through exec.trigger_dml.TriggerDml.
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.commands.ddl.sqlite_schema import check_sql
from pgsvc.sql.exec.triggers import Level
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.trigger_dml import captures
from pgsvc.sqlite import sqlite3


class PartitionDml:
    """Mixed into the Engine (see the module docstring)."""

    part_rowtext: str | None = None  # the running statement's row-as-text SQL (write_leaf)

    def route_row(self, spec: dict, user: list, row: list, start: int) -> int:
        """The leaf a row of the target's columns goes to, from partitioned table `start`."""
        tables = spec["part"]["tables"]
        own = tables.get("self")
        if own is not None and start == spec["rel"] and \
                self.conn.execute(own["check"], self.args_for(own["check"], user + row)).fetchone()[0] == 0:
            vals = self.conn.execute(own["row"], self.args_for(own["row"], user + row)).fetchone()
            raise SqlError("23514", f'new row for relation "{own["name"]}" violates partition constraint',
                           detail=f"Failing row contains ({', '.join('null' if v is None else str(v) for v in vals)}).",
                           table=own["name"])
        t = start
        for _ in range(64):
            info = tables.get(str(t))
            if info is None:
                return t
            pick = info["pick"]
            at = self.conn.execute(pick, self.args_for(pick, user + row)).fetchone()[0]
            if at is None or at < 0:
                detail = None
                table = self.catalog.by_oid.get(t)
                az = authz(self)
                # the key's values only to a role that may read the table (PostgreSQL also
                # accepts SELECT on the key's columns, which pgsvc does not grant)
                if table is None or az.relation_allows(az.current_oid(), table, "r"):
                    vals = self.conn.execute(info["kvals"], self.args_for(info["kvals"], user + row)).fetchone()
                    shown = ", ".join("null" if v is None else str(v) for v in vals)
                    detail = f"Partition key of the failing row contains ({info['keys']}) = ({shown})."
                raise SqlError("23514", f'no partition of relation "{info["name"]}" found for row',
                               detail=detail, table=info["name"])
            t = info["kids"][at]
        raise SqlError("54001", "partition tree too deep")

    def copy_partitioned(self, spec: dict, rows) -> int:
        """COPY FROM into a partitioned table: each row (the COPY's columns, stored forms)
        completed with its defaults and routed; the table's statement triggers fire around
        it and its partitions' AFTER ROW triggers (the clones of its own) before the AFTER one."""
        saved, self.part_rowtext = self.part_rowtext, spec["part"].get("rowtext")
        rel = self.catalog.by_oid[spec["rel"]]
        lv = Level(rel.oid, "INSERT", ())
        lv.parts = frozenset(p.oid for p in P.subtree(self.catalog, rel))
        self.tg_levels.append(lv)
        try:
            self.fire_statement_triggers(rel, "INSERT", "BEFORE", lv)
            count = self.copy_rows(spec, rows)
            self.fire_after_rows(lv)
            self.fire_statement_triggers(rel, "INSERT", "AFTER", lv)
            return count
        finally:
            self.part_rowtext = saved
            self.tg_levels.pop()
            if not self.tg_levels:
                self.tg_pending.clear()

    def copy_rows(self, spec: dict, rows) -> int:
        rel = self.catalog.by_oid[spec["rel"]]
        count = 0
        plain: dict = {}
        pending: list = []  # rows for one partition, written together (write_batch)
        # the table's own transition tables take every row, in its columns (routed_rows' keep)
        keep = self.tg_levels[-1].rows if self.tg_levels and captures(rel, "INSERT") else None
        for row in rows:
            src = self.conn.execute(spec["src"], list(row)).fetchone()
            full = list(self.full_row(rel, spec["names"], src))
            leaf = self.route_row(spec, [], full, rel.oid)
            if self.plain_leaf(leaf, plain):
                if pending and pending[0] != leaf:
                    count += self.write_batch(spec["part"]["ins"][str(pending[0])], [], pending[1:], pending[0])
                    pending = []
                pending = pending or [leaf]
                pending.append(full)
                if keep is not None:
                    keep.append((rel.oid, "I", None, tuple(full)))
                if len(pending) > 1000:
                    count += self.write_batch(spec["part"]["ins"][str(leaf)], [], pending[1:], leaf)
                    pending = []
                continue
            if pending:
                count += self.write_batch(spec["part"]["ins"][str(pending[0])], [], pending[1:], pending[0])
                pending = []
            full = self.leaf_before_insert(rel, leaf, full)
            if full is not None:
                count += self.write_leaf(spec["part"]["ins"][str(leaf)], full, 0, leaf)[1]
                if keep is not None:
                    keep.append((rel.oid, "I", None, tuple(full)))
        if pending:
            count += self.write_batch(spec["part"]["ins"][str(pending[0])], [], pending[1:], pending[0])
        return count

    def leaf_before_insert(self, rel, leaf: int, row: list) -> list | None:
        """The BEFORE INSERT ROW triggers of the partition a row was routed to (as PostgreSQL
        fires them): the row they return, in the target's column order, or None to skip it.
        A row they move out of the partition fails its partition constraint on the write."""
        lrel = self.catalog.by_oid.get(leaf)
        if lrel is None or not lrel.triggers or not self.enabled(lrel, "BEFORE", "INSERT", True):
            return row
        at = {a.name: i for i, a in enumerate(rel.attrs)}
        got = self.before_row(lrel, "INSERT", None, tuple(row[at[a.name]] if a.name in at else None
                                                           for a in lrel.attrs), ())
        if got is None:
            return None
        mine = {a.name: i for i, a in enumerate(lrel.attrs)}
        return [got[mine[a.name]] if a.name in mine else row[i] for i, a in enumerate(rel.attrs)]

    def check_clone_kept_row(self, rel, t, row) -> None:
        """A partition's clone of its partitioned table's BEFORE ROW trigger changed a row:
        it must still fit the partition (PostgreSQL's ExecBRInsertTriggers refuses to move
        it; an UPDATE's new row that leaves is moved, and checked as it is inserted)."""
        key = f"partition check {rel.oid} {self.catalog.version}"  # (cached with the trigger specs)
        sql = self.tg_specs.get(key)
        if sql is None:
            quals = P.constraint_text(self.catalog, rel, plain=True)
            if not quals:
                return
            cols = ", ".join(f"?{i + 1} AS {quote_sqlite_ident(a.name)}" for i, a in enumerate(rel.attrs))
            sql = self.tg_specs[key] = f"SELECT ({check_sql(rel, quals, self)}) FROM (SELECT {cols})"
        if self.conn.execute(sql, list(row)).fetchone()[0] == 0:
            raise SqlError("0A000", "moving row to another partition during a BEFORE FOR EACH ROW trigger is not "
                           "supported", detail=f'Before executing trigger "{t.name}", the row was to be in '
                           f'partition "{rel.schema}.{rel.name}".')

    def plain_leaf(self, leaf: int, seen: dict) -> bool:
        """A partition whose writes nothing else sees (no trigger of its own, no SQLite
        trigger such as a publication's change log): its rows may be written in one batch."""
        got = seen.get(leaf)
        if got is None:
            rel = self.catalog.by_oid.get(leaf)
            got = seen[leaf] = rel is not None and not rel.triggers and self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? UNION ALL "
                "SELECT 1 FROM sqlite_temp_master WHERE type = 'trigger' AND tbl_name = ?",
                (rel.sqlite_name, rel.sqlite_name)).fetchone() is None
        return got

    def write_batch(self, sql: str, user: list, rows: list, leaf: int) -> int:
        """Rows for one partition in one executemany; when one fails, the rows before it are
        in (SQLite's change count says how many), it is written alone for its own error
        (and detail), and any after it one by one."""
        before = self.conn.total_changes
        try:
            return max(self.conn.executemany(sql, [user + r for r in rows]).rowcount, 0)
        except sqlite3.Error:
            done = self.conn.total_changes - before
            if not 0 <= done < len(rows):
                raise
        count = done
        for r in rows[done:]:
            count += self.write_leaf(sql, user + r, 0, leaf)[1]
        return count

    def write_leaf(self, sql: str, args: list, ncol: int, leaf: int) -> tuple[list, int]:
        """A routed row's write: a CHECK it breaks is the leaf's (the parent's constraint of
        the same name is the one the SQLite error would otherwise be taken for)."""
        try:
            return self.write_sql(sql, args, ncol, leaf)
        except sqlite3.Error as e:
            err = map_error(e, self)
            rel = self.catalog.by_oid.get(leaf)
            if err.sqlstate == "23514" and err.constraint and rel is not None and err.table != rel.name and \
                    not err.constraint.startswith("pgsvc$"):
                err.message = f'new row for relation "{rel.name}" violates check constraint "{err.constraint}"'
                err.table, err.schema = rel.name, rel.schema
            rowtext = self.part_rowtext
            if err.sqlstate in ("23514", "23502") and rowtext and not err.detail:
                # the row as the statement's target has it (PostgreSQL converts it back to the root)
                vals = self.conn.execute(rowtext, self.args_for(rowtext, args)).fetchone()
                err.detail = f"Failing row contains ({', '.join('null' if v is None else str(v) for v in vals)})."
            if err.constraint and err.constraint.startswith("pgsvc$part$"):
                err.constraint = None
            raise err from None

    def leaf_row(self, rel, leaf, row):
        """A row in the target's column order as the partition's (its columns may be in
        another order), and back (to_target)."""
        at = {a.name: i for i, a in enumerate(rel.attrs)}
        return tuple(row[at[a.name]] if a.name in at else None for a in leaf.attrs)

    def target_row(self, rel, leaf, row, base):
        at = {a.name: i for i, a in enumerate(leaf.attrs)}
        return [row[at[a.name]] if a.name in at else base[i] for i, a in enumerate(rel.attrs)]

    @staticmethod
    def leaf_cols(rel, leaf, cols) -> set:
        """Attnums of the target's columns `cols` as the partition's (found by name)."""
        out = set()
        for n in cols:
            a = rel.attr_by_num(n)
            b = leaf.attr(a.name) if a is not None else None
            if b is not None:
                out.add(b.attnum)
        return out

    def leaf_before(self, rel, leaf_oid: int, event: str, old, new, cols):
        """BEFORE ROW triggers of a partition for a row of the target's columns: True when
        the partition has none; else the row they return (target's order) or None."""
        leaf = self.catalog.by_oid.get(leaf_oid)
        if leaf is None or not leaf.triggers or not self.enabled(leaf, "BEFORE", event, True):
            return True
        got = self.before_row(leaf, event, None if old is None else self.leaf_row(rel, leaf, old),
                              None if new is None else self.leaf_row(rel, leaf, new),
                              self.leaf_cols(rel, leaf, cols) if cols else cols)
        if got is None:
            return None
        return self.target_row(rel, leaf, got, new if new is not None else old)

    def partition_rows(self, rel, spec: dict, values: list) -> tuple[list, int]:
        saved, self.part_rowtext = self.part_rowtext, spec["part"].get("rowtext")
        try:
            return self.routed_rows(rel, spec, values)
        finally:
            self.part_rowtext = saved

    def routed_rows(self, rel, spec: dict, values: list) -> tuple[list, int]:
        user = values[:spec["n"]]
        part, ncol = spec["part"], spec["ncol"]
        out: list = []
        count = 0
        k = len(rel.attrs)
        lv = self.tg_levels[-1] if self.tg_levels else None
        # the target's own row changes, for its AFTER ROW triggers and transition tables (its
        # partitions' changes are captured as theirs)
        keep = lv.rows if lv is not None and lv.relid == rel.oid and rel.triggers and \
            any(captures(rel, e) for e in ("INSERT", "UPDATE", "DELETE")) else None
        # an inheritance parent's row triggers fire for its own rows only (captured as they
        # change); its children's rows, in its columns, are for its transition tables
        kids_keep = keep if keep is None or P.partkey(rel) is not None else lv.inherited
        if spec["k"] == "I":
            picked = spec.get("src_pick")
            top = part["tables"].get(str(rel.oid))
            rows = self.conn.execute(picked, self.args_for(picked, values)).fetchall() if picked \
                else self.source_rows(spec, values)
            batch = part.get("batch") and keep is None and not ncol
            plain: dict = {}
            pending: list = []  # rows for one partition, written together (write_batch)
            for r in rows:
                row = list(self.full_row(rel, spec["names"], r[:-1] if picked else r))
                kid = top["kids"][r[-1]] if picked and r[-1] is not None and r[-1] >= 0 else None
                if kid is None:
                    leaf = self.route_row(spec, user, row, rel.oid)
                else:  # the partition found by the source query; routed on below it
                    leaf = self.route_row(spec, user, row, kid) if str(kid) in part["tables"] else kid
                if batch and self.plain_leaf(leaf, plain):
                    if pending and pending[0] != leaf:
                        count += self.write_batch(part["ins"][str(pending[0])], user, pending[1:], pending[0])
                        pending = []
                    pending = pending or [leaf]
                    pending.append(row)
                    continue
                if pending:
                    count += self.write_batch(part["ins"][str(pending[0])], user, pending[1:], pending[0])
                    pending = []
                row = self.leaf_before_insert(rel, leaf, row)
                if row is None:
                    continue  # a BEFORE trigger of the partition skipped it
                found = None  # ON CONFLICT DO UPDATE: the row it would update, for the transition tables
                if keep is not None and part.get("find"):
                    sql = part["find"][str(leaf)][0]
                    found = self.conn.execute(sql, self.args_for(sql, user + row)).fetchone()
                try:
                    done = self.write_leaf(part["ins"][str(leaf)], user + row, ncol, leaf)
                except SqlError as err:
                    if part.get("upsert") and err.message.endswith("violates partition constraint"):
                        raise SqlError("0A000", "invalid ON UPDATE specification",
                                       detail="The result tuple would appear in a different partition than the "
                                              "original tuple.") from None
                    raise
                if found is not None:
                    if done[1]:  # updated (not skipped by DO UPDATE's WHERE): its new values
                        now = self.conn.execute(part["find"][str(leaf)][1], [found[0]]).fetchone()
                        keep.append((rel.oid, "U", tuple(found[1:]), tuple(now) if now else tuple(row)))
                elif keep is not None and done[1]:  # (ON CONFLICT DO NOTHING may write nothing)
                    keep.append((rel.oid, "I", None, tuple(row)))
                out += done[0]
                count += done[1]
            if pending:
                count += self.write_batch(part["ins"][str(pending[0])], user, pending[1:], pending[0])
            return out, count
        seen: set = set()
        cols = set(spec.get("cols") or ())
        for r in self.source_rows(spec, values):
            table, rowid = r[0], r[1]
            if (table, rowid) in seen:
                continue  # UPDATE ... FROM joining a row more than once changes it once
            seen.add((table, rowid))
            old = list(r[2:k + 2])
            if spec["k"] == "D":
                if self.leaf_before(rel, table, "DELETE", old, None, ()) is None:
                    continue
                done = self.write_sql(part["del"][str(table)], user + [rowid], ncol, table)
                if keep is not None and done[1] and table != rel.oid:
                    kids_keep.append((rel.oid, "D", tuple(old), None))
                out += done[0]
                count += done[1]
                continue
            new = list(r[k + 2:])
            got = self.leaf_before(rel, table, "UPDATE", old, new, cols)
            if got is None:
                continue
            if got is not True:
                new = got
            dest = self.route_row(spec, user, new, rel.oid) if part["tables"] else table
            if lv is not None:
                lv.writing = (table, rowid)  # its BEFORE triggers have run (exec.triggers)
            try:
                if dest == table:
                    done = self.write_leaf(part["upd"][str(table)], user + new + [rowid], ncol, table)
                else:  # the row moves: DELETE from its partition, INSERT into the other
                    if self.leaf_before(rel, table, "DELETE", old, None, ()) is None:
                        continue
                    moved = self.leaf_before_insert(rel, dest, new)
                    if moved is None:
                        continue
                    new = moved
                    self.write_sql(part["del"][str(table)], user + [rowid], 0, table)
                    done = self.write_leaf(part["ins"][str(dest)], user + new, ncol, dest)
            finally:
                if lv is not None:
                    lv.writing = None
            if keep is not None and done[1] and table != rel.oid:
                kids_keep.append((rel.oid, "U", tuple(old), tuple(new)))
            out += done[0]
            count += done[1]
        return out, count


__all__ = ["PartitionDml"]
