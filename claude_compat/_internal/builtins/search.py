"""Glob and Grep in pure Python, with the Claude CLI's result texts and GlobOutput / GrepOutput shapes.

The CLI runs ripgrep; this module follows its file selection (``_globs``) and output format so
results read the same, and needs nothing installed. Patterns are Python ``re`` regexes, which
agree with ripgrep's syntax for everything but a few rarely used constructs.
"""

from __future__ import annotations

import bisect
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread

from ..tool_types import ToolOutcome
from ._base import (
    InputError,
    ToolContext,
    ToolFailure,
    cwd_note,
    dir_field,
    display_path,
    make_tool,
    outcome,
    resolve_path,
)
from ._globs import GlobPattern, split_globs, walk_files

GLOB_LIMIT = 100
GREP_DEFAULT_HEAD_LIMIT = 250
MAX_COLUMNS = 500

#: ripgrep's ``--type`` names for the common languages, as file-name globs.
FILE_TYPES: dict[str, tuple[str, ...]] = {
    "c": ("*.c", "*.h"),
    "cpp": ("*.cpp", "*.cc", "*.cxx", "*.c++", "*.hpp", "*.hh", "*.hxx", "*.h", "*.inl"),
    "cs": ("*.cs",),
    "css": ("*.css", "*.scss", "*.sass", "*.less"),
    "dart": ("*.dart",),
    "docker": ("Dockerfile", "*.dockerfile", "Dockerfile.*"),
    "elixir": ("*.ex", "*.exs", "*.eex", "*.heex"),
    "go": ("*.go",),
    "haskell": ("*.hs", "*.lhs"),
    "html": ("*.html", "*.htm", "*.xhtml"),
    "java": ("*.java", "*.jsp", "*.properties"),
    "js": ("*.js", "*.jsx", "*.mjs", "*.cjs", "*.vue"),
    "json": ("*.json", "*.jsonl", "*.json5"),
    "kotlin": ("*.kt", "*.kts"),
    "lua": ("*.lua",),
    "make": ("Makefile", "makefile", "GNUmakefile", "*.mk", "*.mak"),
    "markdown": ("*.md", "*.markdown", "*.mdx", "*.mkd"),
    "md": ("*.md", "*.markdown", "*.mdx", "*.mkd"),
    "php": ("*.php", "*.php3", "*.php4", "*.php5", "*.phtml"),
    "py": ("*.py", "*.pyi", "*.pyw"),
    "python": ("*.py", "*.pyi", "*.pyw"),
    "r": ("*.R", "*.r", "*.Rmd", "*.rmd"),
    "ruby": ("*.rb", "*.gemspec", "Gemfile", "Rakefile", "*.rake"),
    "rust": ("*.rs",),
    "scala": ("*.scala", "*.sbt", "*.sc"),
    "sh": ("*.sh", "*.bash", "*.zsh", "*.ksh", ".bashrc", ".zshrc", ".profile"),
    "sql": ("*.sql", "*.psql"),
    "svelte": ("*.svelte",),
    "swift": ("*.swift",),
    "toml": ("*.toml", "Cargo.lock"),
    "ts": ("*.ts", "*.tsx", "*.mts", "*.cts"),
    "txt": ("*.txt",),
    "vue": ("*.vue",),
    "xml": ("*.xml", "*.xsd", "*.xsl", "*.xslt", "*.svg"),
    "yaml": ("*.yaml", "*.yml"),
}
FILE_TYPES["rb"] = FILE_TYPES["ruby"]
FILE_TYPES["rs"] = FILE_TYPES["rust"]
FILE_TYPES["typescript"] = FILE_TYPES["ts"]
FILE_TYPES["javascript"] = FILE_TYPES["js"]

