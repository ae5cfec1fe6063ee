"""What a CREATE FUNCTION / PROCEDURE statement defines (PostgreSQL's CreateFunction:
interpret_function_parameter_list, compute_return_type, compute_function_attributes),
as a catalog.routines.Routine, with PostgreSQL's errors (42P13 invalid function
definition, 42601 conflicting options, ...). Also ALTER FUNCTION's attribute actions and
the argument lists of DROP/ALTER (ObjectWithArgs) as type OIDs.
"""

from __future__ import annotations

from pglast import ast, enums
from pglast.stream import RawStream

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.routines import BODY_PREFIX, LANGUAGE_OIDS, Routine
from pgsvc.sql.catalog.system import pg15
from pgsvc.sql.parse import scan
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.routine_match import POLYMORPHIC
from pgsvc.sql.translate.typenames import typename_with_domain
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.pg_type import find_oid, format_type

MODE = {"d": "i", "i": "i", "o": "o", "b": "b", "v": "v", "t": "t"}
_ELEMENT_POLY = (O.ANYELEMENT, O.ANYARRAY, O.ANYNONARRAY, O.ANYENUM, O.ANYRANGE, O.ANYMULTIRANGE)
_RANGE_POLY = (O.ANYRANGE, O.ANYMULTIRANGE)
_COMPAT_POLY = (O.ANYCOMPATIBLE, O.ANYCOMPATIBLEARRAY, O.ANYCOMPATIBLENONARRAY, O.ANYCOMPATIBLERANGE,
                O.ANYCOMPATIBLEMULTIRANGE)
_COMPAT_RANGE_POLY = (O.ANYCOMPATIBLERANGE, O.ANYCOMPATIBLEMULTIRANGE)


def definition_error(message: str, **kw) -> SqlError:
    return SqlError("42P13", message, **kw)


def conflicting(node) -> SqlError:
    return SqlError("42601", "conflicting or redundant options", position=location(node))


def param_type(engine, tn: ast.TypeName, tr, result: bool = False) -> int:
    """An argument's or result's type (a domain's own OID; a typmod is dropped, as
    PostgreSQL does; tbl.col%TYPE with its NOTICE). A result may be a table's or view's
    row type: its OID is the relation's (catalog.routines.Routine.rowtype); an argument of
    one is of the row type (usertypes.row_type_oid: a composite value)."""
    if tn.pct_type:
        names = [n.sval for n in tn.names]
        rel = engine.catalog.lookup(names[0] if len(names) == 3 else None, names[-2], engine.search_path()) \
            if len(names) >= 2 else None
        attr = rel.attr(names[-1]) if rel is not None else None
        if attr is None:
            raise SqlError("42703" if rel is not None else "42P01",
                           f'column "{names[-1]}" of relation "{names[-2]}" does not exist' if rel is not None
                           else f'relation "{".".join(names[:-1])}" does not exist', position=location(tn))
        oid = attr.domain_oid or attr.type_oid
        if tn.arrayBounds:
            oid = find_oid(oid).array_oid
        engine.session.notice(SqlNotice(f"type reference {'.'.join(names)}%TYPE converted to "
                                        f"{format_type(oid, None)}"))
        return oid
    try:
        oid, _typmod, domain = typename_with_domain(tn, tr)
    except SqlError as err:
        names = [n.sval for n in tn.names]
        rel = engine.catalog.lookup(names[0] if len(names) == 2 else None, names[-1], engine.search_path()) \
            if err.sqlstate == "42704" and len(names) <= 2 else None
        if rel is not None and rel.kind in ("r", "v") and not tn.arrayBounds:
            return rel.oid if result else U.row_type_oid(rel.oid)  # an argument: its row type
        if rel is not None and rel.kind in ("r", "v"):  # PostgreSQL has the relation's row type
            raise SqlError("0A000", f'row type of {"table" if rel.kind == "r" else "view"} "{rel.name}" as a '
                           "function's argument or result type is not supported",
                           position=location(tn)) from None
        raise
    t = find_oid(oid)
    ut = U.find(t.elem_oid if t is not None and t.category == "A" else oid)
    if ut is not None and ut.of_table:  # a table's or view's row type (types.usertypes): as above
        rel = engine.catalog.by_oid.get(ut.relid)
        if result and not tn.arrayBounds:
            return rel.oid
        if not result and not tn.arrayBounds:
            return ut.oid  # an argument of the row type: a composite value (types.composite)
        raise SqlError("0A000", f'row type of {"table" if rel.kind == "r" else "view"} "{rel.name}" as a '
                       "function's argument or result type is not supported", position=location(tn))
    return domain or oid


