"""Read, Write and Edit: the file tools, with the Claude CLI's result texts and structured outputs."""

from __future__ import annotations

import base64
import struct
from pathlib import Path
from typing import Any

import anyio.to_thread

from .. import cli_facts
from ..tool_types import ToolOutcome
from ._base import (
    InputError,
    ToolContext,
    ToolFailure,
    cwd_note,
    file_view,
    format_size,
    is_stale,
    make_tool,
    outcome,
    path_field,
    remember_file,
    resolve_path,
)
from ._patch import structured_patch
from .notebook import load_notebook, render_notebook

MAX_READ_BYTES = 256 * 1024  # a whole-file Read larger than this needs offset/limit
MAX_READ_TOKENS = 25_000  # estimated at 4 characters a token
#: With ``allow_large`` the CLI reads past both limits "up to what still fits in your context"; the
#: context left is the CLI's own estimate, so here a fixed share of a Claude context window stands in.
ALLOW_LARGE_MAX_TOKENS = 100_000
#: The CLI's hint after either size error, pointing at ``allow_large``.
ALLOW_LARGE_HINT = (
    " To read it anyway, up to what still fits in your context, call Read again with allow_large: true "
    "\u2014 only if you genuinely need all of it or the user asked for the whole file."
)
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IN_CONTEXT = cli_facts.FILE_IN_CONTEXT_NOTE
NOT_UTF8_NOTE = (
    "[This file is not valid UTF-8: it uses a legacy encoding such as Windows-1252, Shift-JIS or GBK, "
    "or it is binary. Its undecodable bytes show above as U+FFFD. Edit and Write will refuse it: change "
    "it with a shell command that keeps its encoding, or ask the user whether to convert it to UTF-8.]"
)

BINARY_EXTENSIONS = frozenset(
    ".7z .a .aac .avi .bin .bmp .bz2 .class .dat .db .dll .dmg .doc .docx .dylib .ear .eot .exe .flac "
    ".flv .gz .ico .iso .jar .lib .lz .lzma .m4a .mkv .mov .mp3 .mp4 .mpeg .mpg .o .obj .odt .ogg .otf "
    ".parquet .ppt .pptx .psd .pyc .pyd .pyo .rar .rlib .so .sqlite .sqlite3 .tar .tgz .tif .tiff .ttf "
    ".war .wasm .wav .webm .whl .wma .wmv .woff .woff2 .xls .xlsx .xz .zip .zst".split()
)
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
IMAGE_TYPES[".webp"] = "image/webp"

READ_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file_path": {"type": "string", "description": "The absolute path to the file to read"},
        "offset": {
            "type": "integer",
            "minimum": 0,
            "description": "The line number to start reading from. Only provide if the file is too large "
            "to read at once",
        },
        "limit": {
            "type": "integer",
            "exclusiveMinimum": 0,
            "description": "The number of lines to read. Only provide if the file is too large to read "
            "at once.",
        },
        "pages": {
            "type": "string",
            "description": 'Page range for PDF files (e.g., "1-5"). Only applicable to PDF files.',
        },
        "allow_large": {
            "type": "boolean",
            "description": "Set to true to read a text file (or a line range of one) past the usual size "
            "limits, up to what fits in your context. Only when you need all of it.",
        },
    },
    "required": ["file_path"],
}
READ_DESCRIPTION = (
    "Reads a file from the local filesystem. file_path must be an absolute path. The whole file is read "
    "unless you give offset (first line, counting from 1) and limit (number of lines); use them for large "
    "files. Lines come back numbered like `cat -n`: the line number, a tab, then the line. Images (PNG, "
    "JPEG, GIF, WebP) come back as images; Jupyter notebooks (.ipynb) as their cells with outputs. "
    "Read a directory with Bash (ls) instead. Reading a file that does not exist returns an error."
)

WRITE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file_path": {
            "type": "string",
            "description": "The absolute path to the file to write (must be absolute, not relative)",
        },
        "content": {"type": "string", "description": "The content to write to the file"},
    },
    "required": ["file_path", "content"],
}
WRITE_DESCRIPTION = (
    "Writes a file to the local filesystem, replacing it if it exists and creating missing parent "
    "directories. file_path must be absolute. Prefer Edit for changing part of an existing file; "
    "Read a file before overwriting it so that nothing you have not seen is lost."
)

EDIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file_path": {"type": "string", "description": "The absolute path to the file to modify"},
        "old_string": {"type": "string", "description": "The text to replace"},
        "new_string": {
            "type": "string",
            "description": "The text to replace it with (must be different from old_string)",
        },
        "replace_all": {
            "type": "boolean",
            "default": False,
            "description": "Replace all occurrences of old_string (default false)",
        },
    },
    "required": ["file_path", "old_string", "new_string"],
}
EDIT_DESCRIPTION = (
    "Performs an exact string replacement in a file. old_string must match the file's text exactly "
    "(including indentation; do not include the line-number prefix Read shows) and must be unique in "
    "the file unless replace_all is true: add surrounding lines to make it unique. An empty old_string "
    "creates a new file containing new_string. Use NotebookEdit for .ipynb files."
)


# --- Read ---


def _image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, GIF or JPEG header; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:4] == b"GIF8" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + int(length)
    return None


def _media_type(data: bytes, suffix: str) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:2] == b"\xff\xd8":
        return "image/jpeg"
    if data[:4] == b"GIF8":
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return IMAGE_TYPES[suffix]


def _read_image(path: Path) -> ToolOutcome:
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise ToolFailure(
            f"Image file is too large ({format_size(size)}); images up to {format_size(MAX_IMAGE_BYTES)} "
            "can be read. Make a smaller copy first (for example with ImageMagick through Bash) and read "
            "that."
        )
    data = path.read_bytes()
    encoded = base64.b64encode(data).decode("ascii")
    media_type = _media_type(data, path.suffix.lower())
    file: dict[str, Any] = {"base64": encoded, "type": media_type, "originalSize": size}
    dims = _image_dimensions(data)
    if dims is not None:
        width, height = dims
        file["dimensions"] = {
            "originalWidth": width,
            "originalHeight": height,
            "displayWidth": width,
            "displayHeight": height,
        }
    block = {"type": "image", "source": {"type": "base64", "data": encoded, "media_type": media_type}}
    return outcome([block], {"type": "image", "file": file})


def _binary_error(path: Path) -> InputError:
    kind = path.suffix.lower() or "data"
    return InputError(
        f"This tool cannot read binary files. The file appears to be a binary {kind} file. "
        "Use a shell command or script that can read the format."
    )


def _as_given(tool_input: dict[str, Any], path: Path) -> str:
    """The path as the model wrote it: the Claude CLI echoes ``file_path`` unchanged in results."""
    given = tool_input.get("file_path")
    return given if isinstance(given, str) and given else str(path)


def number_lines(lines: list[str], start: int) -> str:
    """``cat -n`` style as the CLI formats it: ``"1\\tfirst\\n2\\tsecond"``."""
    return "\n".join(f"{start + i}\t{line}" for i, line in enumerate(lines))


