"""Declarative partitioning's DDL: CREATE TABLE ... PARTITION BY (the key), CREATE TABLE
... PARTITION OF (the bound, checked against the other partitions as partbounds.c's
check_new_partition_bound does), ALTER TABLE ... ATTACH / DETACH PARTITION, and what a
partition takes from its parent (CHECK constraints, unique indexes).

What is stored and the constraint texts: pgsvc.sql.catalog.partitions. A leaf's SQLite
table carries its partition constraint as a CHECK (sqlite_schema.table_sql); a
partitioned table's own SQLite table stays empty.
"""

from __future__ import annotations

import functools

import pglast
from pglast import ast, enums
from pglast.parser import scan

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl.node_text import source_text
from pgsvc.sql.commands.ddl.partition_attach import PartitionAttachDdl, check_persistence
from pgsvc.sql.commands.ddl.partition_index_attach import PartitionIndexDdl
from pgsvc.sql.commands.ddl.sqlite_schema import check_sql
from pgsvc.sql.functions.partition_hash import HASHABLE
from pgsvc.sql.pg_functions.describe import get_expr
from pgsvc.sql.pg_functions.describe import indexdef as describe_indexdef
from pgsvc.sql.quoting import quote_ident, quote_sqlite_ident
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.names import ColInfo, RangeEntry
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type

_STRATEGIES = {"range": "r", "list": "l", "hash": "h", "r": "r", "l": "l", "h": "h"}
_STRATEGY_WORDS = {"r": "range", "l": "list", "h": "hash"}
_DEFAULT_OPCLASSES = {"int2_ops", "int4_ops", "int8_ops", "text_ops", "varchar_ops", "numeric_ops", "date_ops",
                      "timestamp_ops", "timestamptz_ops", "bool_ops", "float4_ops", "float8_ops", "bpchar_ops",
                      "oid_ops", "name_ops", "uuid_ops", "interval_ops", "time_ops"}
# types without a btree (or hash) operator class in PostgreSQL 15
_NO_BTREE = {O.JSON, O.XML, 600, 601, 602, 603, 604, 628, 718}