def parameters(engine, node: ast.CreateFunctionStmt, tr) -> tuple[list, list, list, list]:
    """(types, modes, names, default nodes) of every parameter, PostgreSQL's checks applied."""
    types, modes, names, defaults = [], [], [], []
    seen_default = False
    for p in node.parameters or ():
        mode = MODE[p.mode.value if hasattr(p.mode, "value") else p.mode]
        if p.argType.setof:
            raise definition_error("functions cannot accept set arguments", position=location(p.argType))
        oid = param_type(engine, p.argType, tr)
        if node.is_procedure and mode == "t":
            raise definition_error("procedures cannot have TABLE parameters")
        if mode in ("i", "b", "v"):
            if modes and modes[-1] == "v":
                raise definition_error("VARIADIC parameter must be the last input parameter",
                                       position=location(p))
            if p.defexpr is not None:
                seen_default = True
            elif seen_default:
                raise definition_error("input parameters after one with a default value must also have defaults",
                                       position=location(p))
        elif p.defexpr is not None:
            raise definition_error("only input parameters can have default values", position=location(p))
        if mode == "v":
            info = find_oid(oid)
            if oid not in (O.ANY_, O.ANYARRAY, O.ANYCOMPATIBLEARRAY) and (info is None or info.category != "A"):
                raise definition_error("VARIADIC parameter must be an array", position=location(p))
        if mode in ("o", "t") and modes and modes[-1] == "v":
            raise definition_error("VARIADIC parameter must be the last parameter")
        if p.name and p.name in names:
            if not (mode == "o" and modes[names.index(p.name)] == "i" or
                    mode == "i" and modes[names.index(p.name)] == "o"):
                raise definition_error(f'parameter name "{p.name}" used more than once', position=location(p))
        types.append(oid)
        modes.append(mode)
        names.append(p.name or "")
        defaults.append(p.defexpr)
    return types, modes, names, defaults


def result_type(engine, node: ast.CreateFunctionStmt, tr, types, modes) -> tuple[int, bool]:
    """(prorettype, proretset)."""
    outs = [t for t, m in zip(types, modes) if m in ("o", "b", "t")]
    if node.is_procedure:
        if node.returnType is not None:
            raise definition_error("procedure cannot have a result type")  # the grammar forbids it
        return (O.RECORD if len(outs) > 1 else outs[0] if outs else O.VOID), False
    if node.returnType is None:
        if not outs:
            raise definition_error("function result type must be specified")
        return (outs[0] if len(outs) == 1 else O.RECORD), False
    rt = node.returnType
    if "t" in modes:
        return (outs[0] if len(outs) == 1 else O.RECORD), True
    ret = param_type(engine, rt, tr, result=True)
    if outs:
        want = outs[0] if len(outs) == 1 else O.RECORD
        if ret != want:
            raise definition_error(f"function result type must be {format_type(want, None)} because of OUT "
                                   "parameters", position=location(rt))
    return ret, bool(rt.setof)


