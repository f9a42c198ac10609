"""What every built-in tool shares: its context, its record, input checks and result shapes.

A tool body raises :class:`InputError` (the CLI's ``validateInput`` failures, shown to the model
inside ``<tool_use_error>`` tags) or :class:`ToolFailure` (failures while running, shown as plain
text); :func:`make_tool` turns both, and any other exception, into an error ``ToolOutcome``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._private_files import private_dir
from ..tool_types import ToolOutcome


@dataclass
class ToolContext:
    """Where and for whom a built-in tool runs: the session's directories, environment and state."""

    cwd: Path
    add_dirs: list[Path]
    env: dict[str, str]  # os.environ merged with options.env (Bash)
    session_id: str
    state: dict[str, Any] = field(default_factory=dict)  # per-session mutable state
    ask_user: Callable[[dict[str, Any]], Awaitable[dict[str, str] | None]] | None = None


RunFn = Callable[[dict[str, Any], ToolContext], Awaitable[ToolOutcome]]
PathsFn = Callable[[dict[str, Any], ToolContext], list[Path]]


@dataclass(frozen=True)
class BuiltinTool:
    """One Claude Code built-in tool: its schema as the model sees it and how to run it locally."""

    name: str
    description: str
    input_schema: dict[str, Any]  # JSON schema with the Claude field names
    run: RunFn  # never raises: failures become error outcomes
    read_only: bool  # safe in plan mode
    edits_files: bool  # auto-allowed in acceptEdits mode
    paths: PathsFn  # absolute paths the call touches (for the cwd / add_dirs check)


class InputError(Exception):
    """The call is refused before running (bad input, missing file…): ``<tool_use_error>`` text."""


class ToolFailure(Exception):
    """The call failed while running: plain error text, as the CLI shows thrown errors."""


def outcome(
    content: str | list[dict[str, Any]], structured: Any = None, *, is_error: bool = False
) -> ToolOutcome:
    """A tool result (successful unless ``is_error``)."""
    return ToolOutcome(content=content, is_error=is_error, structured=structured)


def error_outcome(message: str, *, wrapped: bool) -> ToolOutcome:
    """An error result; ``tool_use_result`` is ``"Error: <message>"`` as the Claude SDK shows it."""
    content = f"<tool_use_error>{message}</tool_use_error>" if wrapped else message
    return ToolOutcome(content=content, is_error=True, structured=f"Error: {message}")


def denied_outcome(message: str) -> ToolOutcome:
    """A refusal: an error result the engine also lists in ``ResultMessage.permission_denials``."""
    return ToolOutcome(content=message, is_error=True, structured=f"Error: {message}", denied=True)


Body = Callable[[dict[str, Any], ToolContext], Awaitable[ToolOutcome]]


