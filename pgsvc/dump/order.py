"""Ordering objects so that each comes after what it needs: views after the relations
they read, table data after the tables its foreign keys point at (so a data-only dump
loads into a schema whose constraints already exist)."""

from __future__ import annotations

from collections.abc import Callable, Iterable


def dependency_order(items: list[int], needs: Callable[[int], Iterable[int]]) -> list[int]:
    """items in an order where each follows the items (of this list) it needs; otherwise
    the given order is kept. A cycle is broken where it is found (the caller's later
    steps — constraints added after the data — do not depend on the order then)."""
    wanted = set(items)
    placed: set[int] = set()
    visiting: set[int] = set()
    out: list[int] = []

    def visit(item: int) -> None:
        if item in placed or item in visiting:
            return
        visiting.add(item)
        for dep in sorted(needs(item)):
            if dep in wanted and dep != item:
                visit(dep)
        visiting.discard(item)
        placed.add(item)
        out.append(item)

    for item in items:
        visit(item)
    return out