def check_polymorphic(ret: int, types, modes, is_procedure: bool) -> None:
    ins = [t for t, m in zip(types, modes) if m in ("i", "b", "v")]
    outs = [t for t, m in zip(types, modes) if m in ("o", "b", "t")]
    for t in ([ret] if not is_procedure else []) + outs:
        if t in _RANGE_POLY and not any(i in _RANGE_POLY for i in ins):
            raise definition_error("cannot determine result data type", detail=(
                f"A result of type {format_type(t, None)} requires at least one input of type anyrange or "
                "anymultirange."))
        if t in _ELEMENT_POLY and not any(i in _ELEMENT_POLY for i in ins):
            raise definition_error("cannot determine result data type", detail=(
                f"A result of type {format_type(t, None)} requires at least one input of type anyelement, "
                "anyarray, anynonarray, anyenum, anyrange, or anymultirange."))
        if t in _COMPAT_RANGE_POLY and not any(i in _COMPAT_RANGE_POLY for i in ins):
            raise definition_error("cannot determine result data type", detail=(
                f"A result of type {format_type(t, None)} requires at least one input of type anycompatiblerange "
                "or anycompatiblemultirange."))
        if t in _COMPAT_POLY and not any(i in _COMPAT_POLY for i in ins):
            raise definition_error("cannot determine result data type", detail=(
                f"A result of type {format_type(t, None)} requires at least one input of type anycompatible, "
                "anycompatiblearray, anycompatiblenonarray, anycompatiblerange, or anycompatiblemultirange."))


def sql_body_start(text: str) -> int | None:
    """Where a SQL-standard body (RETURN ... / BEGIN ATOMIC ...) starts in the statement's
    text (a character offset), or None."""
    for tok in scan(text):
        if tok.name in ("RETURN", "BEGIN_P"):
            return len(text.encode("utf-8")[:tok.start].decode("utf-8", "ignore"))
    return None


def _sql_body(node: ast.CreateFunctionStmt, text: str) -> str:
    """RETURN expr / BEGIN ATOMIC stmt; ... END: its source text as the statement wrote it
    (error positions count in it), else as pglast's deparser prints it."""
    start = sql_body_start(text) if text else None
    if start is not None:
        return text[start:].rstrip().rstrip(";").rstrip()
    body = node.sql_body
    if isinstance(body, ast.ReturnStmt):
        return "RETURN " + RawStream()(body.returnval)
    stmts = body[0] if body and body[0] else ()
    return "BEGIN ATOMIC\n" + "".join(f"  {RawStream()(s)};\n" for s in stmts) + "END"


def body_offset(r: Routine, text: str) -> int | None:
    """Where the body a position in it counts from starts in the CREATE statement's text
    (PostgreSQL's function_parse_error_transpose), or None when it cannot be found."""
    if r.sqlbody is not None:
        start = sql_body_start(text)
        return None if start is None else start - len(BODY_PREFIX)
    if r.src and text.count(r.src) >= 1:
        return text.index(r.src)
    return None


class Options:
    """The attributes a CREATE/ALTER FUNCTION statement sets (None: not given)."""

    def __init__(self) -> None:
        self.language = None
        self.volatile = None
        self.strict = None
        self.secdef = None
        self.leakproof = None
        self.cost = None
        self.rows = None
        self.parallel = None
        self.config: list = []  # ("set", name, value) / ("reset", name) / ("reset all",)
        self.body = None
        self.window = False


def read_options(engine, defs, is_procedure: bool, alter: bool = False) -> Options:
    o = Options()
    seen = set()
    for d in defs or ():
        name = d.defname
        if name in seen and name != "set":
            raise conflicting(d)
        seen.add(name)
        if is_procedure and name in ("volatility", "strict", "leakproof", "cost", "rows", "parallel", "window",
                                     "support"):
            raise definition_error("invalid attribute in procedure definition", position=location(d))
        if name == "language":
            o.language = d.arg.sval
        elif name == "volatility":
            o.volatile = {"immutable": "i", "stable": "s", "volatile": "v"}[d.arg.sval]
        elif name == "strict":
            o.strict = bool(d.arg.boolval)
        elif name == "security":
            o.secdef = bool(d.arg.boolval)
        elif name == "leakproof":
            o.leakproof = bool(d.arg.boolval)
        elif name == "cost":
            o.cost = _number(d.arg)
            if o.cost <= 0:
                raise SqlError("22023", "COST must be positive")
        elif name == "rows":
            o.rows = _number(d.arg)
            if o.rows <= 0:
                raise SqlError("22023", "ROWS must be positive")
        elif name == "parallel":
            value = d.arg.sval
            if value not in ("safe", "restricted", "unsafe"):
                raise SqlError("22023", 'parameter "parallel" must be SAFE, RESTRICTED, or UNSAFE')
            o.parallel = value[0]
        elif name == "set":
            o.config.append(_config_action(engine, d.arg))
        elif name == "as":
            o.body = [s.sval for s in d.arg]
        elif name == "window":
            o.window = bool(d.arg.boolval) if isinstance(d.arg, ast.Boolean) else True
        elif name == "support":
            raise SqlError("0A000", "SUPPORT functions are not supported")
        elif name == "transform":
            raise SqlError("0A000", "TRANSFORM FOR TYPE is not supported")
        else:
            raise SqlError("42601", f'option "{name}" not recognized', position=location(d))
    return o


