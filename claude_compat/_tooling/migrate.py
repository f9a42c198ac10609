"""Find every use of the Claude SDK in a code base, with its status on Letta, and rewrite the imports.

``claude-compat migrate`` is a thin command over this module. Uses are found with ``ast`` (imports,
``claude_agent_sdk.X`` attribute uses through any module alias, ``ClaudeAgentOptions(field=…)``
keywords) and looked up in the surface table. Rewrites edit the import statements in place, by
source position, so formatting, comments and every other line stay byte for byte as they were.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import os
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from claude_compat._internal.surface import OPTION_PREFIX, TABLE, NameStatus
from claude_compat._tooling import importhook

__all__ = [
    "BLOCKING",
    "STATUSES",
    "ImportRewrite",
    "Report",
    "ReportStatus",
    "Unparseable",
    "Use",
    "UseKind",
    "analyze",
    "analyze_source",
    "iter_python_files",
    "rewrite_source",
    "write",
]

ReportStatus = Literal["mapped", "emulated", "refused", "not-yet", "unlisted", "missing"]
"""The surface table's statuses, plus two for names it has no row for: ``unlisted`` (claude-compat
provides it anyway) and ``missing`` (claude-compat does not: the program fails on Letta)."""

STATUSES: tuple[ReportStatus, ...] = ("mapped", "emulated", "refused", "not-yet", "unlisted", "missing")

BLOCKING: frozenset[ReportStatus] = frozenset({"refused", "missing"})
"""Statuses that make ``migrate`` exit with status 2 (see ``Use.blocking``)."""

UseKind = Literal["module", "import", "attribute", "option"]
"""How the code uses the SDK: imports a module, imports a name from one, reads a name as a module
attribute (``sdk.query``), or passes a ``ClaudeAgentOptions`` keyword."""

_SDK = importhook.SDK_PACKAGE
_OPTIONS_CLASS = "ClaudeAgentOptions"
_SKIPPED_DIRS = frozenset({"site-packages", "dist-packages", "__pycache__", "node_modules"})


@dataclass(frozen=True)
class Use:
    """One use of the Claude SDK at ``path:line:col`` (line and column 1-based, column in characters)."""

    path: str
    line: int
    col: int
    kind: UseKind
    name: str
    """A public name (``query``), an option (``ClaudeAgentOptions.max_turns``) or a module."""
    status: ReportStatus
    note: str
    on_use: str = ""
    """What happens when used (the table's works / ignored / warns / raises); empty off the table."""

    @property
    def blocking(self) -> bool:
        """Whether the program will not run on Letta as written because of this use.

        A name claude-compat does not have, or a refused one that raises or is ignored with a
        warning. A refused name accepted with no effect (``except CLINotFoundError``) does not block.
        """
        return self.status in BLOCKING and self.on_use != "ignored"

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``--json``."""
        return {**dataclasses.asdict(self), "blocking": self.blocking}


@dataclass(frozen=True)
class ImportRewrite:
    """An import statement of the Claude SDK and what ``--write`` makes of it."""

    path: str
    line: int
    old: str
    new: str
    """The statement as rewritten; equal to ``old`` when it cannot be rewritten (see ``reason``)."""
    reason: str = ""
    """Why the statement is left as it is, for one that needs a hand edit."""

    @property
    def rewritable(self) -> bool:
        """Whether ``--write`` changes the statement."""
        return self.new != self.old

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``--json``."""
        return {**dataclasses.asdict(self), "rewritable": self.rewritable}


@dataclass(frozen=True)
class Unparseable:
    """A Python file that could not be read or parsed (reported, then skipped)."""

    path: str
    line: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``--json``."""
        return dataclasses.asdict(self)


@dataclass
class Report:
    """Everything ``migrate`` found under one path."""

    root: str
    files_scanned: int = 0
    uses: list[Use] = field(default_factory=list)
    imports: list[ImportRewrite] = field(default_factory=list)
    unparseable: list[Unparseable] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    """Files ``write`` rewrote."""

    @property
    def files_using_sdk(self) -> list[str]:
        """Files with at least one use, in report order."""
        return list(dict.fromkeys(use.path for use in self.uses))

    def summary(self) -> dict[ReportStatus, int]:
        """Number of uses per status (every status present, zero or not)."""
        counts: dict[ReportStatus, int] = dict.fromkeys(STATUSES, 0)
        for use in self.uses:
            counts[use.status] += 1
        return counts

    @property
    def blocking(self) -> list[Use]:
        """Uses that keep the program from running on Letta as written (``Use.blocking``)."""
        return [use for use in self.uses if use.blocking]

    @property
    def exit_status(self) -> int:
        """2 when a use blocks (something refused that raises or warns, or missing), else 0."""
        return 2 if self.blocking else 0

    def to_json(self) -> dict[str, Any]:
        """The report as plain data (the ``--json`` output)."""
        return {
            "root": self.root,
            "files_scanned": self.files_scanned,
            "files_using_sdk": self.files_using_sdk,
            "summary": self.summary(),
            "uses": [use.to_json() for use in self.uses],
            "blocking": [use.to_json() for use in self.blocking],
            "imports": [rewrite.to_json() for rewrite in self.imports],
            "unparseable": [item.to_json() for item in self.unparseable],
            "written": self.written,
            "exit_status": self.exit_status,
        }


# --- finding files ----------------------------------------------------------------------------


def iter_python_files(root: Path) -> Iterator[Path]:
    """Python files under ``root`` (or ``root`` itself), sorted; skips hidden dirs and environments.

    Skipped: directories whose name starts with a dot (``.venv``, ``.git``, ``.tox``),
    ``site-packages``, ``dist-packages``, ``__pycache__``, ``node_modules``, and any virtual
    environment (a directory holding ``pyvenv.cfg``).
    """
    if root.is_file():
        yield root
        return
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(
            name
            for name in subdirs
            if not name.startswith(".")
            and name not in _SKIPPED_DIRS
            and not os.path.exists(os.path.join(directory, name, "pyvenv.cfg"))
        )
        for name in sorted(files):
            if name.endswith((".py", ".pyi")):
                yield Path(directory, name)


# --- analysis ---------------------------------------------------------------------------------


def analyze(path: Path | str) -> Report:
    """Every use of the Claude SDK under ``path`` (a directory or one file).

    Paths in the report are ``path`` joined with each file's path below it. Files that cannot be
    read or parsed go to ``Report.unparseable``. FileNotFoundError when ``path`` does not exist.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"no file or directory at {path}")
    report = Report(root=str(path))
    for file in iter_python_files(root):
        shown = str(path) if root.is_file() else str(Path(path) / file.relative_to(root))
        report.files_scanned += 1
        try:
            source, _ = _read(file)
            uses, rewrites = analyze_source(source, shown)
        except SyntaxError as exc:
            report.unparseable.append(Unparseable(shown, exc.lineno, exc.msg))
            continue
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            report.unparseable.append(Unparseable(shown, None, str(exc)))
            continue
        report.uses.extend(uses)
        report.imports.extend(rewrites)
    return report


