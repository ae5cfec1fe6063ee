"""PL/pgSQL compilation (PostgreSQL's pl_comp.c): a routine's body, parsed by libpg_query
(source.py), becomes a Function: its datums (variables, records, rows) with their types,
the namespaces that say which names each statement sees, and a tree of statement objects
(control.py, sqlstmts.py, misc.py) whose SQL pieces are Expr objects (exprs.py), translated
when they first run.

Compiled once per routine and resolved argument types (cached on the loaded Routine); DO
blocks are compiled each time they run.
"""

from __future__ import annotations

import re

import pglast
from pglast import ast

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.exec.plpgsql import control, cursors, misc, results, sqlstmts
from pgsvc.sql.exec.plpgsql.exprs import Expr
from pgsvc.sql.exec.plpgsql.frame import shape_of
from pgsvc.sql.exec.plpgsql.source import OUTROW, Source, line_of, normalize_ident, parse_body
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.typenames import typename_with_domain
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type

BUILDERS = {**control.BUILDERS, **sqlstmts.BUILDERS, **results.BUILDERS, **misc.BUILDERS}

# the trigger variables of a trigger function (PostgreSQL 15's promise variables)
TRIGGER_VARS = (("tg_name", O.NAME), ("tg_when", O.TEXT), ("tg_level", O.TEXT), ("tg_op", O.TEXT),
                ("tg_relid", O.OID), ("tg_relname", O.NAME), ("tg_table_name", O.NAME),
                ("tg_table_schema", O.NAME), ("tg_nargs", O.INT4), ("tg_argv", O.ARRAY_TEXT))


class Datum:
    """A variable (kind var), record (rec), row of targets (row) or record field (recfield)."""

    __slots__ = ("dno", "kind", "name", "lineno", "oid", "typmod", "domain", "shape", "isconst", "notnull",
                 "default", "cursor_query", "cursor_args", "cursor_options", "fields", "parent", "fieldname",
                 "typname", "is_cursor")

    def __init__(self, dno: int, kind: str, name: str, lineno: int = 0) -> None:
        self.dno = dno
        self.kind = kind
        self.name = name
        self.lineno = lineno
        self.oid = O.UNKNOWN
        self.typmod = -1
        self.domain = 0
        self.shape = None  # a record's declared columns (composite / %ROWTYPE)
        self.isconst = False
        self.notnull = False
        self.default: Expr | None = None
        self.cursor_query: Expr | None = None
        self.cursor_args: list[int] = []
        self.cursor_options = 0
        self.is_cursor = False
        self.fields: list[int] = []  # a row's target datums
        self.parent = -1  # a recfield's record
        self.fieldname = ""
        self.typname = ""


class Ns:
    """One level of names (a block, a loop, the function): name -> dno."""

    __slots__ = ("parent", "label", "names", "kind")

    def __init__(self, parent: Ns | None, label: str | None, kind: str = "block") -> None:
        self.parent = parent
        self.label = label
        self.names: dict[str, int] = {}
        self.kind = kind

    def lookup(self, name: str) -> int | None:
        ns = self
        while ns is not None:
            if name in ns.names:
                return ns.names[name]
            ns = ns.parent
        return None


class Function:
    """A compiled PL/pgSQL function (PLpgSQL_function)."""

    def __init__(self, name: str, signature: str, kind: str) -> None:
        self.name = name
        self.signature = signature
        self.kind = kind  # f function, p procedure, do (an inline block)
        self.datums: list[Datum] = []
        self.nslots = 0
        self.field_slots: dict[tuple, int] = {}  # (rec dno, field name) -> slot; (dno, None): the record's text
        self.slot_fields: dict[int, tuple] = {}
        self.action = None
        self.found_dno = -1
        self.new_dno = -1
        self.old_dno = -1
        self.arg_dnos: list[int] = []  # every argument, in declaration order
        self.in_dnos: list[int] = []
        self.out_dnos: list[int] = []
        self.tg_dnos: dict[str, int] = {}
        self.retset = False
        self.rettype = O.VOID
        self.columns: list = []  # (name, type) of a row result
        self.is_trigger = False
        self.routine = None
        self.source: Source | None = None
        self.root_ns: Ns | None = None
        self.arg_params: list = []  # the Ex of $1, $2, ... (exprs.py fills it)
        self.stamp = None  # (catalog version, search_path) the plans were made under
        self.variable_conflict = "error"  # #variable_conflict / plpgsql.variable_conflict
        self.print_strict_params = False  # #print_strict_params / plpgsql.print_strict_params
        self.too_many_rows = None  # plpgsql.extra_errors / extra_warnings: "ERROR" / "WARNING" / None
        self.strict_multi = None
        self.shadowed = None  # the shadowed_variables check: "ERROR" / "WARNING" / None
        self.warnings: list[SqlNotice] = []  # the compilation's WARNINGs (position: in the body)
        self.casts: dict[tuple, str] = {}  # (source type, target) -> SQL casting ?1 (assign.cast_value)
        self.row_targets: dict[int, list] = {}  # a row datum's assignable targets (assign.target_setters)

    def field_slot(self, dno: int, field: str | None) -> int:
        key = (dno, field)
        slot = self.field_slots.get(key)
        if slot is None:
            slot = self.field_slots[key] = self.nslots
            self.slot_fields[slot] = key
            self.nslots += 1
        return slot