class PartitionDdl(PartitionAttachDdl, PartitionIndexDdl):
    """Methods of pgsvc.sql.commands.ddl.Ddl."""

    # --- the key ----------------------------------------------------------------------------

    def partition_key(self, rel, spec: ast.PartitionSpec) -> dict:
        strategy = _STRATEGIES[str(spec.strategy).lower()]
        params = spec.partParams or ()
        if strategy == "l" and len(params) > 1:
            raise SqlError("42P16", 'cannot use "list" partition strategy with more than one column')
        keys, types = [], []
        for p in params:
            if p.opclass and p.opclass[-1].sval not in _DEFAULT_OPCLASSES and strategy != "h":
                # another operator class orders differently: rows would go elsewhere
                self.opclass_named([n.sval for n in p.opclass], "btree")  # (ddl.opclasses: 42704 if none)
                raise SqlError("0A000", f'operator class "{p.opclass[-1].sval}" in a partition key is not supported')
            if p.name is not None:
                a = rel.attr(p.name)
                if a is None:
                    raise SqlError("42703", f'column "{p.name}" named in partition key does not exist',
                                   position=location(p))
                if a.generated:
                    raise SqlError("42P17", "cannot use generated column in partition key",
                                   detail=f'Column "{a.name}" is a generated column.', position=location(p))
                keys.append({"attnum": a.attnum})
                typ = (a.type_oid, a.typmod)
            else:
                tr = self.row_translator(rel)
                ex = tr.expr(p.expr)
                text = get_expr(self.engine, source_text(p.expr), rel.oid, False)
                keys.append({"expr": text})
                typ = (ex.oid, -1)
            if typ[0] in _NO_BTREE:
                am = "hash" if strategy == "h" else "btree"
                raise SqlError("42704", f'data type {format_type(typ[0], -1)} has no default operator class for '
                               f'access method "{am}"',
                               hint=f"You must specify a {am} operator class or define a default {am} operator "
                                    "class for the data type.")
            if p.opclass and p.opclass[-1].sval not in _DEFAULT_OPCLASSES:  # a user hash class (ddl.opclasses)
                c = self.opclass_named([n.sval for n in p.opclass], "hash")
                if c.intype != typ[0]:
                    raise SqlError("42804", f'operator class "{c.name}" does not accept data type '
                                   f"{format_type(typ[0], -1)}")
                keys[-1].update({"opclass": c.oid, "opcname": c.name, "hashproc": c.hashproc})
                r = self.cat.routines.get(c.hashfn) if c.hashproc == 2 else None
                if r is not None:
                    keys[-1].update({"hashfn": r.oid, "hashfn_name": f"{quote_ident(r.schema)}.{quote_ident(r.name)}"})
            elif strategy == "h" and typ[0] not in HASHABLE:
                raise SqlError("0A000", f"hash partitioning on type {format_type(typ[0], -1)} is not supported")
            types.append(list(typ))
        return {"strategy": strategy, "keys": keys, "types": types}

    def row_translator(self, rel, prefix: str = "") -> Translator:
        tr = Translator(self.engine, self.cat, [])
        tr.scope.add(RangeEntry(rel.name, [ColInfo(a.name, a.type_oid, a.typmod, prefix + quote_sqlite_ident(a.name))
                                           for a in rel.attrs]))
        return tr

    # --- PARTITION OF -----------------------------------------------------------------------

    def partition_parent(self, rv, schema: str | None = None):
        tr = Translator(self.engine, self.cat, [])
        parent = tr.relation(rv)
        if P.partkey(parent) is None:
            raise SqlError("42809", f'"{parent.name}" is not partitioned')
        authz(self.engine).check_owner(parent)
        if schema is not None:
            check_persistence("create", parent, schema.startswith("pg_temp_"))
        return parent

    def partition_column(self, attrs: list, cd: ast.ColumnDef, cons: list) -> None:
        """A column of PARTITION OF (...): only its default and constraints."""
        a = next((x for x in attrs if x.name == cd.colname), None)
        if a is None:
            raise SqlError("42703", f'column "{cd.colname}" does not exist')
        ct = enums.ConstrType
        for con in cd.constraints or ():
            if con.contype == ct.CONSTR_NOTNULL:
                a.notnull = True
            elif con.contype == ct.CONSTR_DEFAULT:
                a.default = source_text(con.raw_expr)
            elif con.contype == ct.CONSTR_PRIMARY:
                a.notnull = True
                cons.append((cd.colname, con))
            elif con.contype in (ct.CONSTR_UNIQUE, ct.CONSTR_CHECK, ct.CONSTR_FOREIGN):
                cons.append((cd.colname, con))

    def partition_bound(self, parent, spec: ast.PartitionBoundSpec, name: str, skip=None) -> dict:
        """The bound of a new partition `name` of parent, checked (check_new_partition_bound)."""
        key = P.partkey(parent)
        strategy = key["strategy"]
        pos = location(spec)
        others = [p for p in P.partitions_of(self.cat, parent) if p.oid != skip]
        if spec.is_default:
            if strategy == "h":
                raise SqlError("42P16", "a hash-partitioned table may not have a default partition")
            d = next((p for p in others if P.bound(p)["kind"] == "d"), None)
            if d is not None:
                raise SqlError("42P17", f'partition "{name}" conflicts with existing default partition "{d.name}"',
                               position=pos)
            return {"kind": "d"}
        if str(spec.strategy) != strategy:
            raise SqlError("42P16", f"invalid bound specification for a {_STRATEGY_WORDS[strategy]} partition",
                           position=pos)
        if strategy == "h":
            for k, (t, _) in zip(key["keys"], key["types"]):
                if k.get("opclass") and not k.get("hashfn"):  # a user class without FUNCTION 2
                    raise SqlError("XX000", f'operator class "{k["opcname"]}" of access method hash is missing '
                                   f"support function 2 for type {format_type(t, -1)}")
            return self.hash_bound(spec, name, others, pos)
        if strategy == "l":
            return self.list_bound(parent, key, spec, name, others)
        return self.range_bound(parent, key, spec, name, others)

    def datum_positions(self, spec, lists: int) -> list[list[int]]:
        """Where each datum of a bound's parenthesized lists starts (1-based), read from the
        statement's text: pglast gives constants no location."""
        text, loc = getattr(self, "stmt_text", None), location(spec)
        out: list[list[int]] = []
        if not text or loc is None:
            return out
        depth, expect = 0, False
        try:
            tokens = scan(text[loc - 1:])
        except Exception:  # noqa: BLE001 - no positions then, the errors stand
            return out
        for tok in tokens:
            if tok.name == "ASCII_40":
                depth += 1
                if depth == 1:
                    out.append([])
                    expect = True
                    continue
            elif tok.name == "ASCII_41":
                depth -= 1
                if depth == 0 and len(out) >= lists:
                    break
                continue
            elif depth == 1 and tok.name == "ASCII_44":
                expect = True
                continue
            if depth >= 1 and expect:
                out[-1].append(loc + tok.start)
                expect = False
        return out

    def bound_value(self, parent, key, i: int, node, pos=None) -> str | None:
        try:
            return self.bound_value_at(parent, key, i, node)
        except SqlError as err:
            if err.position is None:
                err.position = pos
            raise

    def bound_value_at(self, parent, key, i: int, node) -> str | None:
        """A bound expression evaluated in the key's type: its text output (None for NULL)."""
        if _has_column_ref(node):
            ref = _column_ref(node)
            raise SqlError("42P17", "cannot use column reference in partition bound expression",
                           position=location(ref))
        oid, typmod = key["types"][i]
        tr = Translator(self.engine, self.cat, [])
        ex = tr.coerce(tr.expr(node), oid, typmod, "a")
        text = tr.coerce(ex, O.TEXT, -1, "e")
        row = self.conn.execute(f"SELECT {text.sql}").fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def compare(self, key, i: int, a: str, b: str) -> int:
        oid, typmod = key["types"][i]
        x, y = P.const_text(a, oid, typmod), P.const_text(b, oid, typmod)
        node = pglast.parse_sql(f"SELECT CASE WHEN {x} < {y} THEN -1 WHEN {x} = {y} THEN 0 ELSE 1 END")[0] \
            .stmt.targetList[0].val
        tr = Translator(self.engine, self.cat, [])
        return int(self.conn.execute(f"SELECT {tr.expr(node).sql}").fetchone()[0])

    def list_bound(self, parent, key, spec, name: str, others) -> dict:
        values: list = []
        where = (self.datum_positions(spec, 1) or [[]])[0]
        for at, node in enumerate(spec.listdatums or ()):
            pos = location(node) or (where[at] if at < len(where) else None)
            v = self.bound_value(parent, key, 0, node, pos)
            if any(v == w or (v is not None and w is not None and self.compare(key, 0, v, w) == 0) for w in values):
                continue
            for p in others:
                b = P.bound(p)
                if b["kind"] != "l":
                    continue
                for w in b["values"]:
                    if (v is None and w is None) or (v is not None and w is not None and
                                                      self.compare(key, 0, v, w) == 0):
                        raise SqlError("42P17", f'partition "{name}" would overlap partition "{p.name}"',
                                       position=pos)
            values.append(v)
        return {"kind": "l", "values": values}

    def range_datums(self, parent, key, nodes, word: str, where: list) -> list:
        if len(nodes or ()) != len(key["keys"]):
            raise SqlError("42P16", f"{word} must specify exactly one value per partitioning column")
        out = []
        for i, node in enumerate(nodes):
            pos = location(node) or (where[i] if i < len(where) else None)
            if out and "k" in out[-1] and not (isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and
                                                getattr(node.fields[0], "sval", None) ==
                                                ("minvalue" if out[-1]["k"] == "min" else "maxvalue")):
                word = "MINVALUE" if out[-1]["k"] == "min" else "MAXVALUE"
                raise SqlError("42P16", f"every bound following {word} must also be {word}", position=pos)
            if isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and \
                    isinstance(node.fields[0], ast.String) and node.fields[0].sval in ("minvalue", "maxvalue"):
                out.append({"k": node.fields[0].sval[:3]})
                continue
            v = self.bound_value(parent, key, i, node, pos)
            if v is None:
                raise SqlError("42P16", "cannot specify NULL in range bound")
            out.append({"v": v})
        return out

    def compare_datums(self, key, a: list, b: list) -> int:
        """partition_rbound_cmp for two bounds of the same kind (MINVALUE < value < MAXVALUE)."""
        rank = {"min": -1, "max": 1}
        for i, (x, y) in enumerate(zip(a, b)):
            if "k" in x or "k" in y:
                rx, ry = rank.get(x.get("k"), 0), rank.get(y.get("k"), 0)
                if rx != ry:
                    return -1 if rx < ry else 1
                return 0  # both infinite alike: the rest does not matter
            c = self.compare(key, i, x["v"], y["v"])
            if c:
                return c
        return 0

    def range_bound(self, parent, key, spec, name: str, others) -> dict:
        where = self.datum_positions(spec, 2) + [[], []]
        lo = self.range_datums(parent, key, spec.lowerdatums, "FROM", where[0])
        hi = self.range_datums(parent, key, spec.upperdatums, "TO", where[1])
        first = (location(spec.lowerdatums[0]) or (where[0][0] if where[0] else None),
                 location(spec.upperdatums[0]) or (where[1][0] if where[1] else None))
        lo, hi = _after_infinite(lo), _after_infinite(hi)
        if self.compare_datums(key, lo, hi) >= 0:
            b = P.bound_text(parent, {"kind": "r", "from": lo, "to": hi})
            low, up = b[len("FOR VALUES FROM "):].split(" TO ")
            raise SqlError("42P17", f'empty range bound specified for partition "{name}"',
                           detail=f"Specified lower bound {low} is greater than or equal to upper bound {up}.",
                           position=first[0])
        self.check_range_overlap(key, [p for p in others if P.bound(p)["kind"] == "r"], lo, hi, name, where)
        return {"kind": "r", "from": lo, "to": hi}

    def rbound_cmp(self, key, d1: list, lower1: bool, d2: list, lower2: bool) -> int:
        """partbounds.c's partition_rbound_cmp: <0, 0, >0 as d1 sorts before, with or after
        d2, its magnitude the column where they differ (1-based)."""
        rank = {"min": -1, "max": 1}
        colnum, cmp = 0, 0
        for i in range(len(d1)):
            colnum += 1
            k1, k2 = rank.get(d1[i].get("k"), 0), rank.get(d2[i].get("k"), 0)
            if k1 != k2:
                return -colnum if k1 < k2 else colnum
            if k1:
                break
            cmp = self.compare(key, i, d1[i]["v"], d2[i]["v"])
            if cmp:
                break
        if cmp == 0 and lower1 != lower2:
            cmp = 1 if lower1 else -1
        return 0 if cmp == 0 else (-colnum if cmp < 0 else colnum)

    def check_range_overlap(self, key, parts: list, lo: list, hi: list, name: str, where: list) -> None:
        """check_new_partition_bound over the existing range bounds as partition_bounds_create
        sorts them, with its binary search: the error names the partition and points at the
        datum PostgreSQL points at."""
        bounds = [(P.bound(p)["from"], True, None) for p in parts] + [(P.bound(p)["to"], False, p) for p in parts]
        bounds.sort(key=functools.cmp_to_key(lambda a, b: self.rbound_cmp(key, a[0], a[1], b[0], b[1])))
        datums, indexes = [], []
        for d, _lower, part in bounds:
            if datums and self.rbound_cmp(key, datums[-1], True, d, True) == 0:
                if part is not None:
                    indexes[-1] = part
                continue
            datums.append(d)
            indexes.append(part)
        indexes.append(None)
        if not datums:
            return
        lo_pos, hi_pos = where[0], where[1]
        hi_ = len(datums) - 1
        lo_, cmpval = -1, 0
        while lo_ < hi_:
            mid = (lo_ + hi_ + 1) // 2
            cmpval = self.rbound_cmp(key, datums[mid], indexes[mid] is None, lo, True)
            if cmpval <= 0:
                lo_ = mid
                if cmpval == 0:
                    break
            else:
                hi_ = mid - 1
        offset = lo_
        at, other = None, None
        if indexes[offset + 1] is None:
            if offset + 1 < len(datums):
                c = self.rbound_cmp(key, datums[offset + 1], indexes[offset + 1] is None, hi, False)
                if c < 0:
                    at = hi_pos[abs(c) - 1] if abs(c) - 1 < len(hi_pos) else None
                    other = indexes[offset + 2] if offset + 2 < len(indexes) else None
        else:
            i = abs(cmpval) - 1
            at, other = (lo_pos[i] if 0 <= i < len(lo_pos) else None), indexes[offset + 1]
        if other is not None:
            raise SqlError("42P17", f'partition "{name}" would overlap partition "{other.name}"', position=at)

    def hash_bound(self, spec, name: str, others, pos) -> dict:
        mod, rem = spec.modulus, spec.remainder
        if mod is None or mod <= 0:
            raise SqlError("42P16", "modulus for hash partition must be an integer value greater than zero")
        if rem is None or rem < 0:
            raise SqlError("42P16", "remainder for hash partition must be an integer value greater than or equal "
                           "to zero")
        if rem >= mod:
            raise SqlError("42P16", "remainder for hash partition must be less than modulus")
        for p in sorted(others, key=lambda r: P.bound(r).get("mod", 0)):
            b = P.bound(p)
            if b["kind"] != "h":
                continue
            m = b["mod"]
            if m > mod and m % mod:
                raise SqlError("42P17", "every hash partition modulus must be a factor of the next larger modulus",
                               detail=f'The new modulus {mod} is not a factor of {m}, the modulus of existing '
                                      f'partition "{p.name}".')
            if m < mod and mod % m:
                raise SqlError("42P17", "every hash partition modulus must be a factor of the next larger modulus",
                               detail=f'The new modulus {mod} is not divisible by {m}, the modulus of existing '
                                      f'partition "{p.name}".')
        for p in others:
            b = P.bound(p)
            if b["kind"] == "h" and rem % min(mod, b["mod"]) == b["rem"] % min(mod, b["mod"]):
                raise SqlError("42P17", f'partition "{name}" would overlap partition "{p.name}"', position=pos)
        return {"kind": "h", "mod": mod, "rem": rem}

    # --- after the partition's table exists -------------------------------------------------------

    def partition_created(self, rel, parent) -> None:
        """A new partition (CREATE ... PARTITION OF or ATTACH): the parent's CHECK constraints
        and unique indexes on it, and the default partition's rows checked and its constraint
        renewed."""
        self.inherit_from_parent(rel, parent)
        self.clone_row_triggers(rel, parent)  # pgsvc.sql.commands.ddl.trigger_clones
        self.renew_default(parent, rel)

    def inherit_from_parent(self, rel, parent) -> None:
        for con in parent.constraints:
            rel = self.cat.by_oid[rel.oid]
            if con.contype == "c" and not any(c.contype == "c" and c.name == con.name for c in rel.constraints):
                C.insert_constraint(self.conn, C.Constraint(C.new_oid(self.conn), con.name, "c", rel.oid, [], con.expr))
                self.refresh()
                self.rebuild(self.cat.by_oid[rel.oid])
            elif con.contype in ("p", "u"):
                self.index_on_partition(rel, parent, con)
            elif con.contype == "f" and not any(c.contype == "f" and c.name == con.name for c in rel.constraints):
                self.fk_on_partition(rel, parent, con)
        for ix in parent.indexes:  # the parent's indexes that back no constraint
            if any(c.index_oid == ix.oid for c in parent.constraints):
                continue
            rel = self.cat.by_oid[rel.oid]
            if any(self.cat.by_oid[i.oid].options.get("parent_index") == ix.oid for i in rel.indexes):
                continue
            node = pglast.parse_sql(describe_indexdef(self.engine, ix.oid, 0, False))[0].stmt
            self.partition_index(rel, node, ix.oid)

    def fk_on_partition(self, rel, parent, con) -> None:
        """A partitioned table's foreign key on a partition (SQLite checks it there, where
        the rows are), under the same name as PostgreSQL clones it."""
        ref = self.cat.by_oid[con.frelid]
        node = ast.Constraint(contype=enums.ConstrType.CONSTR_FOREIGN, conname=con.name,
                              pktable=ast.RangeVar(schemaname=ref.schema, relname=ref.name, inh=True,
                                                   relpersistence="p"),
                              fk_attrs=tuple(ast.String(sval=parent.attr_by_num(k).name) for k in con.keys),
                              pk_attrs=tuple(ast.String(sval=ref.attr_by_num(k).name) for k in con.fkeys),
                              fk_upd_action=con.on_update, fk_del_action=con.on_delete, fk_matchtype="s")
        self.add_foreign_key(self.cat.by_oid[rel.oid], node, None)
        self.refresh()

    def index_on_partition(self, rel, parent, con) -> None:
        names = [parent.attr_by_num(k).name for k in con.keys]
        rel = self.cat.by_oid[rel.oid]
        attnums = [rel.attr(n).attnum for n in names]
        same = next((ix for ix in rel.indexes if ix.unique and all(isinstance(k, int) for k in ix.keys)
                     and sorted(ix.keys) == sorted(attnums)), None)
        if same is not None:  # the partition's own key of the same columns is attached
            if not self.cat.by_oid[same.oid].options.get("parent_index") and con.index_oid:
                C.set_relation_option(self.conn, same.oid, "parent_index", con.index_oid)
                self.refresh()
            return
        if con.contype == "p" and any(c.contype == "p" for c in rel.constraints):
            raise SqlError("42P16", f'multiple primary keys for table "{rel.name}" are not allowed')
        ddl = ast.Constraint(contype=enums.ConstrType.CONSTR_PRIMARY if con.contype == "p" else
                             enums.ConstrType.CONSTR_UNIQUE, keys=tuple(ast.String(sval=n) for n in names))
        before = {ix.oid for ix in rel.indexes}
        self.add_constraint(rel, ddl, None)
        self.refresh()
        self.mark_index_partition(self.cat.by_oid[rel.oid], before, con.index_oid)

    def mark_index_partition(self, rel, before: set, parent_index: int) -> None:
        """The index just made on partition rel is a partition of parent_index (pg_inherits,
        relispartition, as PostgreSQL links a partitioned index to its partitions')."""
        for ix in rel.indexes:
            if ix.oid not in before and parent_index:
                C.set_relation_option(self.conn, ix.oid, "parent_index", parent_index)
        self.refresh()

    def index_on_partitions(self, rel, node: ast.IndexStmt, parent_index: int) -> None:
        """CREATE INDEX on a partitioned table: the same index on each partition, named as
        PostgreSQL names it there (ChooseRelationName)."""
        for p in P.partitions_of(self.cat, rel):
            self.partition_index(p, node, parent_index)

    def partition_index(self, p, node: ast.IndexStmt, parent_index: int) -> None:
        p = self.cat.by_oid[p.oid]
        before = {ix.oid for ix in p.indexes}
        child = ast.IndexStmt(relation=ast.RangeVar(schemaname=p.schema, relname=p.name, inh=True,
                                                    relpersistence="p"),
                              accessMethod=node.accessMethod, indexParams=node.indexParams,
                              indexIncludingParams=node.indexIncludingParams, whereClause=node.whereClause,
                              unique=node.unique, idxname=None)
        self.create_index(child)
        self.refresh()
        p = self.cat.by_oid[p.oid]
        new = next((ix.oid for ix in p.indexes if ix.oid not in before), 0)
        if new:
            C.set_relation_option(self.conn, new, "parent_index", parent_index)
            self.refresh()

    def renew_default(self, parent, new) -> None:
        """Adding a partition narrows the default partition: its rows must not belong to the
        new one, and its CHECK is rebuilt."""
        d = next((p for p in P.partitions_of(self.cat, parent) if P.bound(p)["kind"] == "d" and p.oid != new.oid),
                 None)
        if d is None:
            return
        quals = P.own_quals(self.cat, self.cat.by_oid[new.oid], plain=True)
        targets = P.leaves(self.cat, d) if P.partkey(d) is not None else [d]
        for leaf in targets:
            if quals:
                cond = check_sql(leaf, " AND ".join(quals), self.engine)
                if self.conn.execute(f"SELECT 1 FROM {quote_sqlite_ident(leaf.sqlite_name)} WHERE {cond} LIMIT 1") \
                        .fetchone():
                    raise SqlError("23514", f'updated partition constraint for default partition "{d.name}" would be '
                                   "violated by some row")
        self.rebuild_default(parent)

    def rebuild_default(self, parent) -> None:
        """The default partition's leaves rebuilt with its renewed constraint."""
        parent = self.cat.by_oid.get(parent.oid)
        d = next((p for p in P.partitions_of(self.cat, parent) if P.bound(p)["kind"] == "d"), None) \
            if parent is not None else None
        if d is None:
            return
        for leaf in ([d] + P.subtree(self.cat, d)):
            self.rebuild(self.cat.by_oid[leaf.oid])

    def check_unique_covers_key(self, rel, keys: list[str], primary: bool) -> None:
        """A unique constraint on a partitioned table must include every key column."""
        key = P.partkey(rel)
        if key is None:
            return
        for k in key["keys"]:
            if "attnum" not in k:
                raise SqlError("0A000", "unsupported UNIQUE constraint with partition key definition",
                               detail=f'{"PRIMARY KEY" if primary else "UNIQUE"} constraints cannot be used when '
                                      "partition keys include expressions.")
            col = rel.attr_by_num(k["attnum"]).name
            if col not in keys:
                raise SqlError("0A000", "unique constraint on partitioned table must include all partitioning columns",
                               detail=f'{"PRIMARY KEY" if primary else "UNIQUE"} constraint on table "{rel.name}" '
                                      f'lacks column "{col}" which is part of the partition key.')

    def propagate_constraint(self, rel, con_name: str) -> None:
        """A constraint added to a partitioned table, on each of its partitions."""
        rel = self.cat.by_oid[rel.oid]
        con = next((c for c in rel.constraints if c.name == con_name), None)
        if con is None or P.partkey(rel) is None or self.skip_key_propagation and con.contype in ("p", "u"):
            return
        for p in P.partitions_of(self.cat, rel):
            if con.contype in ("c", "f"):
                self.inherit_from_parent(p, rel)
            elif con.contype in ("p", "u"):
                self.index_on_partition(p, rel, con)
            p = self.cat.by_oid[p.oid]
            if P.partkey(p) is not None:
                self.propagate_constraint(p, con_name)


def _after_infinite(ds: list) -> list:
    """Datums after MINVALUE/MAXVALUE are immaterial (PostgreSQL 15 keeps them as written)."""
    return ds


def _has_column_ref(node) -> bool:
    return _column_ref(node) is not None


def _column_ref(node):
    if isinstance(node, ast.ColumnRef):
        return node
    if isinstance(node, ast.Node):
        for k in node.__slots__:
            got = _column_ref(getattr(node, k))
            if got is not None:
                return got
    elif isinstance(node, (list, tuple)):
        for x in node:
            got = _column_ref(x)
            if got is not None:
                return got
    return None
