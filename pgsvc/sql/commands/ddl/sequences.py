"""CREATE SEQUENCE and ALTER SEQUENCE (the options of an identity column's sequence too).
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl.node_text import option_value
from pgsvc.sql.translate.typenames import type_from_typename
from pgsvc.sql.types import oids as O


class SequenceDdl:
    """CREATE/ALTER SEQUENCE: methods of pgsvc.sql.commands.ddl.Ddl."""

    def create_sequence(self, node: ast.CreateSeqStmt) -> None:
        rv = node.sequence
        schema = self.schema_of(rv)
        if C.relation_name_taken(self.cat, schema, rv.relname):
            if node.if_not_exists:
                self.notice(f'relation "{rv.relname}" already exists, skipping')
                return
            raise SqlError("42P07", f'relation "{rv.relname}" already exists')
        opts = self.sequence_options(node.options or ())
        oid = C.insert_relation(self.conn, self.cat, schema, rv.relname, "S",
                                {"persistence": "u"} if rv.relpersistence == "u" else None,
                                sqlite_name="", owner=self.creator())
        C.insert_sequence(self.conn, oid, opts["typ"], opts["start"], opts["inc"], opts["min"], opts["max"],
                          opts["cycle"])
        owned = [d for d in node.options or () if d.defname == "owned_by"]
        if owned:
            self.refresh()
            self.sequence_owned_by(self.cat.by_oid[oid], owned[-1].arg)
        self.refresh()

    def sequence_owned_by(self, seq, arg) -> None:
        """OWNED BY table.column | NONE, with PostgreSQL's checks (process_owned_by)."""
        names = [n.sval for n in arg]
        if len(names) == 1:
            if names[0] != "none":
                raise SqlError("42601", "invalid OWNED BY option",
                               hint="Specify OWNED BY table.column or OWNED BY NONE.")
            C.set_sequence_owner(self.conn, seq.oid, None, None)
            return
        rel = self.find(names[:-1])
        if rel is None:
            raise SqlError("42P01", f'relation "{".".join(names[:-1])}" does not exist')
        if rel.kind not in ("r", "p", "f", "v"):  # PostgreSQL 15 accepts a view's column
            raise SqlError("42809", f'sequence cannot be owned by relation "{rel.name}"')
        if rel.owner != seq.owner:
            raise SqlError("55000", "sequence must have same owner as table it is linked to")
        if rel.schema != seq.schema:
            raise SqlError("55000", "sequence must be in same schema as table it is linked to")
        att = next((a for a in rel.attrs if a.name == names[-1]), None)
        if att is None:
            raise SqlError("42703", f'column "{names[-1]}" of relation "{rel.name}" does not exist')
        C.set_sequence_owner(self.conn, seq.oid, rel.oid, att.attnum)

    def sequence_options(self, options, typ: int | None = None) -> dict:
        """CREATE SEQUENCE's options (an identity column's too: `typ` is the column's type)."""
        o = {"typ": typ or O.INT8, "inc": 1, "cycle": False, "start": None, "min": None, "max": None}
        for d in options:
            v = option_value(d.arg)
            if d.defname == "as":
                o["typ"] = type_from_typename(d.arg)[0]
            elif d.defname == "increment":
                o["inc"] = int(v)
            elif d.defname in ("minvalue", "maxvalue"):
                o[d.defname[:3]] = int(v) if v is not None else None
            elif d.defname == "start":
                o["start"] = int(v)
            elif d.defname == "cycle":
                o["cycle"] = bool(v)
            elif d.defname in ("cache", "owned_by", "restart"):
                pass
            else:
                raise SqlError("0A000", f"sequence option {d.defname} is not supported")
        if o["inc"] == 0:
            raise SqlError("22023", "INCREMENT must not be zero")
        hi = {O.INT2: 32767, O.INT4: 2147483647}.get(o["typ"], 2**63 - 1)
        if o["min"] is None:
            o["min"] = 1 if o["inc"] > 0 else -hi - 1
        if o["max"] is None:
            o["max"] = hi if o["inc"] > 0 else -1
        if o["start"] is None:
            o["start"] = o["min"] if o["inc"] > 0 else o["max"]
        return o

    def alter_sequence(self, node: ast.AlterSeqStmt) -> None:
        rel = self.find([x for x in (node.sequence.schemaname, node.sequence.relname) if x])
        if rel is None or rel.kind != "S":
            if node.missing_ok:
                self.notice(f'relation "{node.sequence.relname}" does not exist, skipping')
                return
            raise SqlError("42P01", f'relation "{node.sequence.relname}" does not exist')
        authz(self.engine).check_owner(rel)
        for d in node.options or ():
            v = option_value(d.arg)
            if d.defname == "restart":
                C.restart_sequence(self.conn, rel.oid, v)
            elif d.defname == "increment":
                C.set_sequence_option(self.conn, rel.oid, "increment", int(v))
            elif d.defname in ("start", "minvalue", "maxvalue"):
                col = {"start": "start", "minvalue": "minvalue", "maxvalue": "maxvalue"}[d.defname]
                C.set_sequence_option(self.conn, rel.oid, col, int(v))
            elif d.defname == "owned_by":
                self.sequence_owned_by(rel, d.arg)
            elif d.defname in ("cache", "cycle"):
                pass
            else:
                raise SqlError("0A000", f"ALTER SEQUENCE option {d.defname} is not supported")
        self.refresh()