class Compiler(cursors.CursorBuilder):
    def __init__(self, engine, func: Function, src: Source, tree: dict) -> None:
        self.engine = engine
        self.func = func
        self.src = src
        self.tree = tree
        self.ns: Ns | None = None
        self.claimed: set[int] = set()
        self.block_ordinal = 0
        self.return_next = list(src.return_next_targets())
        self.tr = Translator(engine, engine.catalog, [])

    # --- datums ----------------------------------------------------------------------

    def datums(self, arg_types: list[tuple[int, int]]) -> None:
        f = self.func
        for dno, node in enumerate(self.tree["datums"]):
            (kind, body), = node.items()
            name = body.get("refname", "")
            d = Datum(dno, {"PLpgSQL_var": "var", "PLpgSQL_rec": "rec", "PLpgSQL_row": "row",
                            "PLpgSQL_recfield": "recfield"}.get(kind, "var"), name, body.get("lineno", 0))
            d.typname = (body.get("datatype") or {}).get("PLpgSQL_type", {}).get("typname", "")
            d.isconst = bool(body.get("isconst"))
            d.notnull = bool(body.get("notnull"))
            if d.kind == "row":
                d.fields = [fld.get("varno", 0) if fld else -1 for fld in body.get("fields", ())]
            elif d.kind == "recfield":
                d.parent = body.get("recparentno", 0)
                d.fieldname = body.get("fieldname", "")
            f.datums.append(d)
        nargs = len(arg_types)
        for i in range(nargs):
            d = f.datums[i]
            d.oid, d.typmod = arg_types[i]
            f.arg_dnos.append(i)
        f.found_dno = nargs
        f.datums[nargs].oid = O.BOOL
        self.claimed.update(range(nargs + 1))
        f.new_dno = self.tree.get("new_varno", -1) if f.is_trigger else -1
        f.old_dno = self.tree.get("old_varno", -1) if f.is_trigger else -1
        self.claimed.update(d for d in (f.new_dno, f.old_dno) if d >= 0)
        if f.is_trigger:
            for tg_name, oid in TRIGGER_VARS:
                d = Datum(len(f.datums), "var", tg_name)
                d.oid = oid
                f.tg_dnos[tg_name] = d.dno
                f.datums.append(d)
        f.nslots = len(f.datums)

    def claim(self, name: str, line: int, kinds=("var", "rec")) -> int | None:
        for d in self.func.datums:
            if d.dno not in self.claimed and d.kind in kinds and d.name == name and d.lineno == line:
                self.claimed.add(d.dno)
                return d.dno
        return None

    def claim_any(self, name: str) -> int:
        """The first unclaimed datum of that name (an exception block's sqlstate / sqlerrm)."""
        for d in self.func.datums:
            if d.dno not in self.claimed and d.kind == "var" and d.name == name:
                self.claimed.add(d.dno)
                return d.dno
        d = Datum(len(self.func.datums), "var", name)
        self.func.datums.append(d)
        self.func.nslots = len(self.func.datums)
        return d.dno

    def positioned(self, err: SqlError, lineno: int, text: str, then: str | None = None) -> SqlError:
        """An error PostgreSQL's grammar reports at `text` (or at the `then` after it) on
        line `lineno` of the body."""
        body = self.src.text
        start = 0
        for _ in range(max(lineno - 1, 0)):
            nl = body.find("\n", start)
            if nl < 0:
                break
            start = nl + 1
        low = body.lower()
        at = low.find(text.lower(), start) if text else -1
        if at >= 0 and then is not None:
            nxt = body.find(then, at + len(text))
            at = nxt if nxt >= 0 else at
        err.position = (at if at >= 0 else start) + 1
        err.pl_line = lineno
        return err

    def loop_var(self, node: dict) -> int:
        """The datum a FOR statement's inline variable is."""
        (kind, body), = node.items()
        if "dno" in body:
            return body["dno"]
        if kind == "PLpgSQL_row":
            return self.row_datum(body)
        dno = self.claim(body.get("refname", ""), body.get("lineno", 0))
        if dno is None:
            raise SqlError("XX000", f'could not find loop variable "{body.get("refname")}"')
        d = self.func.datums[dno]
        if d.kind == "var" and d.oid == O.UNKNOWN:
            d.oid = O.INT4
        return dno

    def row_datum(self, body: dict) -> int:
        """An inline row (INTO a, b / FOR a, b IN ...): a datum of its own."""
        d = Datum(len(self.func.datums), "row", "(unnamed row)", body.get("lineno", 0))
        d.fields = [fld.get("varno", 0) if fld else -1 for fld in body.get("fields", ())]
        self.func.datums.append(d)
        self.func.nslots = max(self.func.nslots, len(self.func.datums))
        self.grow_slots()
        return d.dno

    def grow_slots(self) -> None:
        # field slots were numbered after the datums: renumber when a datum is added late
        f = self.func
        if f.field_slots:
            raise SqlError("XX000", "datum added after field slots")

    def target(self, node: dict | None) -> int | None:
        if not node:
            return None
        (kind, body), = node.items()
        if kind == "PLpgSQL_row":
            return self.row_datum(body)
        if "dno" in body:
            return body["dno"]
        dno = self.claim(body.get("refname", ""), body.get("lineno", 0))
        return dno

    # --- types -------------------------------------------------------------------------

    def declare_type(self, d: Datum, decl_type: str | None, pos: int) -> None:
        text = (decl_type or d.typname or "").strip()
        if not text or text == "UNKNOWN":
            return
        try:
            self.resolve_type(d, text)
        except SqlError as err:
            if err.position is not None or err.sqlstate in ("42704", "42P01", "42703"):
                err.position = pos + 1
                err.pl_line = self.src.text.count("\n", 0, pos) + 1
            raise

    def resolve_type(self, d: Datum, text: str) -> None:
        low = text.lower().replace(" ", "")
        if low == "record":
            d.kind, d.oid = "rec", O.RECORD
            return
        if low.endswith("%rowtype"):
            rel = self.relation(text[:text.rfind("%")].strip())
            self.set_shape(d, rel)
            return
        if low.endswith("%type"):
            self.type_of_reference(d, text[:text.rfind("%")].strip())
            return
        try:
            tn = pglast.parse_sql(f"SELECT NULL::{text}")[0].stmt.targetList[0].val.typeName
        except pglast.parser.ParseError:
            raise SqlError("42601", f'syntax error at or near "{text}"') from None
        try:
            d.oid, d.typmod, d.domain = typename_with_domain(tn, self.tr)
            ut = U.find(d.oid)
            if _row_type(self.engine, ut):  # a table's or CREATE TYPE's row type: a record of its shape
                self.set_shape(d, self.engine.catalog.by_oid[ut.relid])
                if not ut.of_table:
                    d.oid = ut.oid  # (a table's record is typed by its relation, a composite's by its type)
        except SqlError as err:
            if err.sqlstate != "42704" or tn.arrayBounds:
                raise
            names = [n.sval for n in tn.names]
            rel = self.engine.catalog.lookup(names[0] if len(names) == 2 else None, names[-1],
                                             self.engine.search_path())
            if rel is None:
                raise
            self.set_shape(d, rel)

    def relation(self, text: str):
        names = [normalize_ident(p.strip()) for p in text.split(".")]
        rel = self.engine.catalog.lookup(names[0] if len(names) == 2 else None, names[-1],
                                         self.engine.search_path())
        if rel is None:
            raise SqlError("42P01", f'relation "{".".join(names)}" does not exist')
        return rel

    def set_shape(self, d: Datum, rel) -> None:
        d.kind, d.oid = "rec", rel.oid
        d.shape = shape_of([(a.name, a.type_oid, a.typmod) for a in rel.attrs])

    def type_of_reference(self, d: Datum, text: str) -> None:
        names = [normalize_ident(p.strip()) for p in text.split(".")]
        if len(names) == 1:
            dno = self.ns.lookup(names[0]) if self.ns else None
            if dno is not None:
                src = self.func.datums[dno]
                d.kind, d.oid, d.typmod, d.domain, d.shape = src.kind, src.oid, src.typmod, src.domain, src.shape
                return
            raise SqlError("42704", f'variable "{names[0]}" does not exist')
        rel = self.engine.catalog.lookup(names[-3] if len(names) == 3 else None, names[-2],
                                         self.engine.search_path())
        if rel is None:
            raise SqlError("42P01", f'relation "{".".join(names[:-1])}" does not exist')
        a = rel.attr(names[-1])
        if a is None:
            raise SqlError("42703", f'column "{names[-1]}" of relation "{rel.name}" does not exist')
        d.oid, d.typmod, d.domain = a.type_oid, a.typmod, a.domain_oid

    # --- expressions and statements -----------------------------------------------------

    def expr(self, node: dict | None, lineno: int = 0) -> Expr | None:
        if not node:
            return None
        body = node["PLpgSQL_expr"]
        return Expr(body.get("query", ""), body.get("parseMode", 0), self.ns, self.func, lineno)

    def stmts(self, nodes) -> list:
        return [self.stmt(n) for n in nodes or ()]

    def stmt(self, node: dict):
        (kind, body), = node.items()
        builder = BUILDERS.get(kind)
        if builder is None:
            raise SqlError("0A000", f"PL/pgSQL statement {kind} is not supported")
        return builder(self, body)

    def push(self, label: str | None, kind: str = "block") -> Ns:
        self.ns = Ns(self.ns, label, kind)
        return self.ns

    def pop(self) -> None:
        self.ns = self.ns.parent

    def block_decls(self, body: dict) -> tuple[list[int], int]:
        """The datums the block's DECLARE section declares (entered into the current Ns, each
        after its default, which sees only what was declared before it), and the block's line
        (its DECLARE's, as PostgreSQL counts it)."""
        if not body.get("lineno"):
            return [], 0  # the wrapper PostgreSQL adds around a block with an EXCEPTION clause
        ordinal = self.block_ordinal
        self.block_ordinal += 1
        section = next((s for s in self.src.sections if s.begin == ordinal), None)
        if section is None:
            return [], body.get("lineno", 0)
        out = []
        for decl in section.decls:
            self.check_shadow(decl.name, decl.name_pos, decl.line)
            for arg, pos in decl.arg_names:
                self.check_shadow(arg, pos, line_of(self.src.text, pos))
            if decl.kind == "alias":
                target = self.alias_target(decl.type_text or "")
                if target is not None:
                    self.ns.names[decl.name] = target
                continue
            dno = self.claim(decl.name, decl.line)
            if dno is None:
                continue
            d = self.func.datums[dno]
            if d.kind == "var" and self.tree["datums"][dno].get("PLpgSQL_var", {}).get("cursor_explicit_expr"):
                self.cursor_decl(d, self.tree["datums"][dno]["PLpgSQL_var"])
            else:
                self.declare_type(d, decl.type_text if decl.record else None, decl.type_pos)
                raw = self.tree["datums"][dno].get("PLpgSQL_var", {})
                if raw.get("default_val"):
                    seen = Ns(self.ns.parent, self.ns.label, self.ns.kind)
                    seen.names = dict(self.ns.names)
                    saved, self.ns = self.ns, seen
                    d.default = self.expr(raw.get("default_val"), d.lineno)
                    self.ns = saved
            self.ns.names[d.name] = dno
            out.append(dno)
        return out, section.line or body.get("lineno", 0)

    def check_shadow(self, name: str, pos: int, line: int) -> None:
        """plpgsql.extra_warnings / extra_errors = shadowed_variables: a declaration whose
        name an enclosing block, the function's parameters or FOUND already define
        (PostgreSQL's decl_varname)."""
        level = self.func.shadowed
        if level is None or self.ns is None or self.ns.lookup(name) is None:
            return
        message = f'variable "{name}" shadows a previously defined variable'
        if level == "ERROR":
            err = SqlError("42712", message, position=pos + 1)
            err.pl_line = line
            raise err
        self.func.warnings.append(SqlNotice(message, sqlstate="42712", severity="WARNING", position=pos + 1))

    def alias_target(self, text: str) -> int | None:
        """ALIAS FOR $n / a name: the datum it stands for."""
        if text.startswith("$") and text[1:].isdigit():
            n = int(text[1:])
            return self.func.arg_dnos[n - 1] if 0 < n <= len(self.func.arg_dnos) else None
        return self.ns.lookup(normalize_ident(text))

    def cursor_decl(self, d: Datum, raw: dict) -> None:
        d.oid, d.is_cursor = O.REFCURSOR, True
        d.cursor_options = raw.get("cursor_options", 0)
        argrow = raw.get("cursor_explicit_argrow", -1) if "cursor_explicit_argrow" in raw else -1
        saved = self.ns
        if argrow >= 0:
            self.push(None)
            for fdno in self.func.datums[argrow].fields:
                a = self.func.datums[fdno]
                self.claimed.add(fdno)
                self.declare_type(a, None, 0)
                self.ns.names[a.name] = fdno
            d.cursor_args = list(self.func.datums[argrow].fields)
        d.cursor_query = self.expr(raw.get("cursor_explicit_expr"), d.lineno)
        self.ns = saved
        d.default = self.expr(raw.get("default_val"), d.lineno)

    def take_return_next_target(self, lineno: int) -> str | None:
        for i, (line, name) in enumerate(self.return_next):
            if line == lineno:
                del self.return_next[i]
                return name
        return None


