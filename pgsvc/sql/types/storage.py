"""Stored forms in SQLite: sqlite_adapter(oid) and the COLLATIONS they need."""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

COLLATIONS: dict[str, Callable[[str, str], int]] = {}


def sqlite_adapter(oid: int) -> tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]:
    return None, None
