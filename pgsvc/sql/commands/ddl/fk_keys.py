"""The checks ATAddForeignKeyConstraint makes of a foreign key's columns before it exists:
both column lists name existing columns, the referenced ones are exactly the columns of a
primary key, unique constraint or unique index of the referenced table (in any order), the
lists have the same length, and each pair of columns has an equality operator PostgreSQL
would use (the referenced column's btree family, or an implicit cast to its type)."""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type

# btree operator families with cross-type equality (integer_ops, float_ops, datetime_ops, text)
_FAMILIES = (frozenset((O.INT2, O.INT4, O.INT8)), frozenset((O.FLOAT4, O.FLOAT8)),
             frozenset((O.DATE, O.TIMESTAMP, O.TIMESTAMPTZ)))


def _attnums(rel: C.Relation, names: list[str]) -> list[int]:
    out = []
    for n in names:
        a = rel.attr(n)
        if a is None:
            raise SqlError("42703", f'column "{n}" referenced in foreign key constraint does not exist')
        out.append(a.attnum)
    return out


def _unique_keys(parent: C.Relation) -> list[list[int]]:
    keys = [list(c.keys) for c in parent.constraints if c.contype in ("p", "u")]
    keys += [list(i.keys) for i in parent.indexes if i.unique and all(isinstance(k, int) for k in i.keys)]
    return keys


def _comparable(fk_type: int, pk_type: int) -> bool:
    if fk_type == pk_type or R.can_coerce_implicit(fk_type, pk_type):
        return True
    return any(fk_type in f and pk_type in f for f in _FAMILIES)


def check_foreign_key(rel: C.Relation, parent: C.Relation, name: str, fk_cols: list[str],
                      pk_cols: list[str] | None) -> list[str]:
    """The referenced columns (the primary key's when pk_cols is None), after PostgreSQL's
    checks in its order; raises their errors (42703, 42704, 42830, 42804)."""
    fk_nums = _attnums(rel, fk_cols)
    if pk_cols is None:
        pk = next((c for c in parent.constraints if c.contype == "p"), None)
        if pk is None:
            raise SqlError("42704", f'there is no primary key for referenced table "{parent.name}"')
        pk_nums = list(pk.keys)
        pk_cols = [parent.attr_by_num(k).name for k in pk_nums]
    else:
        pk_nums = _attnums(parent, pk_cols)
        if len(set(pk_nums)) != len(pk_nums):
            raise SqlError("42830", "foreign key referenced-columns list must not contain duplicates")
        if not any(len(k) == len(pk_nums) and set(k) == set(pk_nums) for k in _unique_keys(parent)):
            raise SqlError("42830", "there is no unique constraint matching given keys for referenced "
                                    f'table "{parent.name}"')
    if len(fk_nums) != len(pk_nums):
        raise SqlError("42830", "number of referencing and referenced columns for foreign key disagree")
    for fn, pn in zip(fk_nums, pk_nums):
        fa, pa = rel.attr_by_num(fn), parent.attr_by_num(pn)
        if not _comparable(fa.type_oid, pa.type_oid):
            raise SqlError("42804", f'foreign key constraint "{name}" cannot be implemented',
                           detail=f'Key columns "{fa.name}" and "{pa.name}" are of incompatible types: '
                                  f"{format_type(fa.type_oid, -1)} and {format_type(pa.type_oid, -1)}.")
    return pk_cols


def dependent_foreign_keys(cat: C.Catalog, rel: C.Relation, keys: list[int],
                           dropped: int) -> list[tuple[C.Relation, C.Constraint]]:
    """The foreign keys that reference rel through the unique key `keys` of the primary key,
    unique constraint or unique index being dropped (OID `dropped`: PostgreSQL records their
    dependency on its index), in the order they were made; none while another unique key of
    the same columns remains to carry them."""
    others = [list(c.keys) for c in rel.constraints if c.contype in ("p", "u") and dropped not in (c.oid, c.index_oid)]
    others += [list(i.keys) for i in rel.indexes if i.unique and i.oid != dropped
               and not any(c.index_oid == i.oid for c in rel.constraints)]
    if any(len(k) == len(keys) and set(k) == set(keys) for k in others):
        return []
    out = [(r, c) for r in cat.by_oid.values() for c in r.constraints
           if c.contype == "f" and c.frelid == rel.oid and len(c.fkeys) == len(keys) and set(c.fkeys) == set(keys)]
    return sorted(out, key=lambda rc: rc[1].oid)
