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

#: What the turn engine still reads of letta_backend directly: translation tables and text cleaning,
#: no backend. Everything else reaches it through the Backend protocol.
ENGINE_MAY_IMPORT = frozenset({"letta_backend", "letta_backend.mapping", "letta_backend.text"})


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    """A module or package of this repository."""
    path = ROOT / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports anywhere in it: ``from a import b`` is ``a.b`` when that is one
    of this repository's modules, else ``a``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
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


def test_the_engine_reaches_the_backend_only_through_the_protocol() -> None:
    engine = ROOT / "claude_compat/_internal/engine.py"
    modules = {m for m in imported(engine) if m.split(".")[0] == "letta_backend"}
    assert modules <= ENGINE_MAY_IMPORT, f"the engine imports {sorted(modules - ENGINE_MAY_IMPORT)}"


def test_the_scan_sees_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    # the checks above are only as good as the scan: a nested relative import is found and resolved
    seen = imported(ROOT / "letta_backend/letta_registry.py")
    assert "claude_compat.errors" in seen  # imported inside a function there
    assert "letta_backend.registry" in seen  # ``from .registry import …``