def _read(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    path = resolve_path(tool_input["file_path"], ctx)
    suffix = path.suffix.lower()
    if suffix in BINARY_EXTENSIONS:
        raise _binary_error(path)
    if not path.exists():
        raise ToolFailure(f"File does not exist. {cwd_note(ctx)}")
    if path.is_dir():
        raise ToolFailure(f"EISDIR: illegal operation on a directory, read '{path}'")
    if suffix in IMAGE_TYPES:
        read = _read_image(path)
        remember_file(ctx, path, None)  # seen, so Write may replace it
        return read
    if suffix == ".pdf":
        raise ToolFailure(
            "Reading PDF files is not supported here yet. Extract the text with a shell command through "
            f"Bash instead, for example: pdftotext '{path}' -"
        )
    if suffix == ".ipynb":
        _, nb = load_notebook(path)
        text, structured = render_notebook(path, nb)
        remember_file(ctx, path, None)
        return outcome([{"type": "text", "text": text}], structured)
    offset, limit = tool_input.get("offset"), tool_input.get("limit")
    allow_large = tool_input.get("allow_large") is True
    size = path.stat().st_size
    if offset is None and limit is None and size > MAX_READ_BYTES and not allow_large:
        raise ToolFailure(
            f"File content ({format_size(size)}) exceeds maximum allowed size "
            f"({format_size(MAX_READ_BYTES)}). Use offset and limit parameters to read specific portions "
            "of the file, or search for specific content instead of reading the whole file."
            + ALLOW_LARGE_HINT
        )
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise _binary_error(path)
    try:
        text = data.decode("utf-8-sig")
        valid_utf8 = True
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        valid_utf8 = False
    lines = text.replace("\r\n", "\n").split("\n")
    start = offset if isinstance(offset, int) and offset > 0 else 1
    end = start - 1 + limit if isinstance(limit, int) and limit > 0 else len(lines)
    selected = lines[start - 1 : end]
    content = "\n".join(selected)
    tokens = len(content) // 4
    truncated = False
    if tokens > MAX_READ_TOKENS and not allow_large:
        raise ToolFailure(
            f"File content ({tokens} tokens) exceeds maximum allowed tokens ({MAX_READ_TOKENS}). Use offset "
            "and limit parameters to read specific portions of the file, or search for specific content "
            "instead of reading the whole file." + ALLOW_LARGE_HINT
        )
    if tokens > ALLOW_LARGE_MAX_TOKENS:  # allow_large: whole lines, as many as fit
        selected, truncated = _lines_within(selected, ALLOW_LARGE_MAX_TOKENS * 4), True
        content = "\n".join(selected)
    if content:
        shown = number_lines(selected, start)
    elif selected and len(lines) > 1:
        shown = f"{start}\t"
    elif selected or not lines:
        shown = "<system-reminder>Warning: the file exists but the contents are empty.</system-reminder>"
    else:
        shown = (
            f"<system-reminder>Warning: the file exists but is shorter than the provided offset ({start}). "
            f"The file has {len(lines)} lines.</system-reminder>"
        )
    if not valid_utf8:
        shown += "\n\n" + NOT_UTF8_NOTE
    whole = start == 1 and end >= len(lines) and valid_utf8 and not truncated
    remember_file(ctx, path, text if whole else None)  # any range counts as read for Write and Edit
    file = {
        "filePath": _as_given(tool_input, path),
        "content": content,
        "numLines": len(selected),
        "startLine": start,
        "totalLines": len(lines),
        **({"truncatedByTokenCap": True} if truncated else {}),
    }
    return outcome(shown, {"type": "text", "file": file})


def _lines_within(lines: list[str], characters: int) -> list[str]:
    """The leading whole lines whose text (joined by newlines) stays within ``characters``."""
    kept: list[str] = []
    used = 0
    for line in lines:
        used += len(line) + 1
        if used > characters + 1:
            break
        kept.append(line)
    return kept


# --- Write and Edit ---


def _existing_text(path: Path, verb: str) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            f"{path} is not valid UTF-8 (a legacy encoding or binary data); {verb} would change its "
            "encoding. Change it with a shell command that keeps its encoding, or ask the user whether "
            "to convert it to UTF-8."
        ) from None


def _current_text(path: Path) -> str | None:
    """``path``'s text as Read decodes it, or None when it is not UTF-8 (for the staleness check)."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _check_seen(path: Path, ctx: ToolContext) -> None:
    """The CLI's rule for replacing an existing file: Read first, and not changed since."""
    view = file_view(ctx, path)
    if view is None:
        raise InputError(cli_facts.FILE_NOT_READ)
    if is_stale(view, path, _current_text(path)):
        raise InputError(cli_facts.FILE_MODIFIED_SINCE_READ)