def analyze_source(source: str, path: str = "<string>") -> tuple[list[Use], list[ImportRewrite]]:
    """The uses and import statements of the Claude SDK in one module's source (SyntaxError if invalid)."""
    finder = _Finder(path, _Lines(source))
    finder.run(ast.parse(source, filename=path))
    return finder.uses, finder.rewrites


def rewrite_source(source: str) -> str:
    """``source`` with its Claude SDK imports rewritten to claude-compat; every other byte kept."""
    finder = _Finder("<string>", _Lines(source))
    finder.run(ast.parse(source))
    return _apply(source, finder.edits)


def write(report: Report) -> list[str]:
    """Rewrite the imports of every file of ``report`` that has rewritable ones; the files written.

    Each file is read again and rewritten from its current content, in its own encoding and line
    endings.
    """
    paths = list(dict.fromkeys(rewrite.path for rewrite in report.imports if rewrite.rewritable))
    for shown in paths:
        file = Path(shown)
        source, encoding = _read(file)
        new = rewrite_source(source)
        if new != source:
            file.write_bytes(new.encode(encoding))
    report.written = paths
    return paths


def _read(file: Path) -> tuple[str, str]:
    """A file's text, decoded as Python decodes it (coding cookie, BOM), newlines untouched."""
    raw = file.read_bytes()
    with file.open("rb") as stream:
        encoding, _ = tokenize.detect_encoding(stream.readline)
    return raw.decode(encoding), encoding