def _number(arg) -> float:
    if isinstance(arg, ast.Integer):
        return float(arg.ival)
    if isinstance(arg, ast.Float):
        return float(arg.fval)
    return float(arg.sval)


def _config_action(engine, stmt: ast.VariableSetStmt) -> tuple:
    kind = stmt.kind
    K = enums.VariableSetKind
    if kind == K.VAR_RESET_ALL:
        return ("reset all",)
    if kind == K.VAR_RESET:
        return ("reset", stmt.name.lower())
    if kind == K.VAR_SET_CURRENT:
        return ("set", stmt.name.lower(), engine.session.settings.show(stmt.name))
    if kind == K.VAR_SET_DEFAULT:
        return ("reset", stmt.name.lower())
    values = []
    for a in stmt.args or ():
        v = a.val
        if isinstance(v, ast.Integer):
            values.append(str(v.ival))
        elif isinstance(v, ast.Float):
            values.append(v.fval)
        elif isinstance(v, ast.Boolean):
            values.append("on" if v.boolval else "off")
        else:
            text = v.sval
            values.append(text if stmt.name.lower() != "search_path" or _plain_ident(text) else
                          '"' + text.replace('"', '""') + '"')
    value = ", ".join(values)
    check = engine.session.settings.copy_base()
    try:
        check.set_session(stmt.name, value)
    except SqlError as err:
        # a setting of PostgreSQL 15 that pgsvc does not model (work_mem, ...): stored, and
        # without effect during the call (exec.routines skips it)
        if err.sqlstate != "42704" or stmt.name.lower() not in _pg_setting_names():
            raise
    return ("set", stmt.name.lower(), value)


def _pg_setting_names() -> set[str]:
    return {row[0].lower() for row in pg15.data().SETTINGS}


def _plain_ident(text: str) -> bool:
    return text.replace("_", "a").replace("$", "a").isalnum() and text == text.lower() and not text[0].isdigit() \
        or text.startswith("$")


def apply_config(config: tuple | None, actions: list) -> tuple | None:
    """proconfig after SET/RESET actions (one entry per name, in first-set order)."""
    items = list(config or ())
    for act in actions:
        if act[0] == "reset all":
            items = []
            continue
        items = [i for i in items if i.split("=", 1)[0] != act[1]] if act[0] == "reset" else \
            ([i if i.split("=", 1)[0] != act[1] else f"{act[1]}={act[2]}" for i in items]
             if any(i.split("=", 1)[0] == act[1] for i in items) else items + [f"{act[1]}={act[2]}"])
    return tuple(items) or None


