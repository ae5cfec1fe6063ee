"""Assignment coercion to a typmod: apply_typmod(oid, value, typmod)."""

from __future__ import annotations

from typing import Any


def apply_typmod(oid: int, value: Any, typmod: int) -> Any:
    return value
