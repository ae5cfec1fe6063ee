"""The signature records (CastSig, OperSig, FuncSig) and the assembled catalogues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable


@dataclass(frozen=True, slots=True)
class CastSig:
    source_oid: int
    target_oid: int
    context: str  # 'i' implicit, 'a' assignment, 'e' explicit
    emit: str  # SQL template over the stored form, {0} = operand


@dataclass(frozen=True, slots=True)
class OperSig:
    name: str
    left_oid: int  # 0 for prefix operators
    right_oid: int
    ret_oid: int
    emit: str  # SQL template, {0} left, {1} right (prefix: {0} operand)
    exact: bool = False  # PostgreSQL's is polymorphic (anyrange @> anyelement): no implicit coercion


@dataclass(frozen=True, slots=True)
class FuncSig:
    name: str
    arg_oids: tuple
    ret_oid: int
    emit: str  # SQL template over the arguments {0}, {1}, ...; for 'set' see `generator`
    kind: str = "scalar"  # scalar | aggregate | window | set
    variadic_oid: int = 0  # element type of a VARIADIC last argument (0: not variadic)
    strict: bool = True
    volatility: str = "i"  # i immutable, s stable, v volatile
    generator: Callable[..., Any] | None = None  # 'set' functions: Python generator of rows