def make_tool(
    name: str,
    description: str,
    schema: dict[str, Any],
    body: Body,
    *,
    read_only: bool,
    edits_files: bool = False,
    paths: PathsFn | None = None,
) -> BuiltinTool:
    """Wrap ``body`` so the input is checked first and no exception escapes."""

    async def run(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
        try:
            checked = check_input(name, schema, tool_input)
            return await body(checked, ctx)
        except InputError as exc:
            return error_outcome(str(exc), wrapped=True)
        except ToolFailure as exc:
            return error_outcome(str(exc), wrapped=False)
        except Exception as exc:  # a tool never raises: the model gets the reason instead
            return error_outcome(f"{name} failed: {type(exc).__name__}: {exc}", wrapped=False)

    def safe_paths(tool_input: dict[str, Any], ctx: ToolContext) -> list[Path]:
        if paths is None:
            return []
        try:
            return paths(tool_input, ctx)
        except Exception:
            return []

    # as the CLI's: a built-in tool's schema is closed to fields it does not name
    offered = {**schema, "additionalProperties": False}
    return BuiltinTool(name, description, offered, run, read_only, edits_files, safe_paths)


# --- input checks: required fields, JSON types (with the lenient coercions the CLI applies) ---

_TYPE_NAMES = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else type(value).__name__


def _coerce(value: Any, want: str) -> tuple[bool, Any]:
    """Convert ``value`` to JSON type ``want`` where the meaning is unambiguous ("5" → 5, "true" → True)."""
    if want == "string":
        return isinstance(value, str), value
    if want in ("integer", "number"):
        if isinstance(value, bool):
            return False, value
        if isinstance(value, str):
            try:
                value = float(value.strip()) if "." in value else int(value.strip())
            except ValueError:
                return False, value
        if isinstance(value, float) and want == "integer":
            if not value.is_integer():
                return False, value
            value = int(value)
        return isinstance(value, (int, float)), value
    if want == "boolean":
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return True, value.strip().lower() == "true"
        return isinstance(value, bool), value
    if want == "array":
        return isinstance(value, list), value
    if want == "object":
        return isinstance(value, dict), value
    return True, value


def check_input(tool: str, schema: Mapping[str, Any], tool_input: Any) -> dict[str, Any]:
    """Return the input with known fields type-checked; unknown fields pass through untouched."""
    if not isinstance(tool_input, dict):
        raise InputError(f"InputValidationError: {tool} expects a JSON object as input")
    props: Mapping[str, Any] = schema.get("properties", {})
    out = dict(tool_input)
    for required in schema.get("required", []):
        if out.get(required) is None:
            raise InputError(
                f"InputValidationError: {tool} failed due to the following issue:\n"
                f"The required parameter `{required}` is missing"
            )
    for key, spec in props.items():
        if key not in out:
            continue
        if out[key] is None:  # a null optional field means "not given"
            del out[key]
            continue
        want = spec.get("type")
        if isinstance(want, str):
            ok, value = _coerce(out[key], want)
            if not ok:
                raise InputError(
                    f"InputValidationError: {tool} failed due to the following issue:\n"
                    f"The parameter `{key}` type is expected as `{_TYPE_NAMES.get(want, want)}` "
                    f"but provided as `{_kind(out[key])}`"
                )
            out[key] = value
        allowed = spec.get("enum")
        if allowed is not None and out[key] not in allowed:
            choices = ", ".join(repr(a) for a in allowed)
            raise InputError(
                f"InputValidationError: {tool} failed due to the following issue:\n"
                f"The parameter `{key}` must be one of {choices}, not {out[key]!r}"
            )
    return out


# --- paths and per-session places ---


def resolve_path(raw: str, ctx: ToolContext) -> Path:
    """An absolute, normalised path: ``~`` expanded, relative paths taken from the session's cwd."""
    expanded = os.path.expanduser(raw)
    if not os.path.isabs(expanded):
        expanded = os.path.join(str(ctx.cwd), expanded)
    return Path(os.path.normpath(expanded))


def display_path(path: Path, ctx: ToolContext) -> str:
    """``path`` relative to the cwd when it is inside it (as Glob and Grep list files), else absolute."""
    try:
        rel = path.relative_to(ctx.cwd)
    except ValueError:
        return str(path)
    return str(rel) if str(rel) != "." else str(path)


def cwd_note(ctx: ToolContext) -> str:
    """The CLI's hint appended to "does not exist" errors."""
    return f"Note: your current working directory is {ctx.cwd}."


def scratch_dir(ctx: ToolContext) -> Path:
    """A private per-session directory (background task output, oversized tool results).

    Under the shared temp dir, so another user could have made ``claude-compat-<uid>`` first:
    it must be ours and 0700, else InsecureStorageError.
    """
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = private_dir(Path(tempfile.gettempdir()) / f"claude-compat-{uid}")
    return private_dir(root / ctx.session_id)


@dataclass(frozen=True)
class FileView:
    """What the session has seen of a file: its on-disk stamp then, and its text when seen whole."""

    mtime_ns: int
    size: int
    text: str | None  # the whole decoded text, when the model saw all of it (else None)

    @property
    def whole(self) -> bool:
        """Whether the model saw the whole file (a Read without a range, a Write, a known Edit)."""
        return self.text is not None


def read_files(ctx: ToolContext) -> dict[str, FileView]:
    """The session's view of each file it has Read, written or edited (path → :class:`FileView`)."""
    state: dict[str, FileView] = ctx.state.setdefault("read_files", {})
    return state


def remember_file(ctx: ToolContext, path: Path, text: str | None) -> None:
    """Record that the model has seen ``path`` as it is now: all of it as ``text``, or part (None)."""
    try:
        st = path.stat()
    except OSError:
        return
    read_files(ctx)[str(path)] = FileView(st.st_mtime_ns, st.st_size, text)


def file_view(ctx: ToolContext, path: Path) -> FileView | None:
    """The session's view of ``path``, or None when it has not been Read (the CLI's rule for writes)."""
    return read_files(ctx).get(str(path))


def is_stale(view: FileView, path: Path, current: str | None) -> bool:
    """Whether ``path`` changed since ``view``: by content when seen whole, else by its stamp.

    As the CLI: a file rewritten with the same content is not changed when the model saw all of it.
    """
    if view.text is not None:
        return current != view.text
    try:
        st = path.stat()
    except OSError:
        return True
    return (st.st_mtime_ns, st.st_size) != (view.mtime_ns, view.size)


def format_size(n: int) -> str:
    """Bytes as the CLI prints them: ``512 bytes``, ``39.1KB``, ``293KB`` (no ``.0``), ``2MB``, ``1.5GB``."""
    if n < 1024:
        return f"{n} bytes"
    for unit, scale in (("KB", 1024), ("MB", 1024**2)):
        if n < scale * 1024:
            return f"{n / scale:.1f}".removesuffix(".0") + unit
    return f"{n / 1024**3:.1f}".removesuffix(".0") + "GB"


def path_field(field_name: str) -> PathsFn:
    """A ``paths`` function for tools whose one path is in ``field_name``."""

    def paths(tool_input: dict[str, Any], ctx: ToolContext) -> list[Path]:
        raw = tool_input.get(field_name)
        return [resolve_path(raw, ctx)] if isinstance(raw, str) and raw else []

    return paths


def dir_field(field_name: str) -> PathsFn:
    """A ``paths`` function for search tools: ``field_name`` or else the cwd."""

    def paths(tool_input: dict[str, Any], ctx: ToolContext) -> list[Path]:
        raw = tool_input.get(field_name)
        return [resolve_path(raw, ctx) if isinstance(raw, str) and raw else ctx.cwd]

    return paths
