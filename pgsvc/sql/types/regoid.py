"""RegOid: a reg* value (regclass, regtype, regproc, ...) on its way to the client.

A reg* value is an OID (its binary form is the OID), but its text output is a name
that only the backend's catalogs can give (regclassout prints 'pg_class', or
's.t' when the bare name would not find it). The engine resolves the name when it
fetches the row (pgsvc.sql.catalog.regtypes.output_converters) and hands the encoders an int
that also carries its text: binary encoders see the int, text_encoder prints `.text`.
"""

from __future__ import annotations


class RegOid(int):
    text: str

    def __new__(cls, oid: int, text: str) -> RegOid:
        obj = super().__new__(cls, oid)
        obj.text = text
        return obj


def reg_text(value) -> str:
    """The text output of a reg* Python value (a bare int prints as its number)."""
    return value.text if isinstance(value, RegOid) else str(int(value))