GLOB_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "pattern": {"type": "string", "description": "The glob pattern to match files against"},
        "path": {
            "type": "string",
            "description": "The directory to search in. Omit it to use the current working directory "
            '(do not pass "undefined" or "null"). Must be a valid directory path if provided.',
        },
    },
    "required": ["pattern"],
}
GLOB_DESCRIPTION = (
    'Fast file pattern matching. Supports glob patterns like "**/*.js" or "src/**/*.ts"; a pattern '
    "without a slash matches file names at any depth. Returns matching file paths (relative to the "
    "working directory when inside it), oldest first by modification time, at most 100. Files ignored "
    "by .gitignore are skipped."
)

GREP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "pattern": {
            "type": "string",
            "description": "The regular expression pattern to search for in file contents",
        },
        "path": {
            "type": "string",
            "description": "File or directory to search in. Defaults to current working directory.",
        },
        "glob": {
            "type": "string",
            "description": 'Glob pattern to filter files (e.g. "*.js", "*.{ts,tsx}")',
        },
        "output_mode": {
            "type": "string",
            "enum": ["content", "files_with_matches", "count"],
            "description": 'Output mode: "content" shows matching lines (supports -A/-B/-C context, -n, '
            'head_limit), "files_with_matches" shows file paths, "count" shows match counts. '
            'Defaults to "files_with_matches".',
        },
        "-B": {"type": "number", "description": "Number of lines to show before each match (content mode)."},
        "-A": {"type": "number", "description": "Number of lines to show after each match (content mode)."},
        "-C": {"type": "number", "description": "Alias for context."},
        "context": {
            "type": "number",
            "description": "Number of lines to show before and after each match (content mode).",
        },
        "-n": {
            "type": "boolean",
            "description": "Show line numbers in output (content mode). Defaults to true.",
        },
        "-i": {"type": "boolean", "description": "Case insensitive search"},
        "-o": {
            "type": "boolean",
            "description": "Print only the matched parts of each matching line (content mode).",
        },
        "type": {
            "type": "string",
            "description": "File type to search (rg --type names): js, py, rust, go, java, etc.",
        },
        "head_limit": {
            "type": "number",
            "description": 'Limit output to the first N lines/entries, like "| head -N", in every mode. '
            "Defaults to 250; pass 0 for unlimited.",
        },
        "offset": {
            "type": "number",
            "description": "Skip the first N lines/entries before applying head_limit. Defaults to 0.",
        },
        "multiline": {
            "type": "boolean",
            "description": "Enable multiline mode where . matches newlines and patterns can span lines. "
            "Default: false.",
        },
    },
    "required": ["pattern"],
}
GREP_DESCRIPTION = (
    "A search tool over file contents (ripgrep-style). Supports full regular expressions "
    '(e.g. "log.*Error", "function\\s+\\w+"). Filter files with glob (e.g. "*.js") or type (e.g. "py"). '
    'Output modes: "files_with_matches" (default; file paths, newest first), "content" (matching lines '
    'as path:line:text, with -A/-B/-C context), "count" (matches per file). Use multiline: true for '
    "patterns that span lines. Results are limited to 250 entries unless head_limit says otherwise."
)


# --- Glob ---


def _split_absolute(pattern: str) -> tuple[Path, str]:
    """An absolute glob becomes (directory before the first wildcard, the rest)."""
    parts = Path(pattern).parts
    for i, part in enumerate(parts):
        if any(c in part for c in "*?[{"):
            return Path(*parts[:i]), "/".join(parts[i:])
    return Path(*parts[:-1]), parts[-1]


