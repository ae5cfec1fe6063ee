"""The translator: one pglast statement -> SQLite SQL plus PostgreSQL result typing.

A Translator lives for one statement. It holds the catalog snapshot, the parameter
types (inferred in place where the client sent OID 0), and in simple-query mode the
literal values that were lifted out of the text into parameters (see pgsvc.sql.parse):
code that needs a literal's value at translation time (type modifiers, ORDER BY 1,
nextval('seq')) calls `structural_literal`, which marks the translation uncacheable.

The Translator is composed here from the mixins of this folder, one per part of the
language (expressions, coercion, operators, function calls, SELECT, FROM items, select-list
set-returning functions, DML); they call each other through `self`, so none of them
imports another. `standalone_translator` makes one for a piece translated apart from any
statement (a domain's CHECK: translate.domains, to which it is registered).
"""

from __future__ import annotations

import pglast
from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.system import information_schema as infoschema
from pgsvc.sql.catalog.system import relations as pg_relations
from pgsvc.sql.catalog.database import Catalog, Relation
from pgsvc.sql.translate.coerce import CoerceMixin
from pgsvc.sql.translate.composites import CompositeMixin
from pgsvc.sql.translate.dml import DmlMixin
from pgsvc.sql.translate import domains
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.expr import ExprMixin
from pgsvc.sql.translate.from_items import FromMixin
from pgsvc.sql.translate.funcs import FuncMixin
from pgsvc.sql.translate.grouping_sets import GroupingSetsMixin
from pgsvc.sql.translate.names import Scope
from pgsvc.sql.translate.operators import OperatorMixin
from pgsvc.sql.translate.partitions import PartitionMixin
from pgsvc.sql.translate.routines import RoutineMixin
from pgsvc.sql.translate.select import SelectMixin
from pgsvc.sql.translate.tlist_srf import TargetSrfMixin
from pgsvc.sql.translate.view_dml import ViewDmlMixin
from pgsvc.sql.translate.trigger_dml import TriggerDmlMixin
from pgsvc.sql.translate.merge import MergeMixin
from pgsvc.sql.translate.returning_from import ReturningFromMixin
from pgsvc.sql.translate.wcte import WcteMixin
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.usertypes import base_of