def emit_warnings(engine, func: Function) -> None:
    """The validator's WARNINGs (their position in the body: the caller moves it into the
    CREATE statement)."""
    for w in func.warnings:
        engine.session.notice(w)


def cursor_names(src: Source) -> set[str]:
    """The declared cursors and refcursor variables (FOR r IN <one of them> is a cursor loop)."""
    return {d.name for s in src.sections for d in s.decls
            if d.kind == "cursor" or (d.type_text or "").strip().lower() == "refcursor"}


def setting(engine, name: str, default):
    try:
        return engine.session.settings.get(name)
    except SqlError:
        return default


def signature_of(engine, routine) -> str:
    """format_procedure: name(type,type), schema-qualified when not visible."""
    types = ",".join(format_type(t, None) for t in routine.argtypes)
    visible = routine.schema in engine.search_path() or routine.schema == "pg_catalog"
    name = quote_ident(routine.name) if visible else f"{quote_ident(routine.schema)}.{quote_ident(routine.name)}"
    return f"{name}({types})"


def header_of(routine, kind: str, arg_types: list) -> str:
    """The CREATE statement libpg_query's parser is given (names and modes matter to it)."""
    parts = []
    modes = routine.modes() if routine is not None else ()
    names = routine.names() if routine is not None else ()
    for i, mode in enumerate(modes):
        word = {"o": "OUT ", "b": "INOUT ", "t": "OUT ", "v": "VARIADIC "}.get(mode, "")
        name = names[i] if i < len(names) and names[i] else f"pgsvc${i + 1}"
        typ = "int[]" if mode == "v" else "int"
        parts.append(f"{word}{quote_ident(name)} {typ}")
    args = ", ".join(parts)
    if kind == "p":
        return f"CREATE PROCEDURE pgsvc_f({args})"
    if routine is not None and routine.rettype == O.TRIGGER:
        ret = "trigger"
    else:
        ret = ("SETOF " if routine is not None and routine.retset else "") + "int"
    return f"CREATE FUNCTION pgsvc_f({args}) RETURNS {ret}"


