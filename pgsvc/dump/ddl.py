"""The SQL text of each object in the dump, from what introspect.py read. Statements are
written as pg_dump writes them (schema-qualified names, one clause per line where
pg_dump breaks lines), so a diff against a pg_dump of the same schema is small."""

from __future__ import annotations

from pgsvc.dump.introspect import Column, Constraint, Relation, Schema, Sequence, UserType
from pgsvc.dump.quoting import quote_literal
from pgsvc.sql.quoting import quote_ident, quote_qualified

# the bounds a sequence of each type has when MINVALUE/MAXVALUE are not given
TYPE_MAX = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}

OWNER_KEYWORD = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE",
                 "f": "FOREIGN TABLE"}


def rel_name(rel: Relation) -> str:
    return quote_qualified(rel.schema, rel.name)


def create_schema(schema: Schema) -> str:
    return f"CREATE SCHEMA {quote_ident(schema.name)};"


def type_name(t: UserType) -> str:
    return quote_qualified(t.schema, t.name)


def type_keyword(t: UserType) -> str:
    return "DOMAIN" if t.kind == "d" else "TYPE"


def create_type(t: UserType) -> str:
    """CREATE TYPE ... AS ENUM or CREATE DOMAIN, laid out as pg_dump lays them out."""
    if t.kind == "c":
        return f"CREATE TYPE {type_name(t)} AS (\n" + ",\n".join("\t" + a for a in t.attributes) + "\n);"
    if t.kind == "r":
        return f"CREATE TYPE {type_name(t)} AS RANGE (\n" + ",\n".join("    " + o for o in t.range_options) + "\n);"
    if t.kind == "e":
        labels = ",\n".join("    " + quote_literal(label) for label in t.labels)
        return f"CREATE TYPE {type_name(t)} AS ENUM (\n{labels}\n);"
    text = f"CREATE DOMAIN {type_name(t)} AS {t.base}"
    if t.not_null:
        text += " NOT NULL"
    if t.default is not None:
        text += f" DEFAULT {t.default}"
    for k in t.checks:
        text += f"\n\tCONSTRAINT {quote_ident(k.name)} {k.definition}"
    return text + ";"


def sequence_options(seq: Sequence, indent: str, with_type: bool) -> list[str]:
    """START/INCREMENT/MIN/MAX/CACHE/CYCLE, NO MINVALUE/NO MAXVALUE where the bound is the
    default one for the type and direction."""
    type_max = TYPE_MAX.get(seq.type, TYPE_MAX["bigint"])
    ascending = seq.increment > 0
    default_min, default_max = (1, type_max) if ascending else (-type_max - 1, -1)
    lines = []
    if with_type and seq.type != "bigint":
        lines.append(f"AS {seq.type}")
    lines.append(f"START WITH {seq.start}")
    lines.append(f"INCREMENT BY {seq.increment}")
    lines.append("NO MINVALUE" if seq.minimum == default_min else f"MINVALUE {seq.minimum}")
    lines.append("NO MAXVALUE" if seq.maximum == default_max else f"MAXVALUE {seq.maximum}")
    lines.append(f"CACHE {seq.cache}")
    if seq.cycle:
        lines.append("CYCLE")
    return [indent + line for line in lines]


def create_sequence(rel: Relation) -> str:
    body = "\n".join(sequence_options(rel.sequence, "    ", with_type=True))
    unlogged = "UNLOGGED " if rel.persistence == "u" else ""
    return f"CREATE {unlogged}SEQUENCE {rel_name(rel)}\n{body};"


def create_table(rel: Relation, identity_seqs: dict[str, Relation]) -> str:
    """CREATE [UNLOGGED] TABLE with columns, defaults, NOT NULL, identity (with its
    sequence's name and options) and the validated CHECK constraints: those hold for the
    data being loaded, so they are made with the table as pg_dump makes them."""
    lines = [_column(col, identity_seqs.get(col.name)) for col in rel.columns]
    lines += [f"CONSTRAINT {quote_ident(k.name)} {k.definition}"
              for k in rel.constraints if inline_check(k)]
    unlogged = "UNLOGGED " if rel.persistence == "u" else ""
    body = ",\n".join("    " + line for line in lines)
    options = f"\nWITH ({', '.join(rel.options)})" if rel.options else ""
    partition_by = f"\nPARTITION BY {rel.partkey}" if rel.kind == "p" and rel.partkey else ""
    return f"CREATE {unlogged}TABLE {rel_name(rel)} (\n{body}\n){partition_by}{options};"


