"""Text input/output dispatch: text_encoder(oid, ctx) / text_decoder(oid, ctx)."""

from __future__ import annotations

from typing import Any, Callable

from pgsvc.sql.types.context import FormatContext


def text_encoder(oid: int, ctx: FormatContext | None = None) -> Callable[[Any], str]:
    return str


def text_decoder(oid: int, ctx: FormatContext | None = None) -> Callable[[str, int], Any]:
    return lambda text, typmod=-1: text