class Translator(ExprMixin, CoerceMixin, OperatorMixin, FuncMixin, SelectMixin, FromMixin, TargetSrfMixin,
                 ViewDmlMixin, DmlMixin, TriggerDmlMixin, RoutineMixin, CompositeMixin, GroupingSetsMixin,
                 PartitionMixin, WcteMixin, MergeMixin, ReturningFromMixin):
    def __init__(self, engine, catalog: Catalog, param_oids: list[int],
                 literals: list[tuple[str, str]] | None = None) -> None:
        self.engine = engine
        self.session = engine.session
        self.catalog = catalog
        self.param_oids = list(param_oids)
        self.literals = literals or []
        self.fixed_params = False  # (set for a simple query's statements: exec.runner.translate_stmt)
        self.scope = Scope()
        self.ctes: dict = {}
        self.windows: dict = {}
        self.writes = False
        self.writes_temp = False
        self.volatile = False
        self.mutable_call = False  # calls a function not IMMUTABLE (index expressions refuse it)
        self.index_expr = False  # translating an index's expression or predicate
        self.xact_scoped = False  # calls a function whose effect ends with the transaction (session_sigs)
        self.cacheable = True
        self.agg_forbidden: str | None = None
        self.in_window_ok = True
        self.alias_seq = 0
        self._last_operands = (None, None)
        # privileges the statement needs, checked at each execution (pgsvc.sql.catalog.authz):
        # (kind 'n' schema / 'r' relation, name or OID, letters, check-as role (0 = current), any-of)
        self.privs_needed: list[tuple] = []
        self.check_as = 0  # inside a view's query: the view owner's role
        # pg_catalog / information_schema relations the statement reads (their TEMP objects
        # are refreshed before each execution; pgsvc.sql.catalog.system.relations)
        self.syscat_used: set[str] = set()

    # --- context ------------------------------------------------------------------

    def format_context(self):
        return self.engine.fctx.format_context()

    def search_path(self) -> list[str]:
        return authz(self.engine).usable_schemas(self.engine.search_path())

    def need(self, rel: Relation, letters: str) -> None:
        """Record that the statement uses `rel` needing `letters` (pgsvc.sql.catalog.acl codes)."""
        item = ("r", rel.oid, letters, self.check_as, False)
        if item not in self.privs_needed:
            self.privs_needed.append(item)

    # --- parameters -----------------------------------------------------------------

    def param_type(self, n: int, node) -> int:
        if n < 1:
            raise SqlError("42P02", f"there is no parameter ${n}", position=location(node))
        while len(self.param_oids) < n:
            self.param_oids.append(0)
        return self.param_oids[n - 1] or O.UNKNOWN

    def set_param_type(self, n: int, oid: int) -> None:
        if self.param_oids[n - 1] in (0, O.UNKNOWN):
            self.param_oids[n - 1] = oid

    def set_param_domain(self, n: int, domain: int) -> None:
        """A parameter that took a domain's base type as a value of the domain (assigned to
        a domain column or cast to it) is described with the domain's OID, as PostgreSQL's."""
        if self.param_oids[n - 1] == base_of(domain):
            self.param_oids[n - 1] = domain

    def is_literal_param(self, n: int) -> bool:
        return n <= len(self.literals)

    def structural_literal(self, node):
        """The value of a constant used at translation time (not as a run-time value)."""
        if isinstance(node, ast.A_Const):
            v = node.val
            if isinstance(v, ast.String):
                return v.sval
            if isinstance(v, ast.Integer):
                return v.ival
            if isinstance(v, ast.Float):
                return v.fval
            return None
        if isinstance(node, ast.ParamRef) and self.is_literal_param(node.number):
            self.cacheable = False
            kind, text = self.literals[node.number - 1]
            return int(text) if kind == "i" else text
        return None

    # --- relations ------------------------------------------------------------------

    def relation(self, rv: ast.RangeVar) -> Relation:
        if rv.catalogname and rv.catalogname != self.session.database:
            raise SqlError("0A000", f"cross-database references are not implemented: "
                           f"{rv.catalogname}.{rv.schemaname}.{rv.relname}", position=location(rv))
        schema = self.engine.temp_schema if rv.schemaname == "pg_temp" else rv.schemaname
        rel = self.catalog.lookup(schema, rv.relname, self.search_path())
        if rel is None:
            name = f"{rv.schemaname}.{rv.relname}" if rv.schemaname else rv.relname
            raise SqlError("42P01", f'relation "{name}" does not exist', position=location(rv))
        if not self.check_as and not any(n[:2] == ("n", rel.schema) for n in self.privs_needed):
            # a name needs USAGE on its schema (the error points at it); an unqualified one was
            # found on the schemas usable at translation, and stays checked at each execution
            self.privs_needed.append(("n", rel.schema, "U", 0, False, location(rv)))
        return rel

    def lookup_relation_text(self, text: str, pos) -> Relation:
        parts = [p.strip('"') if p.startswith('"') else p.lower() for p in str(text).split(".")]
        schema = parts[0] if len(parts) == 2 else None
        rel = pg_relations.find(schema, parts[-1]) or infoschema.find(schema, parts[-1]) or \
            self.catalog.lookup(schema, parts[-1], self.search_path())
        if rel is None:
            raise SqlError("42P01", f'relation "{text}" does not exist', position=pos)
        return rel

    def view_query(self, rel: Relation):
        node = pglast.parse_sql(rel.viewdef)[0].stmt
        saved = (self.scope, self.ctes, self.check_as)
        # PostgreSQL checks a view's relations as the view's owner (the view itself was
        # checked as the caller by range_var)
        # (a security_invoker view's as its caller's, PostgreSQL 15)
        invoker = str(rel.options.get("security_invoker", "")).lower() in ("true", "on", "1", "yes", "t")
        self.scope, self.ctes, self.check_as = Scope(), {}, self.check_as if invoker else rel.owner
        try:
            return self.select(node)
        finally:
            self.scope, self.ctes, self.check_as = saved


def standalone_translator(engine) -> Translator:
    """A Translator over the engine's catalog for a piece translated apart from any
    statement (a domain's CHECK, VALUE bound to the checked value)."""
    return Translator(engine, engine.catalog, [])


domains.register_translator(standalone_translator)
