"""Range and multirange types in the I/O dispatchers (textio, binary, storage): each is
handed its subtype's input/output function by the dispatcher and returns the type's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pgsvc.sql.types import multiranges as M
from pgsvc.sql.types import ranges as R


def is_range_like(oid: int) -> bool:
    return R.is_range(oid) or R.is_multirange(oid)


def subtype(oid: int) -> int:
    return R.subtype_of(oid)


def text_out(oid: int, sub_out: Callable[[Any], str]) -> Callable[[Any], str]:
    sub = R.work_subtype(oid)
    if R.is_range(oid):
        return lambda v: R.range_out(sub, v, sub_out)
    return lambda v: M.multirange_out(sub, v, sub_out)


def text_in(oid: int, sub_in: Callable[[str], Any]) -> Callable[[str], Any]:
    sub = R.work_subtype(oid)
    if R.is_range(oid):
        return lambda text: R.range_in(sub, text, sub_in)
    return lambda text: M.multirange_in(sub, text, sub_in)


def binary_out(oid: int, sub_send: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    sub = R.work_subtype(oid)
    if R.is_range(oid):
        return lambda v: R.range_send(sub, v, sub_send)
    return lambda v: M.multirange_send(sub, v, sub_send)


def binary_in(oid: int, sub_recv: Callable[[bytes, int], Any]) -> Callable[[bytes, int], Any]:
    sub = R.work_subtype(oid)
    if R.is_range(oid):
        return lambda data, typmod=-1: R.range_recv(sub, data, sub_recv)
    return lambda data, typmod=-1: M.multirange_recv(sub, data, sub_recv)


def _range_to_stored(v: Any) -> str:
    return v if isinstance(v, str) else R.to_stored(v)


def _multirange_to_stored(v: Any) -> str:
    return v if isinstance(v, str) else M.to_stored(v)


def sqlite_adapters(oid: int) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    if R.is_range(oid):
        return _range_to_stored, R.from_stored
    return _multirange_to_stored, M.from_stored


def collation(oid: int) -> str:
    return "pg_range" if R.is_range(oid) else "pg_multirange"


COLLATIONS = {"pg_range": R.collate_range, "pg_multirange": M.collate_multirange}
