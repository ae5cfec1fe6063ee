"""The shape of the code, checked on every `make test` (pgsvc/sql/README.md states the rule).

The import graph of pgsvc is read statically with `ast`, module-level and function-level
imports alike: an import written inside a function hides a cycle from Python, it does not
remove it. `make lint` checks the same layers with import-linter (pyproject.toml); this test
keeps the rule in the suite CI runs, and adds what import-linter does not say: no cycle
anywhere in the package, few function-level imports (each with its reason), short modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "pgsvc"

# pgsvc.sql's stages, lowest first; the modules directly in pgsvc/sql/ form the base.
SQL_STAGES = ["types", "functions", "catalog", "translate", "deparse", "pg_functions",
              "commands", "exec"]
# What the backend may use of the SQL layer: the contract, the types (it encodes rows),
# the engine.
BACKEND_MAY_USE = ("pgsvc.sql.api", "pgsvc.sql.types", "pgsvc.sql.exec.engine")
MAX_FUNCTION_LEVEL_IMPORTS = 30
# The command line loads each command's code only when that command runs (`pgsvc status`
# must not pay for the SQL layer): its function-level imports are the point.
LAZY_BY_DESIGN = {"pgsvc.cli", "pgsvc.__main__"}
MAX_LINES = 600


def module_files() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = module_files()


def resolve(name: str) -> str | None:
    """The longest prefix of a dotted name that is a pgsvc module."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in MODULES:
            return ".".join(parts)
        parts.pop()
    return None


class Import:
    def __init__(self, source: str, target: str, lineno: int, in_function: bool):
        self.source, self.target, self.lineno, self.in_function = source, target, lineno, in_function

    def __repr__(self) -> str:
        where = " (in a function)" if self.in_function else ""
        return f"{self.source}:{self.lineno} -> {self.target}{where}"


def imports_of(module: str, path: Path) -> list[Import]:
    is_package = path.name == "__init__.py"
    out: list[Import] = []

    def targets(node) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[:len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        return [f"{prefix}.{a.name}" if resolve(f"{prefix}.{a.name}") != resolve(prefix)
                else prefix for a in node.names]

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for name in targets(child):
                    target = resolve(name)
                    if target and target != module:
                        out.append(Import(module, target, child.lineno, in_function))
            visit(child, nested)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return out


IMPORTS = [imp for module, path in MODULES.items() for imp in imports_of(module, path)]


def sql_stage(module: str) -> int | None:
    """The rank of a pgsvc.sql module's stage (0 = the base modules), None outside pgsvc.sql."""
    parts = module.split(".")
    if parts[:2] != ["pgsvc", "sql"]:
        return None
    if len(parts) == 2:
        return len(SQL_STAGES) + 1  # the package itself sits above its stages
    return SQL_STAGES.index(parts[2]) + 1 if parts[2] in SQL_STAGES else 0


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph is a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(sorted(component))
    return out


def test_no_import_cycle_anywhere_in_pgsvc():
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for imp in IMPORTS:
        graph[imp.source].add(imp.target)
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    assert cycles == []


def test_sql_stages_import_only_downward():
    upward = [imp for imp in IMPORTS
              if sql_stage(imp.source) is not None and sql_stage(imp.target) is not None
              and sql_stage(imp.target) > sql_stage(imp.source)]
    assert upward == []


def test_sql_layer_does_not_import_the_processes_above_it():
    above = ("pgsvc.backend", "pgsvc.supervisor.postmaster", "pgsvc.cli", "pgsvc.control",
             "pgsvc.dump", "pgsvc.monitor", "pgsvc.client")
    wrong = [imp for imp in IMPORTS if imp.source.startswith("pgsvc.sql")
             and any(imp.target == name or imp.target.startswith(name + ".") for name in above)]
    assert wrong == []  # (pgsvc.client_encodings is no part of the pgsvc.client package)


def test_backend_reaches_sql_only_through_its_contract():
    wrong = [imp for imp in IMPORTS if imp.source.startswith("pgsvc.backend")
             and imp.target.startswith("pgsvc.sql")
             and not imp.target.startswith(BACKEND_MAY_USE)]
    assert wrong == []


def has_reason(imp: Import) -> bool:
    """A function-level import says why it is one: a comment on its line, or just above the
    group of import lines it belongs to."""
    lines = MODULES[imp.source].read_text(encoding="utf-8").splitlines()
    if "#" in lines[imp.lineno - 1]:
        return True
    at = imp.lineno - 2
    while at >= 0 and lines[at].strip().startswith(("import ", "from ")):
        at -= 1
    return at >= 0 and lines[at].strip().startswith("#")


def test_function_level_imports_are_few_and_say_why():
    lazy = [imp for imp in IMPORTS if imp.in_function and imp.source not in LAZY_BY_DESIGN]
    assert len(lazy) <= MAX_FUNCTION_LEVEL_IMPORTS, lazy
    assert [imp for imp in lazy if not has_reason(imp)] == []


def test_no_private_names_imported_from_another_module():
    wrong = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pgsvc"):
                wrong += [f"{module}: {node.module}.{a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert wrong == []


def test_modules_are_short():
    long = []
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES and "generated" not in text[:600].lower():
            long.append((module, text.count("\n")))
    assert long == []


def test_every_package_says_its_stage():
    undocumented = [module for module, path in MODULES.items()
                    if path.name == "__init__.py" and module.startswith("pgsvc.sql")
                    and not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert undocumented == []


def test_test_module_names_are_unique_across_test_folders():
    # pytest imports test modules by basename (rootdir-relative, no packages): two files of
    # one name in tests/unit and tests/integration stop the whole run at collection.
    seen: dict[str, Path] = {}
    clashes = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if path.name in seen:
            clashes.append(f"{seen[path.name].relative_to(ROOT)} and {path.relative_to(ROOT)}")
        seen.setdefault(path.name, path)
    assert not clashes, clashes
