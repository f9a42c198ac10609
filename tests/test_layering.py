"""Dependencies point one way: letta_backend sees of claude_compat only the error tree and the leaves.

Every import statement counts, at module level or inside a function or ``if TYPE_CHECKING`` block;
relative imports are resolved. Read from the source, so no server and no import side effects.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: What letta_backend may import of claude_compat: the error tree and the dependency-free leaves.
BACKEND_MAY_IMPORT = frozenset(
    {"claude_compat.errors", "claude_compat._backend", "claude_compat._private_files"}
)

#: Leaves both sides import: the standard library and the error tree only.
LEAVES = ("claude_compat/_backend.py", "claude_compat/errors.py", "claude_compat/_private_files.py")

#: Named exceptions, each with its reason. ``letta_backend.native`` is the migration guide's path of
#: the Letta-native API, a Claude-shaped facade (a V2 Session) that re-exports claude_compat's.
EXCEPTIONS: dict[str, frozenset[str]] = {
    "letta_backend/native.py": frozenset({"claude_compat._internal.native"}),
}

#: The engine's modules (the turn loop, the message shapes, the accounting) and what each still reads
#: of letta_backend directly: translation tables and text cleaning, no backend. Everything else
#: reaches the backend through the Backend protocol.
ENGINE_MODULES: dict[str, frozenset[str]] = {
    "claude_compat/_internal/engine.py": frozenset({"letta_backend.text"}),
    "claude_compat/_internal/messages.py": frozenset({"letta_backend.mapping"}),
    "claude_compat/_internal/accounting.py": frozenset({"letta_backend.mapping"}),
}

#: The longest function the engine's modules may hold: a longer one is split into named steps.
ENGINE_MAX_FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    """A module or package of this repository."""
    path = ROOT / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imported(path: Path, statements: list[ast.stmt] | None = None) -> set[str]:
    """Every module ``path`` imports anywhere in it (or in just these of its ``statements``):
    ``from a import b`` is ``a.b`` when that is one of this repository's modules, else ``a``."""
    if statements is None:
        statements = ast.parse(path.read_text(encoding="utf-8"), str(path)).body
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in (n for statement in statements for n in ast.walk(statement)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                found.add(f"{module}.{alias.name}" if is_module(f"{module}.{alias.name}") else module)
    return found


def claude_imports(path: Path) -> set[str]:
    """The claude_compat modules ``path`` imports."""
    return {m for m in imported(path) if m == "claude_compat" or m.startswith("claude_compat.")}


BACKEND_FILES = sorted((ROOT / "letta_backend").rglob("*.py"))


@pytest.mark.parametrize("path", BACKEND_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_letta_backend_imports_only_the_error_tree_and_the_leaves_of_claude_compat(path: Path) -> None:
    rel = str(path.relative_to(ROOT))
    allowed = BACKEND_MAY_IMPORT | EXCEPTIONS.get(rel, frozenset())
    assert claude_imports(path) <= allowed, f"{rel} imports {sorted(claude_imports(path) - allowed)}"


def test_each_named_exception_is_still_needed() -> None:
    for rel, modules in EXCEPTIONS.items():
        assert modules <= claude_imports(ROOT / rel), f"{rel} no longer needs its exception: drop it"


@pytest.mark.parametrize("rel", LEAVES)
def test_a_leaf_imports_the_standard_library_and_the_error_tree_only(rel: str) -> None:
    outside = {m for m in imported(ROOT / rel) if m.split(".")[0] not in sys.stdlib_module_names}
    assert outside <= {"claude_compat.errors"}, f"{rel} imports {sorted(outside - {'claude_compat.errors'})}"


@pytest.mark.parametrize("rel", sorted(ENGINE_MODULES))
def test_the_engine_reaches_the_backend_only_through_the_protocol(rel: str) -> None:
    modules = {m for m in imported(ROOT / rel) if m.split(".")[0] == "letta_backend"}
    # equal, not a subset: an import that goes away is struck from the table too
    assert modules == ENGINE_MODULES[rel], f"{rel} imports {sorted(modules)} of letta_backend"


def test_every_engine_module_is_listed() -> None:
    found = {str(p.relative_to(ROOT)) for p in (ROOT / "claude_compat/_internal").glob("engine*.py")}
    assert found <= set(ENGINE_MODULES), f"add {sorted(found - set(ENGINE_MODULES))} to ENGINE_MODULES"


@pytest.mark.parametrize("rel", sorted(ENGINE_MODULES))
def test_the_engine_imports_no_tool_host_and_nothing_lazily(rel: str) -> None:
    # the tool host starts engines (subagents): the engine gets its tool host from its caller
    assert "claude_compat._internal.toolhost" not in imported(ROOT / rel)
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
    lazy = [
        f"line {node.lineno}"
        for function in ast.walk(tree)
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(function)
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    assert not lazy, f"{rel} imports inside a function at {', '.join(lazy)}: import at module level"


@pytest.mark.parametrize("rel", sorted(ENGINE_MODULES))
def test_no_engine_function_is_longer_than_the_limit(rel: str) -> None:
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
    long = {
        f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > ENGINE_MAX_FUNCTION_LINES
    }
    assert not long, f"split into named steps: {sorted(long)}"


def module_level_imports(path: Path) -> set[str]:
    """The repository's modules ``path`` imports when it is imported: its module-level statements
    (and those in a module-level ``try``), not ``if TYPE_CHECKING`` blocks nor function bodies."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    top = [n for node in tree.body for n in (node.body if isinstance(node, ast.Try) else [node])]
    statements: list[ast.stmt] = [n for n in top if isinstance(n, (ast.Import, ast.ImportFrom))]
    return {m for m in imported(path, statements) if is_module(m)}


def test_no_two_modules_import_each_other_at_import_time() -> None:
    graph = {
        module_name(path): module_level_imports(path)
        for package in ("claude_compat", "letta_backend")
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    cycle = _a_cycle(graph)
    assert cycle is None, "an import cycle: " + " -> ".join(cycle or [])


def _a_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (its modules in order, the first again at the end), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done or module not in graph:
            return None
        path.append(module)
        for dependency in sorted(graph[module]):
            found = visit(dependency)
            if found is not None:
                return found
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        found = visit(module)
        if found is not None:
            return found
    return None


def test_the_cycle_check_finds_a_cycle() -> None:
    # the check above is only as good as its search: a cycle through three modules is found
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert _a_cycle(graph) == ["a", "b", "c", "a"]
    assert _a_cycle({"a": {"b"}, "b": set()}) is None


def test_the_scan_sees_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    # the checks above are only as good as the scan: a nested relative import is found and resolved
    seen = imported(ROOT / "letta_backend/letta_registry.py")
    assert "claude_compat.errors" in seen  # imported inside a function there
    assert "letta_backend.registry" in seen  # ``from .registry import …``