def _glob(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    started = time.monotonic()
    pattern: str = tool_input["pattern"]
    raw_path = tool_input.get("path")
    base = resolve_path(raw_path, ctx) if raw_path else ctx.cwd
    if not base.exists():
        raise ToolFailure(f"Directory does not exist: {raw_path}. {cwd_note(ctx)}")
    if not base.is_dir():
        raise ToolFailure(f"Path is not a directory: {raw_path}. {cwd_note(ctx)}")
    if pattern.startswith("/"):
        base, pattern = _split_absolute(pattern)
    glob = GlobPattern.parse(pattern)
    found: list[tuple[int, str, Path]] = []
    for path in walk_files(base):
        if glob.matches(path.relative_to(base).as_posix()):
            try:
                mtime = path.stat().st_mtime_ns
            except OSError:
                mtime = 0
            found.append((mtime, str(path), path))
    found.sort()
    total = len(found)
    names = [display_path(p, ctx) for _, _, p in found[:GLOB_LIMIT]]
    truncated = total > GLOB_LIMIT
    if not names:
        text = "No files found"
    else:
        text = "\n".join(names)
        if truncated:
            text += (
                f"\n(Showing {GLOB_LIMIT} of {total} matching files; {total - GLOB_LIMIT} more are not "
                "listed. Narrow the pattern or path to see the rest.)"
            )
    structured = {
        "filenames": names,
        "durationMs": int((time.monotonic() - started) * 1000),
        "numFiles": len(names),
        "truncated": truncated,
        "totalMatches": total,
        "countIsComplete": True,
    }
    return outcome(text, structured)


# --- Grep ---


@dataclass
class _FileHits:
    """What one file contributed: matched line numbers (1-based), its lines, and -o fragments."""

    path: Path
    lines: list[str]
    matched: list[int]
    fragments: list[tuple[int, str]]


def _rejected(reason: str) -> ToolFailure:
    return ToolFailure(
        f"Search failed — the pattern, glob, or file type was rejected without searching:\n{reason}"
    )


def _int_field(tool_input: dict[str, Any], key: str) -> int | None:
    value = tool_input.get(key)
    if value is None:
        return None
    number = int(value)
    if number < 0:
        raise InputError(f"InputValidationError: Grep failed: `{key}` must not be negative")
    return number


def _search_file(path: Path, regex: re.Pattern[str], multiline: bool, only: bool) -> _FileHits | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "" and text.endswith("\n"):
        lines.pop()
    matched: list[int] = []
    fragments: list[tuple[int, str]] = []
    if multiline:
        starts = [0]
        for i, c in enumerate(text):
            if c == "\n":
                starts.append(i + 1)
        seen: set[int] = set()
        for m in regex.finditer(text):
            first = bisect.bisect_right(starts, m.start())
            last = bisect.bisect_right(starts, max(m.start(), m.end() - 1))
            if only and m.group(0):
                fragments.append((first, m.group(0)))
            for n in range(first, last + 1):
                if n not in seen and n <= len(lines):
                    seen.add(n)
                    matched.append(n)
        matched.sort()
    else:
        for n, line in enumerate(lines, start=1):
            if only:
                parts = [m.group(0) for m in regex.finditer(line) if m.group(0)]
                if parts:
                    matched.append(n)
                    fragments.extend((n, p) for p in parts)
            elif regex.search(line):
                matched.append(n)
    if not matched:
        return None
    return _FileHits(path, lines, matched, fragments)


def _clip(line: str, kind: str) -> str:
    return line if len(line) <= MAX_COLUMNS else f"[Omitted long {kind} line]"


def _line(name: str | None, number: int | None, sep: str, text: str) -> str:
    """``path:12:text`` for a match, ``path-12-text`` for context, each part optional."""
    head = "".join(f"{part}{sep}" for part in (name, number) if part is not None)
    return head + text


def _content_lines(
    hit: _FileHits, name: str | None, numbers: bool, before: int, after: int, only: bool
) -> list[str]:
    """One file's lines as ripgrep prints them; ``--`` separates non-adjacent groups."""
    if only:
        return [_line(name, n if numbers else None, ":", frag) for n, frag in hit.fragments]
    matched = set(hit.matched)
    shown: set[int] = set()
    for n in hit.matched:
        shown.update(range(max(1, n - before), min(len(hit.lines), n + after) + 1))
    out: list[str] = []
    previous = None
    for n in sorted(shown):
        if previous is not None and n != previous + 1 and (before or after):
            out.append("--")
        is_match = n in matched
        text = _clip(hit.lines[n - 1], "matching" if is_match else "context")
        out.append(_line(name, n if numbers else None, ":" if is_match else "-", text))
        previous = n
    return out


def _paginate(items: list[str], offset: int, limit: int) -> tuple[list[str], int | None, int | None]:
    rest = items[offset:]
    applied_limit = limit if limit and len(rest) > limit else None
    page = rest[:limit] if limit else rest
    return page, applied_limit, (offset if offset else None)


def _pagination(applied_limit: int | None, applied_offset: int | None) -> str:
    parts = []
    if applied_limit is not None:
        parts.append(f"limit: {applied_limit}")
    if applied_offset is not None:
        parts.append(f"offset: {applied_offset}")
    return ", ".join(parts)


def _candidates(target: Path, tool_input: dict[str, Any]) -> list[Path]:
    """The files Grep searches: ``target`` itself, or the files under it that pass type and glob."""
    if not target.is_dir():
        return [target]
    filters: list[GlobPattern] = []
    type_name = tool_input.get("type")
    if type_name:
        if type_name not in FILE_TYPES:
            raise _rejected(f"unrecognized file type: {type_name}")
        filters = [GlobPattern.parse(g) for g in FILE_TYPES[type_name]]
    specs = split_globs(tool_input.get("glob") or "")
    included = [GlobPattern.parse(g) for g in specs if not g.startswith("!")]
    excluded = [GlobPattern.parse(g[1:]) for g in specs if g.startswith("!")]
    found = []
    for path in walk_files(target):
        rel = path.relative_to(target).as_posix()
        if filters and not any(f.matches(rel) for f in filters):
            continue
        if included and not any(g.matches(rel) for g in included):
            continue
        if any(g.matches(rel) for g in excluded):
            continue
        try:
            with path.open("rb") as fh:
                if b"\x00" in fh.read(8192):
                    continue  # binary, as ripgrep skips it
        except OSError:
            continue
        found.append(path)
    return found


def _grep(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    raw_path = tool_input.get("path")
    target = resolve_path(raw_path, ctx) if raw_path else ctx.cwd
    if not target.exists():
        raise ToolFailure(f"Path does not exist: {raw_path}. {cwd_note(ctx)}")
    multiline = bool(tool_input.get("multiline", False))
    only = bool(tool_input.get("-o", False))
    flags = (re.IGNORECASE if tool_input.get("-i") else 0) | (re.DOTALL | re.MULTILINE if multiline else 0)
    try:
        regex = re.compile(tool_input["pattern"], flags)
    except re.error as exc:
        raise _rejected(f"regex parse error: {exc}") from None
    candidates = _candidates(target, tool_input)
    hits = [h for h in (_search_file(p, regex, multiline, only) for p in candidates) if h is not None]
    hits.sort(key=lambda h: display_path(h.path, ctx))
    offset = _int_field(tool_input, "offset") or 0
    head = _int_field(tool_input, "head_limit")
    limit = GREP_DEFAULT_HEAD_LIMIT if head is None else head
    mode = tool_input.get("output_mode", "files_with_matches")
    if mode == "files_with_matches":
        return _files_result(hits, ctx, offset, limit)
    names = target.is_dir()  # results name their file unless one file was searched
    if mode == "count":
        return _count_result(hits, ctx, names, offset, limit)
    return _content_result(hits, ctx, names, tool_input, offset, limit)


def _files_result(hits: list[_FileHits], ctx: ToolContext, offset: int, limit: int) -> ToolOutcome:
    by_time = sorted(hits, key=lambda h: (-_mtime(h.path), display_path(h.path, ctx)))
    names = [display_path(h.path, ctx) for h in by_time]
    page, applied_limit, applied_offset = _paginate(names, offset, limit)
    structured: dict[str, Any] = {
        "mode": "files_with_matches",
        "filenames": page,
        "numFiles": len(page),
        "totalFiles": len(names),
    }
    _add_applied(structured, applied_limit, applied_offset)
    if not page:
        return outcome("No files found", structured)
    note = _pagination(applied_limit, applied_offset)
    head_line = f"Found {len(page)} file{'' if len(page) == 1 else 's'}" + (f" {note}" if note else "")
    return outcome(head_line + "\n" + "\n".join(page), structured)


def _count_result(
    hits: list[_FileHits], ctx: ToolContext, names: bool, offset: int, limit: int
) -> ToolOutcome:
    entries = [
        f"{display_path(h.path, ctx)}:{len(h.matched)}" if names else str(len(h.matched)) for h in hits
    ]
    total = sum(len(h.matched) for h in hits)
    page, applied_limit, applied_offset = _paginate(entries, offset, limit)
    content = "\n".join(page)
    structured: dict[str, Any] = {
        "mode": "count",
        "numFiles": len(hits),
        "filenames": [],
        "content": content,
        "numMatches": total,
    }
    _add_applied(structured, applied_limit, applied_offset)
    files = len(hits)
    summary = f"Found {total} total occurrences across {files} file{'' if files == 1 else 's'}."
    note = _pagination(applied_limit, applied_offset)
    if note:
        summary += f" with pagination = {note}"
    return outcome(f"{content or 'No matches found'}\n\n{summary}", structured)


def _content_result(
    hits: list[_FileHits], ctx: ToolContext, names: bool, tool_input: dict[str, Any], offset: int, limit: int
) -> ToolOutcome:
    context = _int_field(tool_input, "context")
    if context is None:
        context = _int_field(tool_input, "-C") or 0
    before = _int_field(tool_input, "-B")
    after = _int_field(tool_input, "-A")
    before = context if before is None else before
    after = context if after is None else after
    numbers = tool_input.get("-n", True) is not False
    only = bool(tool_input.get("-o", False))
    lines: list[str] = []
    for hit in hits:
        name = display_path(hit.path, ctx) if names else None
        if lines and (before or after) and not only:
            lines.append("--")
        lines.extend(_content_lines(hit, name, numbers, before, after, only))
    page, applied_limit, applied_offset = _paginate(lines, offset, limit)
    content = "\n".join(page)
    structured: dict[str, Any] = {
        "mode": "content",
        "numFiles": 0,
        "filenames": [],
        "content": content,
        "numLines": len(page),
        "totalLines": len(lines),
    }
    _add_applied(structured, applied_limit, applied_offset)
    if not page:
        return outcome("No matches found", structured)
    note = _pagination(applied_limit, applied_offset)
    return outcome(content + (f"\n\n[Showing results with pagination = {note}]" if note else ""), structured)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _add_applied(structured: dict[str, Any], limit: int | None, offset: int | None) -> None:
    if limit is not None:
        structured["appliedLimit"] = limit
    if offset is not None:
        structured["appliedOffset"] = offset


async def _run_glob(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return await anyio.to_thread.run_sync(_glob, tool_input, ctx)


async def _run_grep(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return await anyio.to_thread.run_sync(_grep, tool_input, ctx)


def _glob_paths(tool_input: dict[str, Any], ctx: ToolContext) -> list[Path]:
    """The directories Glob lists: ``path`` (or the cwd), and the fixed start of an absolute pattern,
    which is where the search really begins (``/etc/*`` lists /etc whatever ``path`` says)."""
    paths = dir_field("path")(tool_input, ctx)
    pattern = tool_input.get("pattern")
    if isinstance(pattern, str) and pattern.startswith("/"):
        paths.append(_split_absolute(pattern)[0])
    return paths


GLOB = make_tool("Glob", GLOB_DESCRIPTION, GLOB_SCHEMA, _run_glob, read_only=True, paths=_glob_paths)
GREP = make_tool("Grep", GREP_DESCRIPTION, GREP_SCHEMA, _run_grep, read_only=True, paths=dir_field("path"))