def _write(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    path = resolve_path(tool_input["file_path"], ctx)
    content: str = tool_input["content"]
    if path.is_dir():
        raise InputError(
            f"{path} is a directory, not a file. To create a file inside it, include the file name in "
            "file_path."
        )
    if path.exists():
        _check_seen(path, ctx)
    original = _existing_text(path, "Write") if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8", newline="")
    remember_file(ctx, path, content)
    structured: dict[str, Any]
    if original is None:
        structured = {
            "type": "create",
            "filePath": _as_given(tool_input, path),
            "content": content,
            "structuredPatch": [],
            "originalFile": None,
            "userModified": False,
        }
        return outcome(f"File created successfully at: {structured['filePath']}{IN_CONTEXT}", structured)
    structured = {
        "type": "update",
        "filePath": _as_given(tool_input, path),
        "content": content,
        "structuredPatch": structured_patch(original, content),
        "originalFile": original,
        "userModified": False,
    }
    given = structured["filePath"]
    return outcome(f"The file {given} has been updated successfully.{IN_CONTEXT}", structured)


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _find_actual(content: str, old: str) -> str | None:
    """The text in ``content`` that ``old`` means, allowing curly quotes in the file for straight ones."""
    if old in content:
        return old
    index = content.translate(_QUOTES).find(old.translate(_QUOTES))
    return content[index : index + len(old)] if index >= 0 else None


def _edit(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    path = resolve_path(tool_input["file_path"], ctx)
    old: str = tool_input["old_string"]
    new: str = tool_input["new_string"]
    replace_all = bool(tool_input.get("replace_all", False))
    if path.suffix.lower() == ".ipynb":
        raise InputError("File is a Jupyter Notebook. Use the NotebookEdit to edit this file.")
    if old == new:
        raise InputError("No changes to make: old_string and new_string are exactly the same.")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a file.")
    view = file_view(ctx, path)
    known = False  # the model knew the whole file before this edit
    stale = False  # changed on disk since the model saw it, and the edit still applies cleanly
    crlf = False
    if not path.exists():
        if old != "":
            raise InputError(f"File does not exist. {cwd_note(ctx)}")
        original = ""
        updated = new
        known = True
    else:
        raw = _existing_text(path, "Edit")
        crlf = "\r\n" in raw
        original = raw.replace("\r\n", "\n") if crlf else raw
        if old == "":
            if original.strip():
                raise InputError("Cannot create new file - file already exists.")
            if view is None:  # the CLI finds this while running, not while checking the input
                raise ToolFailure(cli_facts.FILE_NOT_READ)
            updated = new
            known = True
        else:
            if view is None:
                raise InputError(cli_facts.FILE_NOT_READ)
            stale = is_stale(view, path, raw)
            known = view.whole and not stale
            actual = _find_actual(original, old)
            count = original.count(actual) if actual is not None else 0
            if stale and (actual is None or (count > 1 and not replace_all)):
                raise InputError(cli_facts.FILE_MODIFIED_SINCE_READ)
            if actual is None:
                raise InputError(f"String to replace not found in file.\nString: {old}")
            if count > 1 and not replace_all:
                raise InputError(
                    f"Found {count} matches of the string to replace, but replace_all is false. "
                    "To replace all occurrences, set replace_all to true. To replace only one occurrence, "
                    f"please provide more context to uniquely identify the instance.\nString: {old}"
                )
            updated = original.replace(actual, new) if replace_all else original.replace(actual, new, 1)
    written = updated.replace("\n", "\r\n") if crlf else updated
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(written, encoding="utf-8", newline="")
    remember_file(ctx, path, written if known else None)
    structured: dict[str, Any] = {
        "filePath": _as_given(tool_input, path),
        "oldString": old,
        "newString": new,
        "originalFile": original,
        "structuredPatch": structured_patch(original, updated),
        "userModified": False,
        "replaceAll": replace_all,
    }
    if stale:
        structured["staleRecovered"] = True
    if not known:
        structured["contentNotInModelContext"] = True
    given = structured["filePath"]
    if replace_all:
        text = f"The file {given} has been updated. All occurrences were successfully replaced."
    else:
        text = f"The file {given} has been updated successfully."
    note = IN_CONTEXT if known else cli_facts.FILE_STALE_EDIT_NOTE if stale else ""
    return outcome(text + note, structured)


async def _run_read(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return await anyio.to_thread.run_sync(_read, tool_input, ctx)


async def _run_write(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return await anyio.to_thread.run_sync(_write, tool_input, ctx)


async def _run_edit(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return await anyio.to_thread.run_sync(_edit, tool_input, ctx)


READ = make_tool(
    "Read", READ_DESCRIPTION, READ_SCHEMA, _run_read, read_only=True, paths=path_field("file_path")
)
WRITE = make_tool(
    "Write",
    WRITE_DESCRIPTION,
    WRITE_SCHEMA,
    _run_write,
    read_only=False,
    edits_files=True,
    paths=path_field("file_path"),
)
EDIT = make_tool(
    "Edit",
    EDIT_DESCRIPTION,
    EDIT_SCHEMA,
    _run_edit,
    read_only=False,
    edits_files=True,
    paths=path_field("file_path"),
)
