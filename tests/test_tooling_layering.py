"""The developer tooling stays off the runtime path: no runtime module imports it, even lazily.

The tooling (``claude_compat._tooling``: ab, migrate, run's import hook, sessions import) and the
CLI that drives it (``_cli``, ``_commands``) import the runtime; a program that imports
``claude_compat`` must never load them. Every import is read from the source with ``ast`` (module
level, function level, under ``TYPE_CHECKING``, and ``importlib.import_module("...")`` with a
literal name), so an import that runs only on one path is caught too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The tooling side: what the runtime must not import.
TOOLING = (
    "claude_compat._tooling",
    "claude_compat._commands",
    "claude_compat._cli",
    "claude_compat._cli_progress",
    "claude_compat.__main__",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_tooling(name: str) -> bool:
    return any(name == t or name.startswith(t + ".") for t in TOOLING)


def _runtime_files() -> list[Path]:
    """Every module of the two packages but the tooling side's own."""
    files = [*sorted((ROOT / "claude_compat").rglob("*.py")), *sorted((ROOT / "letta_backend").rglob("*.py"))]
    return [f for f in files if not _is_tooling(_module_name(f))]


def imported_names(path: Path) -> set[str]:
    """Every module ``path`` may import: ``import x``, ``from x import y`` (also ``x.y``, y may be a
    module), relative imports resolved, and ``importlib.import_module("literal")``."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
        elif isinstance(node, ast.JoinedStr):  # import_module(f"claude_compat._tooling.{name}")
            head = node.values[0] if node.values else None
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                names.add(head.value.rstrip("."))
    return names


def test_the_scan_sees_every_kind_of_import_the_tooling_side_makes() -> None:
    """The scanner is not blind: it finds the CLI's lazy import of its commands and run's import hook."""
    assert "claude_compat._tooling.importhook" in imported_names(ROOT / "claude_compat/_commands/run.py")
    assert "claude_compat._commands" in imported_names(ROOT / "claude_compat/_cli.py")
    # a function-level import inside the ab command
    assert "claude_compat._tooling.ab" in imported_names(ROOT / "claude_compat/_commands/ab.py")
    # a relative import, resolved
    assert "claude_compat._internal.shell" in imported_names(ROOT / "claude_compat/_internal/rules.py")
    # importlib.import_module with a literal name
    assert "claude_compat._tooling.importhook" in imported_names(ROOT / "claude_compat/_tooling/ab.py")


@pytest.mark.parametrize("path", _runtime_files(), ids=lambda p: _module_name(p))
def test_a_runtime_module_never_imports_the_tooling(path: Path) -> None:
    """A program on claude-compat loads none of ab, migrate, the import hook, sessions import or the CLI."""
    offending = sorted(name for name in imported_names(path) if _is_tooling(name))
    assert not offending, f"{_module_name(path)} imports the tooling side: {offending}"


def test_importing_the_public_surface_loads_no_tooling_module() -> None:
    """What the scan promises, seen in a fresh interpreter importing every public module."""
    program = (
        "import sys\n"
        "import claude_compat, claude_compat.query, claude_compat.client, claude_compat.v2\n"
        "import claude_compat.sessions, claude_compat.types, claude_compat.tools, claude_compat.testing\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    loaded = done.stdout.split()
    assert "claude_compat.types" in loaded
    assert [name for name in loaded if _is_tooling(name)] == []