class _Lines:
    """Maps ast positions (1-based line, UTF-8 byte column) to offsets in the source text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", source))]

    def offset(self, line: int, byte_col: int) -> int:
        """The character offset of a position."""
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.source)
        prefix = self.source[start:end].encode("utf-8")[:byte_col]
        return start + len(prefix.decode("utf-8", errors="replace"))

    def col(self, line: int, byte_col: int) -> int:
        """The 1-based character column of a position."""
        return self.offset(line, byte_col) - self.starts[line - 1] + 1


@dataclass(frozen=True)
class _Binding:
    """What a local name refers to: a Claude SDK module, or a public name of one."""

    module: str
    name: str | None = None  # None: the name is bound to the module itself


_Edit = tuple[int, int, str]  # start offset, end offset, replacement


class _Finder(ast.NodeVisitor):
    """Collects uses, import rewrites and their edits over one module's tree."""

    def __init__(self, path: str, lines: _Lines) -> None:
        self.path = path
        self.lines = lines
        self.bindings: dict[str, _Binding] = {}
        self.uses: list[Use] = []
        self.rewrites: list[ImportRewrite] = []
        self.edits: list[_Edit] = []

    def run(self, tree: ast.Module) -> None:
        """Imports first (they bind the names), then the attribute uses and option keywords."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                self._import(node)
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node)
        self.visit(tree)
        self.uses.sort(key=lambda use: (use.line, use.col))
        self.rewrites.sort(key=lambda rewrite: rewrite.line)

    # -- reporting ---------------------------------------------------------------------------

    def _use(
        self, node: ast.AST, kind: UseKind, name: str, status: ReportStatus, note: str, on_use: str
    ) -> None:
        line = getattr(node, "lineno", 1)
        col = self.lines.col(line, getattr(node, "col_offset", 0))
        self.uses.append(Use(self.path, line, col, kind, name, status, note, on_use))

    def _name_use(self, node: ast.AST, kind: UseKind, module: str, name: str) -> None:
        """A public name read from ``module`` (a Claude SDK module that maps)."""
        status, note, on_use = _status_of_name(module, name)
        self._use(node, kind, name, status, note, on_use)

    def _module_use(self, node: ast.AST, module: str) -> None:
        target = importhook.target_of(module)
        if target is not None:
            self._use(node, "module", module, "mapped", f"becomes {target}", "works")
        else:
            reason = importhook.unsupported_reason(module) or "not a Claude SDK module"
            self._use(node, "module", module, "refused", reason, "raises")

    # -- imports -----------------------------------------------------------------------------

    def _import(self, node: ast.Import) -> None:
        edits: list[_Edit] = []
        reasons: list[str] = []
        for alias in node.names:
            if not _is_sdk(alias.name):
                continue
            self._module_use(alias, alias.name)
            local = alias.asname or alias.name.partition(".")[0]
            self.bindings[local] = _Binding(alias.name if alias.asname else _SDK)
            new, reason = _rewrite_import_alias(alias.name, alias.asname)
            if new is None:
                reasons.append(reason)
            else:
                edits.append((*self._span(alias), new))
        if edits or reasons:
            self._record(node, edits, reasons)

    def _import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not _is_sdk(module):
            return
        target = importhook.target_of(module)
        if target is None:
            self._module_use(node, module)
            reason = importhook.unsupported_reason(module) or ""
            self._record(node, [], [f"{module}: {reason}"])
            return
        edits: list[_Edit] = []
        reasons: list[str] = []
        module_span = self._module_span(node, module)
        if module_span is None:
            reasons.append(f"{module}: could not locate the module name in the statement")
        else:
            edits.append((*module_span, target))
        for alias in node.names:
            if alias.name == "*":
                self._use(
                    alias,
                    "import",
                    "*",
                    "unlisted",
                    f"every public name; {target} exports the same names",
                    "works",
                )
                for name in TABLE:
                    if not name.startswith(OPTION_PREFIX):
                        self.bindings[name] = _Binding(module, name)
                continue
            local = alias.asname or alias.name
            submodule = f"{module}.{alias.name}"
            if _is_known_module(submodule):
                if _is_attribute_of(module, alias.name):
                    # `from claude_agent_sdk import query`: the function, not the module.
                    self._name_use(alias, "import", module, alias.name)
                    self.bindings[local] = _Binding(module, alias.name)
                    continue
                self._module_use(alias, submodule)
                self.bindings[local] = _Binding(submodule)
                renamed = _rewrite_from_alias(submodule, target, alias.asname)
                if renamed is not None:
                    edits.append((*self._span(alias), renamed))
                elif importhook.target_of(submodule) is None:
                    reasons.append(f"{submodule}: {importhook.unsupported_reason(submodule)}")
                continue
            self._name_use(alias, "import", module, alias.name)
            self.bindings[local] = _Binding(module, alias.name)
        self._record(node, edits, reasons)

    def _record(self, node: ast.stmt, edits: list[_Edit], reasons: list[str]) -> None:
        start = self.lines.offset(node.lineno, node.col_offset)
        end = self.lines.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
        old = self.lines.source[start:end]
        if reasons:
            # Half-rewritten statements help nobody: leave the statement for a hand edit.
            new, reason = old, "; ".join(reasons)
        else:
            new, reason = _apply(old, [(s - start, e - start, text) for s, e, text in edits]), ""
            self.edits.extend(edits)
        self.rewrites.append(ImportRewrite(self.path, node.lineno, old, new, reason))

    def _span(self, node: ast.alias) -> tuple[int, int]:
        start = self.lines.offset(node.lineno, node.col_offset)
        end = self.lines.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
        return start, end

    def _module_span(self, node: ast.ImportFrom, module: str) -> tuple[int, int] | None:
        """Where the module name of ``from <module> import …`` is written (spaces and all)."""
        start = self.lines.offset(node.lineno, node.col_offset)
        end = self.lines.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
        parts = [re.escape(part) for part in module.split(".")]
        dotted = r"(?:\s|\\\r?\n)*\.(?:\s|\\\r?\n)*".join(parts)
        match = re.compile(rf"from(?:\s|\\\r?\n)+({dotted})\b").match(self.lines.source, start, end)
        return (match.start(1), match.end(1)) if match else None

    # -- attribute uses and options --------------------------------------------------------

    def visit_Attribute(self, node: ast.Attribute) -> None:
        owner = self._module_of(node.value)
        if owner is not None and self._module_of(node) is None:
            if _is_known_module(f"{owner}.{node.attr}") and not _is_attribute_of(owner, node.attr):
                self._module_use(node, f"{owner}.{node.attr}")  # one with no counterpart
            else:
                self._name_use(node, "attribute", owner, node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if self._name_of(node.func) == _OPTIONS_CLASS:
            for keyword in node.keywords:
                if keyword.arg is not None:
                    status, note, on_use = _status_of_option(keyword.arg)
                    self._use(keyword, "option", OPTION_PREFIX + keyword.arg, status, note, on_use)
        self.generic_visit(node)

    def _module_of(self, node: ast.expr) -> str | None:
        """The Claude SDK module an expression names (``sdk``, ``claude_agent_sdk.types``), if any."""
        if isinstance(node, ast.Name):
            binding = self.bindings.get(node.id)
            return binding.module if binding is not None and binding.name is None else None
        if isinstance(node, ast.Attribute):
            owner = self._module_of(node.value)
            if owner is None:
                return None
            submodule = f"{owner}.{node.attr}"
            if importhook.target_of(submodule) is not None and not _is_attribute_of(owner, node.attr):
                return submodule
        return None

    def _name_of(self, node: ast.expr) -> str | None:
        """The Claude SDK public name an expression refers to (``ClaudeAgentOptions``), if any."""
        if isinstance(node, ast.Name):
            binding = self.bindings.get(node.id)
            return binding.name if binding is not None else None
        if isinstance(node, ast.Attribute) and self._module_of(node.value) is not None:
            return node.attr
        return None


def _is_sdk(module: str) -> bool:
    return module == _SDK or module.startswith(_SDK + ".")


def _is_known_module(module: str) -> bool:
    """Whether ``module`` is a Claude SDK module, one that maps or one with no counterpart."""
    if importhook.target_of(module) is not None:
        return True
    return any(module == prefix or module.startswith(prefix + ".") for prefix in importhook.UNSUPPORTED)


def _is_attribute_of(module: str, name: str) -> bool:
    """Whether ``module.name`` is a public name rather than a submodule (``claude_agent_sdk.query``)."""
    return module == _SDK and name in TABLE


def _rewrite_import_alias(module: str, asname: str | None) -> tuple[str | None, str]:
    """The new text of ``import <module> [as <asname>]``, or None and why it needs a hand edit."""
    target = importhook.target_of(module)
    if target is None:
        return None, f"{module}: {importhook.unsupported_reason(module)}"
    if asname is not None:
        return f"{target} as {asname}", ""
    # `import claude_agent_sdk[.sub]` binds `claude_agent_sdk`; the code goes on using that name.
    root_target = importhook.target_of(_SDK)
    sub = module.removeprefix(_SDK).lstrip(".")
    if not sub or target == f"{root_target}.{sub}":
        return f"{root_target} as {_SDK}", ""
    return None, (
        f"{module}: the code reaches it as {module}, which has no claude-compat counterpart; "
        f"write `import {target}` and use that name"
    )


def _rewrite_from_alias(submodule: str, target: str, asname: str | None) -> str | None:
    """New text for ``from <pkg> import <sub>`` where ``sub`` has another name in claude-compat."""
    new_target = importhook.target_of(submodule)
    if new_target is None:
        return None
    package, _, new_name = new_target.rpartition(".")
    old_name = submodule.rpartition(".")[2]
    if package != target or new_name == old_name:
        return None  # nothing to rename (or nothing a from-import can say)
    return f"{new_name} as {asname or old_name}"


def _status_of_name(module: str, name: str) -> tuple[ReportStatus, str, str]:
    """Status, note and on-use of a name read from a Claude SDK module that maps."""
    target = importhook.target_of(module) or importhook.target_of(_SDK) or "claude_compat"
    provided = hasattr(importlib.import_module(target), name)
    row: NameStatus | None = TABLE.get(name)
    if row is not None and provided:
        return row.status, row.note, row.on_use
    if provided:
        return "unlisted", f"not in the Claude SDK's public table; {target} provides it", "works"
    return "missing", f"{target} has no {name}: the program fails on Letta where it uses it", "raises"


def _status_of_option(option: str) -> tuple[ReportStatus, str, str]:
    """Status, note and on-use of a ``ClaudeAgentOptions`` keyword."""
    row = TABLE.get(OPTION_PREFIX + option)
    if row is not None:
        return row.status, row.note, row.on_use
    options_class = importlib.import_module("claude_compat.types").ClaudeAgentOptions
    if option in {f.name for f in dataclasses.fields(options_class)}:
        return "unlisted", "a claude-compat extension option", "works"
    return "missing", f"{_OPTIONS_CLASS} has no field {option!r} (a typo, or a newer Claude SDK?)", "raises"


def _apply(text: str, edits: Sequence[_Edit]) -> str:
    """``text`` with non-overlapping (start, end, replacement) edits applied."""
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text
