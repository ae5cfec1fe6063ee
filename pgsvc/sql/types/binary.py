"""Binary send/recv formats: binary_encoder(oid) / binary_decoder(oid)."""

from __future__ import annotations

from typing import Any
from collections.abc import Callable


def binary_encoder(oid: int) -> Callable[[Any], bytes]:
    raise NotImplementedError


def binary_decoder(oid: int) -> Callable[[bytes, int], Any]:
    raise NotImplementedError