def attach_partition(parent: Relation, rel: Relation) -> str:
    """A partition is made as a table of its own and attached, as pg_dump does it."""
    return f"ALTER TABLE ONLY {rel_name(parent)} ATTACH PARTITION {rel_name(rel)} {rel.partbound};"


def inline_check(k: Constraint) -> bool:
    return k.kind == "c" and k.validated


def _column(col: Column, identity_seq: Relation | None) -> str:
    parts = [quote_ident(col.name), col.type]
    if col.collation:
        parts.append(f"COLLATE {col.collation}")
    if col.generated == "s":
        parts.append(f"GENERATED ALWAYS AS ({col.default}) STORED")
    elif col.identity:
        parts.append(_identity(col, identity_seq))
    elif col.default is not None:
        parts.append(f"DEFAULT {col.default}")
    if col.not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def _identity(col: Column, seq: Relation | None) -> str:
    when = "ALWAYS" if col.identity == "a" else "BY DEFAULT"
    if seq is None or seq.sequence is None:
        return f"GENERATED {when} AS IDENTITY"
    options = " ".join(sequence_options(seq.sequence, "", with_type=False))
    return f"GENERATED {when} AS IDENTITY (SEQUENCE NAME {rel_name(seq)} {options})"


def create_view(rel: Relation) -> str:
    """pg_get_viewdef's text; WITH (...) carries the view options, check_option as the
    trailing WITH ... CHECK OPTION clause."""
    options = [o for o in rel.options if not o.startswith("check_option=")]
    check = [o.split("=", 1)[1] for o in rel.options if o.startswith("check_option=")]
    with_options = f" WITH ({', '.join(options)})" if options else ""
    definition = rel.view_def.rstrip().rstrip(";")
    tail = f"\n  WITH {check[0].upper()} CHECK OPTION" if check else ""
    return f"CREATE VIEW {rel_name(rel)}{with_options} AS\n{definition}{tail};"


def view_column_defaults(rel: Relation) -> list[str]:
    return [f"ALTER TABLE ONLY {rel_name(rel)} ALTER COLUMN {quote_ident(col.name)} "
            f"SET DEFAULT {col.default};" for col in rel.columns if col.default is not None]


def owned_by(seq: Relation, table: Relation, column: str) -> str:
    return f"ALTER SEQUENCE {rel_name(seq)} OWNED BY {rel_name(table)}.{quote_ident(column)};"


def owner_to(rel: Relation) -> str:
    return f"ALTER {OWNER_KEYWORD[rel.kind]} {rel_name(rel)} OWNER TO {quote_ident(rel.owner)};"


def schema_owner_to(schema: Schema) -> str:
    return f"ALTER SCHEMA {quote_ident(schema.name)} OWNER TO {quote_ident(schema.owner)};"


def add_constraint(rel: Relation, k: Constraint) -> str:
    # dumpConstraint: a CHECK's ALTER TABLE has no ONLY; a partitioned table's key is made on
    # its partitions too (their own copies are not dumped: toc.Toc.post_data)
    only = "" if k.kind == "c" or rel.kind == "p" else "ONLY "
    return f"ALTER TABLE {only}{rel_name(rel)}\n    ADD CONSTRAINT {quote_ident(k.name)} {k.definition};"


def drop_constraint(rel: Relation, k: Constraint) -> str:
    return f"ALTER TABLE IF EXISTS ONLY {rel_name(rel)} DROP CONSTRAINT IF EXISTS {quote_ident(k.name)};"


def setval(seq: Relation) -> str:
    s = seq.sequence
    called = "true" if s.is_called else "false"
    return f"SELECT pg_catalog.setval({quote_literal(rel_name(seq))}, {s.last_value}, {called});"


def comment_on(what: str, text: str) -> str:
    return f"COMMENT ON {what} IS {quote_literal(text)};"


def copy_columns(rel: Relation) -> list[str]:
    """The columns a data block carries: all but generated ones (the server computes them)."""
    return [quote_ident(c.name) for c in rel.columns if c.generated != "s"]