def new_routine(engine, node: ast.CreateFunctionStmt, tr, oid: int, schema: str, nspoid: int, name: str,
                owner: int, text: str = "") -> tuple[Routine, list]:
    """The Routine a CREATE statement defines (defaults still as nodes: the second value)."""
    types, modes, names, default_nodes = parameters(engine, node, tr)
    rettype, retset = result_type(engine, node, tr, types, modes)
    opts = read_options(engine, node.options, node.is_procedure)
    check_polymorphic(rettype, types, modes, node.is_procedure)
    if node.sql_body is not None:
        lang = opts.language or "sql"
        if lang != "sql":
            raise definition_error("inline SQL function body only valid for language SQL")
        if opts.body is not None:
            raise definition_error("duplicate function body specified")
        src, sqlbody = "", _sql_body(node, text)
    else:
        if opts.language is None:
            raise SqlError("42P13", "no language specified")
        lang = opts.language
        if opts.body is None:
            raise definition_error("no function body specified")
        if len(opts.body) != 1:
            raise definition_error(f"only one AS item needed for language \"{lang}\"")
        src, sqlbody = opts.body[0], None
    if lang == "sql" and node.sql_body is not None and any(t in POLYMORPHIC for t in types):
        raise SqlError("42P13", "SQL function with unquoted function body cannot have polymorphic arguments")
    if lang == "sql" and rettype == O.TRIGGER:
        raise SqlError("42P13", "SQL functions cannot return type trigger")
    if lang in ("internal", "c"):
        raise SqlError("0A000", f"functions in language {lang} are not supported")
    if opts.rows is not None and not retset:
        raise SqlError("22023", "ROWS is not applicable when function does not return a set")
    ins = [i for i, m in enumerate(modes) if m in ("i", "b", "v")]
    all_in = all(m == "i" for m in modes)
    variadic = 0
    if modes and "v" in modes:
        vt = types[modes.index("v")]
        variadic = O.ANY_ if vt == O.ANY_ else (find_oid(vt).elem_oid if find_oid(vt) else 0)
        if vt in (O.ANYARRAY,):
            variadic = O.ANYELEMENT
        elif vt == O.ANYCOMPATIBLEARRAY:
            variadic = O.ANYCOMPATIBLE
    r = Routine(oid, schema, nspoid, name, "p" if node.is_procedure else "f", lang,
                bool(opts.secdef), bool(opts.leakproof), bool(opts.strict), retset,
                opts.volatile or "v", opts.parallel or "u",
                opts.cost if opts.cost is not None else (1.0 if lang in ("internal", "c") else 100.0),
                opts.rows if opts.rows is not None else (1000.0 if retset else 0.0),
                variadic, rettype, tuple(types[i] for i in ins),
                None if all_in else tuple(types), None if all_in else tuple(modes),
                tuple(names) if any(names) else None, (), src, sqlbody,
                apply_config(None, opts.config), owner)
    if opts.leakproof and not _is_superuser(engine):
        raise SqlError("42501", "only superuser can define a leakproof function")
    defaults = [default_nodes[i] for i in ins if default_nodes[i] is not None]
    if opts.window:  # a window function: PostgreSQL's prokind 'w' (checked against OR REPLACE first)
        r.kind = "w"
    return r, defaults


def _is_superuser(engine) -> bool:
    return authz(engine).is_superuser()


def routine_arg_types(engine, obj: ast.ObjectWithArgs, tr) -> tuple | None:
    """The input argument types an ObjectWithArgs names (OUT arguments left out), or None
    when it gives no argument list."""
    if obj.args_unspecified:
        return None
    out = []
    for p in obj.objfuncargs or ():
        mode = MODE[p.mode.value if hasattr(p.mode, "value") else p.mode]
        if mode in ("o", "t"):
            continue
        out.append(param_type(engine, p.argType, tr))
    if obj.objfuncargs is None:
        out = [param_type(engine, tn, tr) for tn in obj.objargs or ()]
    return tuple(out)


def typenames_text(obj: ast.ObjectWithArgs) -> str:
    """The argument types of a DROP/ALTER as written: pg_catalog.int4, text[] (TypeNameToString)."""
    out = []
    for tn in obj.objargs or ():
        text = ".".join(n.sval for n in tn.names) + ("%TYPE" if tn.pct_type else "")
        out.append(text + "[]" * len(tn.arrayBounds or ()))
    return ",".join(out)


def default_source(node) -> str:
    return RawStream()(node)


def is_polymorphic(t: int) -> bool:
    return t in POLYMORPHIC


__all__ = ["LANGUAGE_OIDS"]