def compile_function(engine, routine, kind: str, name: str, signature: str, arg_types: list, ret_oid: int,
                     columns: list, validating: bool = False) -> Function:
    f = Function(name, signature, kind)
    f.routine = routine
    f.is_trigger = routine is not None and routine.rettype == O.TRIGGER
    f.retset = bool(routine is not None and routine.retset)
    f.rettype = ret_oid if kind == "f" else O.VOID
    f.columns = list(columns)
    src = Source(_with_param_records(engine, routine, arg_types) if routine is not None else "")
    f.source = src
    f.variable_conflict = str(setting(engine, "plpgsql.variable_conflict", "error")).lower()
    f.print_strict_params = setting(engine, "plpgsql.print_strict_params", False) in (True, "on", "true", "1")
    for check, attr in (("too_many_rows", "too_many_rows"), ("strict_multi_assignment", "strict_multi"),
                        ("shadowed_variables", "shadowed")):
        level = None
        for setting_name, word in (("plpgsql.extra_warnings", "WARNING"), ("plpgsql.extra_errors", "ERROR")):
            listed = {x.strip().lower() for x in str(setting(engine, setting_name, "none")).split(",")}
            if check in listed or "all" in listed:
                level = word
        setattr(f, attr, level)
    if not validating:  # PostgreSQL checks the declarations at CREATE only (do_compile's forValidator)
        f.shadowed = None
    for option, value in src.options:
        if option == "variable_conflict":
            f.variable_conflict = value
        elif option == "print_strict_params":
            f.print_strict_params = value == "on"

    def is_composite(text: str) -> bool:
        try:
            val = pglast.parse_sql(f"SELECT NULL::{text}")[0].stmt.targetList[0].val
        except pglast.parser.ParseError:
            return False
        if not isinstance(val, ast.TypeCast):
            return False
        tn = val.typeName
        if tn.arrayBounds or tn.typmods or tn.pct_type:
            return False
        names = [n.sval for n in tn.names]
        if len(names) > 2:
            return False
        try:
            ut = U.find(typename_with_domain(tn, None)[0])
            return _row_type(engine, ut)  # a table's or a composite type's row type: a record here
        except SqlError:
            return engine.catalog.lookup(names[0] if len(names) == 2 else None, names[-1],
                                         engine.search_path()) is not None
    src.declare_records(is_composite)
    src.rewrite_cursors(cursor_names(src))
    if routine is not None:
        src.name_alias_params([quote_ident(n) if n else f"pgsvc${i + 1}" for i, n in enumerate(routine.names())])
    has_out = routine is not None and any(m in ("o", "b", "t") for m in routine.modes())
    if has_out:
        src.mark_return_next()
    tree = parse_body(src, header_of(routine, kind, arg_types))
    c = Compiler(engine, f, src, tree)
    c.datums(arg_types)
    root = c.push(name, "function")
    f.root_ns = root
    if routine is not None:
        for i, (n, mode) in enumerate(zip(routine.names(), routine.modes())):
            if n:
                root.names[n] = i
            if mode in ("i", "b", "v"):
                f.in_dnos.append(i)
            if mode in ("o", "b", "t"):
                f.out_dnos.append(i)
    root.names["found"] = f.found_dno
    if f.is_trigger:
        root.names["new"] = f.new_dno
        root.names["old"] = f.old_dno
        for d in (f.new_dno, f.old_dno):
            f.datums[d].kind, f.datums[d].oid = "rec", O.RECORD
        root.names.update(f.tg_dnos)
    f.action = c.stmt(tree["action"])
    return f


__all__ = ["Function", "Datum", "Ns", "Compiler", "compile_function", "signature_of", "OUTROW"]


def _row_type(engine, ut) -> bool:
    """A table's or CREATE TYPE's row type (in pg_class): its variables are records of its shape."""
    return ut is not None and ut.typtype == "c" and ut.relid in engine.catalog.by_oid


def _with_param_records(engine, routine, arg_types: list) -> str:
    """The body in a block with a record copy of each composite parameter whose fields it assigns
    (state.f := x; the parser knows parameters as scalars), on its first line (lines stay)."""
    text = routine.src
    decls = []
    for i, (name, mode) in enumerate(zip(routine.names(), routine.modes())):
        if not name or mode not in ("i", "b") or i >= len(arg_types):
            continue
        ut = U.find(arg_types[i][0])
        if not _row_type(engine, ut) or not re.search(
                rf'(?i)(?<![\w$."]){re.escape(name)}\s*\.\s*[\w"]+\s*(\[[^\]]*\]\s*)?:=', text):
            continue
        decls.append((f"{quote_ident(name)} {format_type(ut.oid, None)};", f"{quote_ident(name)} := ${i + 1};"))
    if not decls:
        return text
    body = text.rstrip()
    return (f"DECLARE {' '.join(d for d, _ in decls)} BEGIN {' '.join(a for _, a in decls)} "
            f"{body.removesuffix(';')}\n; END")
