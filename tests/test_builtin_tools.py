"""Claude Code's built-in tools run on the user's machine and answer the model as the Claude CLI does.

Expected texts and ``tool_use_result`` shapes were measured by running the Claude CLI bundled with
claude-agent-sdk 0.2.188 against a scripted Messages API; the tests pin them. Everything here is
local: no Letta server, no network beyond 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import threading
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest

from claude_compat._internal import cli_facts
from claude_compat._internal.builtins import (
    BUILTIN_TOOLS,
    RUN_HERE,
    ToolContext,
    cli_tool_set,
    client_tool_spec,
    scratch_dir,
    search_tools_named,
    shown_name,
    shutdown,
)
from claude_compat._internal.builtins import files as files_module
from claude_compat._internal.tool_types import ToolOutcome
from claude_compat.errors import InvalidOptionError

pytestmark = pytest.mark.anyio

IN_CONTEXT = " (file state is current in your context — no need to Read it back)"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ToolContext]:
    work = tmp_path / "work"
    work.mkdir()
    context = ToolContext(
        cwd=work,
        add_dirs=[],
        env={**os.environ, "CLAUDE_COMPAT_TEST_VAR": "from-options-env"},
        session_id=str(uuid.uuid4()),
        state={},
    )
    yield context
    shutdown(context.state)
    shutil.rmtree(scratch_dir(context), ignore_errors=True)


async def call(ctx: ToolContext, name: str, tool_input: dict[str, Any]) -> ToolOutcome:
    return await BUILTIN_TOOLS[name].run(tool_input, ctx)


async def read_first(ctx: ToolContext, path: Path) -> None:
    """Read ``path`` whole, as the CLI requires before a Write or Edit replaces an existing file."""
    read = await call(ctx, "Read", {"file_path": str(path)})
    assert not read.is_error, read.content


def text_of(result: ToolOutcome) -> str:
    assert isinstance(result.content, str), result.content
    return result.content


def write(path: Path, content: str | bytes, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def png_bytes(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00\xff\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --- the registry and the tools= choice ---


def test_every_tool_offers_a_claude_schema_and_a_client_tool_spec() -> None:
    expected = {
        "Read": ["file_path"],
        "Write": ["file_path", "content"],
        "Edit": ["file_path", "old_string", "new_string"],
        "Bash": ["command"],
        "Glob": ["pattern"],
        "Grep": ["pattern"],
        "NotebookEdit": ["notebook_path", "new_source"],
        "TodoWrite": ["todos"],
        "WebFetch": ["url", "prompt"],
        "WebSearch": ["query"],
        "AskUserQuestion": ["questions"],
        "Skill": ["skill"],
    }
    for name, tool in BUILTIN_TOOLS.items():
        schema = tool.input_schema
        assert schema["type"] == "object"
        assert set(schema.get("required", [])) <= set(schema["properties"])
        assert schema.get("required", []) == expected.get(name, [])
        assert tool.description
        assert client_tool_spec(tool) == {
            "name": name,
            "description": tool.description,
            "parameters": schema,
        }
    grep_fields = set(BUILTIN_TOOLS["Grep"].input_schema["properties"])
    assert {
        "-A",
        "-B",
        "-C",
        "context",
        "-n",
        "-i",
        "-o",
        "type",
        "head_limit",
        "offset",
        "multiline",
    } <= grep_fields


def test_read_only_and_file_editing_tools_are_marked_for_the_permission_gate() -> None:
    assert {n for n, t in BUILTIN_TOOLS.items() if t.edits_files} == {"Write", "Edit", "NotebookEdit"}
    for name in ("Read", "Glob", "Grep", "WebFetch", "WebSearch", "TodoWrite"):
        assert BUILTIN_TOOLS[name].read_only
    for name in ("Write", "Edit", "NotebookEdit", "Bash", "TaskStop"):
        assert not BUILTIN_TOOLS[name].read_only


def test_paths_are_absolute_and_resolved_against_the_cwd(ctx: ToolContext) -> None:
    assert BUILTIN_TOOLS["Read"].paths({"file_path": "src/a.py"}, ctx) == [ctx.cwd / "src" / "a.py"]
    assert BUILTIN_TOOLS["Edit"].paths({"file_path": "/etc/../etc/hosts"}, ctx) == [Path("/etc/hosts")]
    assert BUILTIN_TOOLS["NotebookEdit"].paths({"notebook_path": "n.ipynb"}, ctx) == [ctx.cwd / "n.ipynb"]
    assert BUILTIN_TOOLS["Grep"].paths({"pattern": "x"}, ctx) == [ctx.cwd]
    assert BUILTIN_TOOLS["Glob"].paths({"pattern": "x", "path": "/tmp"}, ctx) == [Path("/tmp")]
    assert BUILTIN_TOOLS["Bash"].paths({"command": "ls"}, ctx) == []
    assert BUILTIN_TOOLS["Read"].paths({}, ctx) == []


#: The pinned CLI's default set (measured: init message of a session without tools=), by model names.
CLI_DEFAULT = [
    "Agent", "Bash", "CronCreate", "CronDelete", "CronList", "Edit", "EnterWorktree", "ExitWorktree",
    "ListAgents", "Monitor", "NotebookEdit", "Read", "ReportFindings", "ScheduleWakeup", "SendMessage",
    "Skill", "TaskCreate", "TaskGet", "TaskList", "TaskStop", "TaskUpdate", "ToolSearch", "WebFetch",
    "WebSearch", "Workflow", "Write",
]  # fmt: skip


def tool_set(
    tools: Any = None,
    *,
    allowed: tuple[str, ...] = (),
    disallowed: tuple[str, ...] = (),
    interactive: bool = False,
    env: dict[str, str] | None = None,
) -> list[str]:
    return cli_tool_set(
        tools, allowed=list(allowed), disallowed=list(disallowed), interactive=interactive, env=env or {}
    )


def test_without_tools_or_with_the_preset_a_session_has_the_clis_default_set() -> None:
    assert tool_set() == CLI_DEFAULT
    assert tool_set({"type": "preset", "preset": "claude_code"}) == CLI_DEFAULT
    assert "Glob" not in CLI_DEFAULT and "Grep" not in CLI_DEFAULT and "TodoWrite" not in CLI_DEFAULT
    assert [shown_name(n) for n in CLI_DEFAULT[:2]] == ["Task", "Bash"]  # the init message's names


def test_can_use_tool_adds_the_interactive_tools() -> None:
    assert set(tool_set(interactive=True)) - set(CLI_DEFAULT) == {
        "AskUserQuestion",
        "EnterPlanMode",
        "ExitPlanMode",
    }


def test_glob_and_grep_come_in_without_bash_or_when_allowed_by_name() -> None:
    no_shell = tool_set(disallowed=("Bash", "Task", "WebSearch"))
    assert {"Glob", "Grep"} <= set(no_shell)
    assert not {"Bash", "Monitor", "Agent", "WebSearch"} & set(no_shell)  # Monitor needs Bash
    assert {"Glob", "Grep"} <= set(tool_set(allowed=("Glob", "Grep", "TodoWrite")))
    # naming one of them (a rule's tool counts) brings both, beside Bash
    for allowed in (("Read", "Edit", "Glob"), ("Grep(*.py)",)):
        assert {"Bash", "Glob", "Grep"} <= set(tool_set(allowed=allowed))
        assert search_tools_named(None, list(allowed))
    assert "Grep" not in tool_set(allowed=("Glob",), disallowed=("Grep",))
    assert search_tools_named(["Bash", "Glob"], []) and not search_tools_named(
        ["Bash"], ["Read", "Bash(ls:*)"]
    )
    assert "TodoWrite" not in tool_set(allowed=("TodoWrite",))
    assert tool_set(["Read"], allowed=("Glob",)) == ["Read"]  # allowed_tools does not add to a list


def test_claude_code_enable_tasks_off_swaps_the_task_tools_for_todo_write() -> None:
    for off in ("0", "false"):
        names = tool_set(env={"CLAUDE_CODE_ENABLE_TASKS": off})
        assert "TodoWrite" in names and "TaskStop" in names
        assert not {"TaskCreate", "TaskGet", "TaskList", "TaskUpdate"} & set(names)
    assert tool_set(["TodoWrite", "Read"], env={"CLAUDE_CODE_ENABLE_TASKS": "0"}) == ["Read", "TodoWrite"]


def test_a_tools_list_names_exactly_the_tools_in_the_clis_order() -> None:
    assert tool_set([]) == []
    assert tool_set(["Read", "Bash", "Read"]) == ["Bash", "Read"]
    assert tool_set(["Read", "Glob", "Grep", "Agent", "Bash"]) == ["Agent", "Bash", "Glob", "Grep", "Read"]
    assert tool_set(["KillShell", "Task", "Monitor"]) == ["Agent", "Monitor", "TaskStop"]  # legacy names
    assert tool_set(["mcp__calc__add", "Read"]) == ["Read"]  # MCP tools come from their servers
    assert tool_set(["Read", "Agent"], disallowed=("Task",)) == ["Read"]


def test_names_the_cli_does_not_offer_are_dropped_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="TodoWrite, TaskOutput, BashOutput, Raed"):
        assert tool_set(["Read", "TodoWrite", "TaskOutput", "BashOutput", "Raed"]) == ["Read"]
    with pytest.raises(InvalidOptionError, match="preset"):
        tool_set({"type": "preset", "preset": "other"})


def test_disallowed_bare_names_remove_tools_but_patterns_do_not() -> None:
    names = tool_set(disallowed=("Bash", "WebSearch", "Edit(*.py)", "Read(/etc/**)"))
    assert "Bash" not in names and "WebSearch" not in names
    assert "Edit" in names and "Read" in names


def test_the_tools_claude_compat_runs_are_the_clis_or_offered_on_request() -> None:
    assert RUN_HERE <= {t.name for t in cli_facts.CLI_TOOLS}
    assert {"Agent", "Bash", "Edit", "Read", "Write", "NotebookEdit", "WebFetch", "WebSearch"} <= RUN_HERE


# --- every tool: no exception escapes ---


async def test_bad_input_becomes_an_input_validation_error_result(ctx: ToolContext) -> None:
    result = await call(ctx, "Read", {})
    assert result.is_error
    assert text_of(result) == (
        "<tool_use_error>InputValidationError: Read failed due to the following issue:\n"
        "The required parameter `file_path` is missing</tool_use_error>"
    )
    assert (
        result.structured == "Error: " + text_of(result)[len("<tool_use_error>") : -len("</tool_use_error>")]
    )
    wrong_type = await call(ctx, "Read", {"file_path": "a", "offset": "soon"})
    assert wrong_type.is_error and "`offset` type is expected as `number`" in text_of(wrong_type)
    bad_enum = await call(ctx, "Grep", {"pattern": "x", "output_mode": "everything"})
    assert bad_enum.is_error and "output_mode" in text_of(bad_enum)


async def test_numbers_and_booleans_sent_as_strings_are_accepted(ctx: ToolContext) -> None:
    write(ctx.cwd / "a.txt", "one\ntwo\nthree\n")
    result = await call(ctx, "Read", {"file_path": "a.txt", "offset": "2", "limit": "1"})
    assert text_of(result) == "2\ttwo"
    grep = await call(ctx, "Grep", {"pattern": "TWO", "-i": "true", "output_mode": "content"})
    assert text_of(grep) == "a.txt:2:two"


async def test_a_tool_that_raises_gives_an_error_result_instead(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(tool_input: dict[str, Any], context: ToolContext) -> ToolOutcome:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(files_module, "_read", boom)
    result = await call(ctx, "Read", {"file_path": "a.txt"})
    assert result.is_error
    assert text_of(result) == "Read failed: RuntimeError: disk on fire"


# --- Read ---


async def test_read_numbers_lines_as_the_claude_cli_does(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "a.txt", "hello\nworld\n")
    result = await call(ctx, "Read", {"file_path": str(path)})
    assert not result.is_error
    assert result.content == "1\thello\n2\tworld\n3\t"
    assert result.structured == {
        "type": "text",
        "file": {
            "filePath": str(path),
            "content": "hello\nworld\n",
            "numLines": 3,
            "startLine": 1,
            "totalLines": 3,
        },
    }


async def test_read_offset_and_limit_choose_lines(ctx: ToolContext) -> None:
    write(ctx.cwd / "a.txt", "one\ntwo\nthree\ntwo\n")
    result = await call(ctx, "Read", {"file_path": "a.txt", "offset": 2, "limit": 2})
    assert result.content == "2\ttwo\n3\tthree"
    assert result.structured["file"] == {
        "filePath": "a.txt",  # echoed as the model gave it, like the Claude CLI
        "content": "two\nthree",
        "numLines": 2,
        "startLine": 2,
        "totalLines": 5,
    }


async def test_read_of_an_empty_file_or_past_the_end_warns(ctx: ToolContext) -> None:
    write(ctx.cwd / "empty.txt", "")
    write(ctx.cwd / "a.txt", "one\ntwo\nthree\ntwo\n")
    empty = await call(ctx, "Read", {"file_path": "empty.txt"})
    assert (
        empty.content
        == "<system-reminder>Warning: the file exists but the contents are empty.</system-reminder>"
    )
    assert empty.structured["file"]["numLines"] == 1 and not empty.is_error
    past = await call(ctx, "Read", {"file_path": "a.txt", "offset": 10})
    assert past.content == (
        "<system-reminder>Warning: the file exists but is shorter than the provided offset (10). "
        "The file has 5 lines.</system-reminder>"
    )
    assert past.structured["file"] == {
        "filePath": "a.txt",  # echoed as the model gave it, like the Claude CLI
        "content": "",
        "numLines": 0,
        "startLine": 10,
        "totalLines": 5,
    }


async def test_read_of_a_missing_file_is_an_error_naming_the_cwd(ctx: ToolContext) -> None:
    result = await call(ctx, "Read", {"file_path": str(ctx.cwd / "missing.txt")})
    assert result.is_error
    assert result.content == f"File does not exist. Note: your current working directory is {ctx.cwd}."
    assert result.structured == f"Error: {result.content}"


async def test_read_of_a_non_utf8_file_says_it_is_not_utf8(ctx: ToolContext) -> None:
    write(ctx.cwd / "latin.txt", "café\n".encode("latin-1"))
    result = await call(ctx, "Read", {"file_path": "latin.txt"})
    text = text_of(result)
    assert text.startswith("1\tcaf\ufffd\n2\t\n\n[This file is not valid UTF-8")
    assert "Edit and Write will refuse it" in text
    assert result.structured["file"]["content"] == "caf\ufffd\n"
    edit = await call(ctx, "Edit", {"file_path": "latin.txt", "old_string": "caf", "new_string": "tea"})
    assert edit.is_error and "is not valid UTF-8" in text_of(edit)
    assert (ctx.cwd / "latin.txt").read_bytes() == "café\n".encode("latin-1")


async def test_read_refuses_binary_files(ctx: ToolContext) -> None:
    write(ctx.cwd / "blob.dat", b"\xff\xfe\x00A")
    write(ctx.cwd / "nul.txt", b"abc\x00def")
    by_name = await call(ctx, "Read", {"file_path": "blob.dat"})
    assert by_name.is_error
    assert text_of(by_name).startswith(
        "<tool_use_error>This tool cannot read binary files. The file appears to be a binary .dat file."
    )
    by_content = await call(ctx, "Read", {"file_path": "nul.txt"})
    assert by_content.is_error and "cannot read binary files" in text_of(by_content)


async def test_read_of_a_directory_is_an_error(ctx: ToolContext) -> None:
    result = await call(ctx, "Read", {"file_path": str(ctx.cwd)})
    assert result.is_error
    assert result.content == f"EISDIR: illegal operation on a directory, read '{ctx.cwd}'"


async def test_read_of_an_image_returns_an_image_block(ctx: ToolContext) -> None:
    data = png_bytes(3, 2)
    write(ctx.cwd / "img.png", data)
    result = await call(ctx, "Read", {"file_path": "img.png"})
    assert not result.is_error
    encoded = base64.b64encode(data).decode()
    assert result.content == [
        {"type": "image", "source": {"type": "base64", "data": encoded, "media_type": "image/png"}}
    ]
    assert result.structured == {
        "type": "image",
        "file": {
            "base64": encoded,
            "type": "image/png",
            "originalSize": len(data),
            "dimensions": {"originalWidth": 3, "originalHeight": 2, "displayWidth": 3, "displayHeight": 2},
        },
    }


async def test_read_normalises_windows_line_endings(ctx: ToolContext) -> None:
    write(ctx.cwd / "crlf.txt", "a\r\nb\r\n")
    result = await call(ctx, "Read", {"file_path": "crlf.txt"})
    assert result.content == "1\ta\n2\tb\n3\t"
    assert result.structured["file"]["content"] == "a\nb\n"


async def test_read_of_a_large_file_asks_for_offset_and_limit(ctx: ToolContext) -> None:
    write(ctx.cwd / "big.txt", "x" * 300_000)
    result = await call(ctx, "Read", {"file_path": "big.txt"})
    assert result.is_error
    # the CLI's words, read from the pinned CLI for the same file
    assert text_of(result) == (
        "File content (293KB) exceeds maximum allowed size (256KB). Use offset and limit parameters to read "
        "specific portions of the file, or search for specific content instead of reading the whole file. "
        "To read it anyway, up to what still fits in your context, call Read again with allow_large: true "
        "\u2014 only if you genuinely need all of it or the user asked for the whole file."
    )


async def test_read_with_allow_large_reads_past_the_limits_as_the_cli_does(ctx: ToolContext) -> None:
    write(ctx.cwd / "big.txt", "".join("x" * 99 + "\n" for _ in range(3000)))  # 300 KB, 75 k tokens
    result = await call(ctx, "Read", {"file_path": "big.txt", "allow_large": True})
    assert not result.is_error
    assert result.structured["file"] | {"content": None} == {
        "filePath": "big.txt",
        "content": None,
        "numLines": 3001,
        "startLine": 1,
        "totalLines": 3001,
    }
    too_many = await call(ctx, "Read", {"file_path": "big.txt", "limit": 2500})
    assert too_many.is_error and "call Read again with allow_large: true" in text_of(too_many)
    write(ctx.cwd / "huge.txt", "".join("y" * 199 + "\n" for _ in range(4000)))  # 200 k tokens
    capped = await call(ctx, "Read", {"file_path": "huge.txt", "allow_large": True})
    file = capped.structured["file"]
    assert not capped.is_error and file["truncatedByTokenCap"] is True
    assert 0 < file["numLines"] < file["totalLines"] == 4001
    assert capped.content.endswith("y" * 199)  # whole lines only


async def test_read_of_a_pdf_points_to_a_shell_command(ctx: ToolContext) -> None:
    write(ctx.cwd / "doc.pdf", b"%PDF-1.4\n")
    result = await call(ctx, "Read", {"file_path": "doc.pdf"})
    assert result.is_error and "pdftotext" in text_of(result)


# --- Write ---


async def test_write_and_edit_results_name_the_path_as_the_model_gave_it(ctx: ToolContext) -> None:
    created = await call(ctx, "Write", {"file_path": "notes.txt", "content": "a\n"})
    assert created.content == f"File created successfully at: notes.txt{IN_CONTEXT}"
    assert (ctx.cwd / "notes.txt").read_text() == "a\n"
    updated = await call(ctx, "Write", {"file_path": "notes.txt", "content": "b\n"})
    assert updated.content == f"The file notes.txt has been updated successfully.{IN_CONTEXT}"
    edited = await call(ctx, "Edit", {"file_path": "notes.txt", "old_string": "b", "new_string": "c"})
    assert edited.content == f"The file notes.txt has been updated successfully.{IN_CONTEXT}"


async def test_write_creates_parent_directories_and_reports_a_create(ctx: ToolContext) -> None:
    path = ctx.cwd / "new" / "dir" / "n.txt"
    result = await call(ctx, "Write", {"file_path": str(path), "content": "x\ny\n"})
    assert not result.is_error
    assert result.content == f"File created successfully at: {path}{IN_CONTEXT}"
    assert result.structured == {
        "type": "create",
        "filePath": str(path),
        "content": "x\ny\n",
        "structuredPatch": [],
        "originalFile": None,
        "userModified": False,
    }
    assert path.read_text() == "x\ny\n"


async def test_write_over_a_file_reports_an_update_with_its_patch(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "w.txt", "old content\n")
    await read_first(ctx, path)
    result = await call(ctx, "Write", {"file_path": str(path), "content": "new content\nline2\n"})
    assert result.content == f"The file {path} has been updated successfully.{IN_CONTEXT}"
    assert result.structured == {
        "type": "update",
        "filePath": str(path),
        "content": "new content\nline2\n",
        "structuredPatch": [
            {
                "oldStart": 1,
                "oldLines": 1,
                "newStart": 1,
                "newLines": 2,
                "lines": ["-old content", "+new content", "+line2"],
            }
        ],
        "originalFile": "old content\n",
        "userModified": False,
    }


async def test_write_to_a_directory_is_refused(ctx: ToolContext) -> None:
    result = await call(ctx, "Write", {"file_path": str(ctx.cwd), "content": "x"})
    assert result.is_error
    assert result.content == (
        f"<tool_use_error>{ctx.cwd} is a directory, not a file. To create a file inside it, include "
        "the file name in file_path.</tool_use_error>"
    )


# --- Edit ---


async def test_edit_replaces_a_unique_string_and_returns_the_patch(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "l.txt", "".join(f"l{i}\n" for i in range(1, 21)))
    await call(ctx, "Read", {"file_path": str(path), "offset": 9, "limit": 2})  # part of it
    result = await call(
        ctx, "Edit", {"file_path": str(path), "old_string": "l10\n", "new_string": "L10\nnew\n"}
    )
    assert not result.is_error
    assert result.content == f"The file {path} has been updated successfully."
    structured = result.structured
    assert structured["structuredPatch"] == [
        {
            "oldStart": 7,
            "oldLines": 7,
            "newStart": 7,
            "newLines": 8,
            "lines": [" l7", " l8", " l9", "-l10", "+L10", "+new", " l11", " l12", " l13"],
        }
    ]
    assert structured["contentNotInModelContext"] is True  # edited having read part of it
    assert structured["replaceAll"] is False and structured["userModified"] is False
    assert structured["oldString"] == "l10\n" and structured["originalFile"].startswith("l1\nl2\n")
    assert "L10\nnew\nl11" in path.read_text()


async def test_edit_after_read_says_the_file_state_is_current(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "e.txt", "alpha beta\ngamma beta\n")
    await call(ctx, "Read", {"file_path": str(path)})
    result = await call(ctx, "Edit", {"file_path": str(path), "old_string": "alpha", "new_string": "ALPHA"})
    assert result.content == f"The file {path} has been updated successfully.{IN_CONTEXT}"
    assert "contentNotInModelContext" not in result.structured


async def test_edit_of_a_non_unique_string_is_refused_and_changes_nothing(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "e.txt", "alpha beta\ngamma beta\n")
    await read_first(ctx, path)
    result = await call(ctx, "Edit", {"file_path": str(path), "old_string": "beta", "new_string": "BETA"})
    assert result.is_error
    assert result.content == (
        "<tool_use_error>Found 2 matches of the string to replace, but replace_all is false. To replace all "
        "occurrences, set replace_all to true. To replace only one occurrence, please provide more context "
        "to uniquely identify the instance.\nString: beta</tool_use_error>"
    )
    assert path.read_text() == "alpha beta\ngamma beta\n"


async def test_edit_replace_all_changes_every_occurrence(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "e.txt", "alpha beta\ngamma beta\n")
    await read_first(ctx, path)
    result = await call(
        ctx, "Edit", {"file_path": str(path), "old_string": "beta", "new_string": "BETA", "replace_all": True}
    )
    assert result.content == (
        f"The file {path} has been updated. All occurrences were successfully replaced.{IN_CONTEXT}"
    )
    assert result.structured["structuredPatch"][0]["lines"] == [
        "-alpha beta",
        "-gamma beta",
        "+alpha BETA",
        "+gamma BETA",
    ]
    assert path.read_text() == "alpha BETA\ngamma BETA\n"


async def test_edit_errors_are_worded_as_the_cli_words_them(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "e.txt", "alpha\n")
    await read_first(ctx, path)
    missing = await call(ctx, "Edit", {"file_path": str(path), "old_string": "zzz", "new_string": "y"})
    assert (
        missing.content
        == "<tool_use_error>String to replace not found in file.\nString: zzz</tool_use_error>"
    )
    same = await call(ctx, "Edit", {"file_path": str(path), "old_string": "alpha", "new_string": "alpha"})
    assert same.content == (
        "<tool_use_error>No changes to make: old_string and new_string are exactly the same.</tool_use_error>"
    )
    nofile = await call(
        ctx, "Edit", {"file_path": str(ctx.cwd / "nope.txt"), "old_string": "a", "new_string": "b"}
    )
    assert nofile.content == (
        "<tool_use_error>File does not exist. "
        f"Note: your current working directory is {ctx.cwd}.</tool_use_error>"
    )
    exists = await call(ctx, "Edit", {"file_path": str(path), "old_string": "", "new_string": "x"})
    assert exists.content == "<tool_use_error>Cannot create new file - file already exists.</tool_use_error>"
    notebook = await call(
        ctx, "Edit", {"file_path": str(ctx.cwd / "n.ipynb"), "old_string": "a", "new_string": "b"}
    )
    assert "Use the NotebookEdit to edit this file." in text_of(notebook)
    assert all(r.is_error for r in (missing, same, nofile, exists, notebook))
    assert missing.structured == "Error: String to replace not found in file.\nString: zzz"


async def test_edit_with_an_empty_old_string_creates_a_file(ctx: ToolContext) -> None:
    path = ctx.cwd / "created.txt"
    result = await call(ctx, "Edit", {"file_path": str(path), "old_string": "", "new_string": "fresh\n"})
    assert result.content == f"The file {path} has been updated successfully.{IN_CONTEXT}"
    assert result.structured["originalFile"] == ""
    assert result.structured["structuredPatch"] == [
        {"oldStart": 1, "oldLines": 0, "newStart": 1, "newLines": 1, "lines": ["+fresh"]}
    ]
    assert path.read_text() == "fresh\n"


async def test_edit_keeps_windows_line_endings(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "crlf.txt", "a\r\nb\r\n")
    await read_first(ctx, path)
    result = await call(ctx, "Edit", {"file_path": str(path), "old_string": "a\nb", "new_string": "A\nB"})
    assert not result.is_error
    assert path.read_bytes() == b"A\r\nB\r\n"
    assert result.structured["originalFile"] == "a\nb\n"


async def test_edit_matches_curly_quotes_in_the_file_with_straight_ones(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "q.txt", "say \u201chello\u201d\n")
    await read_first(ctx, path)
    result = await call(
        ctx, "Edit", {"file_path": str(path), "old_string": 'say "hello"', "new_string": "bye"}
    )
    assert not result.is_error
    assert path.read_text() == "bye\n"


# --- the read-before-write rule (measured on the CLI: see cli_facts.FILE_NOT_READ) ---

NOT_READ = "File has not been read yet. Read it first before writing to it."
MODIFIED = (
    "File has been modified since read, either by the user or by a linter. Read it again before "
    "attempting to write it."
)
STALE_NOTE = (
    " (note: the file had been modified on disk since you last read it \u2014 the edit applied cleanly, "
    "but the file contains other changes not in your context. Read it before edits that depend on "
    "surrounding content.)"
)


async def test_write_and_edit_refuse_an_existing_file_the_session_has_not_read(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "kept.txt", "hello\n")
    for name, tool_input in (
        ("Edit", {"file_path": "kept.txt", "old_string": "hello", "new_string": "bye"}),
        ("Edit", {"file_path": "kept.txt", "old_string": "absent", "new_string": "bye"}),
        ("Write", {"file_path": "kept.txt", "content": "x"}),
    ):
        result = await call(ctx, name, tool_input)
        assert result.is_error, name
        assert result.content == f"<tool_use_error>{NOT_READ}</tool_use_error>"
        assert result.structured == f"Error: {NOT_READ}"
    assert path.read_text() == "hello\n"
    # the checks that come first in the CLI still do
    same = await call(ctx, "Edit", {"file_path": "kept.txt", "old_string": "a", "new_string": "a"})
    assert "No changes to make" in text_of(same)
    exists = await call(ctx, "Edit", {"file_path": "kept.txt", "old_string": "", "new_string": "x"})
    assert exists.content == "<tool_use_error>Cannot create new file - file already exists.</tool_use_error>"


async def test_an_unread_empty_file_is_refused_in_plain_text(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "empty.txt", "")
    result = await call(ctx, "Edit", {"file_path": str(path), "old_string": "", "new_string": "fill"})
    assert result.is_error and result.content == NOT_READ and result.structured == f"Error: {NOT_READ}"
    assert path.read_text() == ""


async def test_new_files_need_no_read_and_what_the_session_wrote_counts_as_read(ctx: ToolContext) -> None:
    created = await call(ctx, "Write", {"file_path": "new.txt", "content": "one\n"})
    made = await call(ctx, "Edit", {"file_path": "made.txt", "old_string": "", "new_string": "two\n"})
    assert not created.is_error and not made.is_error
    rewritten = await call(ctx, "Write", {"file_path": "made.txt", "content": "three\n"})
    edited = await call(ctx, "Edit", {"file_path": "new.txt", "old_string": "one", "new_string": "ONE"})
    assert edited.content == f"The file new.txt has been updated successfully.{IN_CONTEXT}"
    assert not rewritten.is_error and (ctx.cwd / "made.txt").read_text() == "three\n"


async def test_a_partial_read_allows_edits_that_say_the_content_is_not_in_context(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "p.txt", "hello\nworld\nthree\n")
    await call(ctx, "Read", {"file_path": str(path), "offset": 2, "limit": 1})
    first = await call(ctx, "Edit", {"file_path": str(path), "old_string": "world", "new_string": "W"})
    second = await call(ctx, "Edit", {"file_path": str(path), "old_string": "hello", "new_string": "H"})
    for result in (first, second):
        assert result.content == f"The file {path} has been updated successfully."
        assert result.structured["contentNotInModelContext"] is True
    assert path.read_text() == "H\nW\nthree\n"


async def test_a_file_changed_since_it_was_read_is_refused_unless_the_edit_applies_cleanly(
    ctx: ToolContext,
) -> None:
    path = write(ctx.cwd / "s.txt", "eee\n")
    await read_first(ctx, path)
    write(path, "zz\nzz\n")  # changed on disk after the Read
    gone = await call(ctx, "Edit", {"file_path": str(path), "old_string": "eee", "new_string": "E"})
    twice = await call(ctx, "Edit", {"file_path": str(path), "old_string": "zz", "new_string": "E"})
    rewrite = await call(ctx, "Write", {"file_path": str(path), "content": "w"})
    for result in (gone, twice, rewrite):
        assert result.is_error and result.content == f"<tool_use_error>{MODIFIED}</tool_use_error>"
    assert path.read_text() == "zz\nzz\n"
    applied = await call(
        ctx, "Edit", {"file_path": str(path), "old_string": "zz", "new_string": "E", "replace_all": True}
    )
    assert applied.content == (
        f"The file {path} has been updated. All occurrences were successfully replaced.{STALE_NOTE}"
    )
    assert applied.structured["staleRecovered"] is True
    assert applied.structured["contentNotInModelContext"] is True
    assert path.read_text() == "E\nE\n"


async def test_a_file_rewritten_with_the_same_content_is_not_changed(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "same.txt", "dee\n")
    await read_first(ctx, path)
    write(path, "dee\n", mtime=path.stat().st_mtime + 5)
    result = await call(ctx, "Edit", {"file_path": str(path), "old_string": "dee", "new_string": "DEE"})
    assert result.content == f"The file {path} has been updated successfully.{IN_CONTEXT}"


async def test_a_partly_read_file_that_changed_on_disk_is_refused_by_write(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "b.txt", "bee\nsecond\n")
    await call(ctx, "Read", {"file_path": str(path), "offset": 1, "limit": 1})
    write(path, "bee\nsecond\nx\n")
    result = await call(ctx, "Write", {"file_path": str(path), "content": "w"})
    assert result.content == f"<tool_use_error>{MODIFIED}</tool_use_error>"


async def test_the_read_state_belongs_to_the_session(ctx: ToolContext) -> None:
    path = write(ctx.cwd / "own.txt", "mine\n")
    await read_first(ctx, path)
    other = ToolContext(cwd=ctx.cwd, add_dirs=[], env=ctx.env, session_id=str(uuid.uuid4()), state={})
    result = await call(other, "Edit", {"file_path": str(path), "old_string": "mine", "new_string": "x"})
    assert result.content == f"<tool_use_error>{NOT_READ}</tool_use_error>"


# --- Bash ---


async def test_bash_returns_output_and_the_structured_bash_output(ctx: ToolContext) -> None:
    result = await call(ctx, "Bash", {"command": "echo hi"})
    assert not result.is_error
    assert result.content == "hi"
    assert result.structured == {
        "stdout": "hi",
        "stderr": "",
        "interrupted": False,
        "isImage": False,
        "noOutputExpected": False,
    }


async def test_bash_runs_in_the_cwd_with_the_session_env(ctx: ToolContext) -> None:
    result = await call(ctx, "Bash", {"command": 'pwd; echo "$CLAUDE_COMPAT_TEST_VAR"; echo err >&2'})
    assert text_of(result).split("\n") == [os.path.realpath(ctx.cwd), "from-options-env", "err"]


async def test_bash_reports_a_non_zero_exit_code_as_an_error(ctx: ToolContext) -> None:
    result = await call(ctx, "Bash", {"command": "echo out; echo err >&2; exit 3"})
    assert result.is_error
    assert result.content == "Exit code 3\nout\nerr"
    assert result.structured == "Error: Exit code 3\nout\nerr"
    bare = await call(ctx, "Bash", {"command": "exit 1"})
    assert bare.content == "Exit code 1" and bare.is_error


async def test_bash_without_output_says_so(ctx: ToolContext) -> None:
    result = await call(ctx, "Bash", {"command": "true"})
    assert result.content == "(Bash completed with no output)" and not result.is_error


async def test_bash_keeps_the_directory_between_calls_inside_the_project(ctx: ToolContext) -> None:
    (ctx.cwd / "sub").mkdir()
    await call(ctx, "Bash", {"command": "cd sub"})
    inside = await call(ctx, "Bash", {"command": "pwd"})
    assert inside.content == os.path.realpath(ctx.cwd / "sub")
    outside = await call(ctx, "Bash", {"command": "cd / && pwd"})
    assert outside.content == f"/\nShell cwd was reset to {ctx.cwd}"
    assert outside.structured["stderr"] == f"\nShell cwd was reset to {ctx.cwd}"
    back = await call(ctx, "Bash", {"command": "pwd"})
    assert back.content == os.path.realpath(ctx.cwd)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_bash_timeout_stops_the_whole_process_group(ctx: ToolContext) -> None:
    result = await call(
        ctx, "Bash", {"command": "sleep 60 & echo $! > child.pid; echo started; wait", "timeout": 300}
    )
    assert result.is_error
    assert result.content == "started\nCommand timed out after 0.3s and was stopped."
    assert result.structured["interrupted"] is True
    child = int((ctx.cwd / "child.pid").read_text())
    with anyio.fail_after(10):
        while _alive(child):
            await anyio.sleep(0.05)


async def test_bash_returns_when_the_shell_exits_even_if_a_child_keeps_running(ctx: ToolContext) -> None:
    result = await call(
        ctx, "Bash", {"command": "sleep 30 & echo $! > child.pid; echo done", "timeout": 20000}
    )
    assert result.content == "done" and not result.is_error
    os.kill(int((ctx.cwd / "child.pid").read_text()), 9)


async def test_cancelling_a_bash_call_stops_its_processes(ctx: ToolContext) -> None:
    pid_file = ctx.cwd / "child.pid"
    async with anyio.create_task_group() as tg:
        tg.start_soon(call, ctx, "Bash", {"command": "sleep 60 & echo $! > child.pid; wait"})
        with anyio.fail_after(10):
            while not pid_file.exists() or not pid_file.read_text().strip():
                await anyio.sleep(0.02)
        tg.cancel_scope.cancel()
    child = int(pid_file.read_text())
    with anyio.fail_after(30):  # generous: the fast core may run at a low priority beside the suite
        while _alive(child):
            await anyio.sleep(0.05)


async def test_bash_output_over_the_limit_is_saved_to_a_file(ctx: ToolContext) -> None:
    result = await call(ctx, "Bash", {"command": "python3 -c \"print('y' * 40000)\""})
    text = text_of(result)
    assert text.startswith("<persisted-output>\nOutput too large (39.1KB). Full output saved to: ")
    assert text.endswith("\n...\n</persisted-output>")
    saved = Path(text.split("Full output saved to: ")[1].split("\n")[0])
    assert saved.read_text() == "y" * 40000
    assert result.structured["stdout"] == "y" * 40000


async def test_bash_in_the_background_names_its_output_file_for_read(ctx: ToolContext) -> None:
    started = await call(ctx, "Bash", {"command": "echo bg-done", "run_in_background": True})
    task_id = started.structured["backgroundTaskId"]
    text = text_of(started)
    assert text.startswith(f"Command running in background with ID: {task_id}. Output is being written to: ")
    assert text.endswith(". To check interim output, use Read on that file path.")  # the CLI's words
    output = text.split("Output is being written to: ")[1].split(". To check")[0]
    await anyio.to_thread.run_sync(ctx.state["background_tasks"][task_id].process.wait)
    read = await call(ctx, "Read", {"file_path": output})
    assert text_of(read) == "1\tbg-done\n2\t"


async def test_task_stop_ends_a_background_task(ctx: ToolContext) -> None:
    started = await call(ctx, "Bash", {"command": "sleep 60", "run_in_background": True})
    task_id = started.structured["backgroundTaskId"]
    task = ctx.state["background_tasks"][task_id]
    assert task.status == "running"
    stopped = await call(ctx, "TaskStop", {"task_id": task_id})
    assert json.loads(text_of(stopped)) == {
        "message": f"Successfully stopped task: {task_id} (sleep 60)",
        "task_id": task_id,
        "task_type": "local_bash",
        "command": "sleep 60",
    }
    assert task.status == "killed"
    again = await call(ctx, "TaskStop", {"shell_id": task_id})
    assert again.is_error and "is not running" in text_of(again)


async def test_task_stop_names_an_unknown_task(ctx: ToolContext) -> None:
    result = await call(ctx, "TaskStop", {"task_id": "nope"})
    assert result.is_error
    assert result.content == "<tool_use_error>No task found with ID: nope</tool_use_error>"


async def test_shutdown_kills_background_tasks_left_running(ctx: ToolContext) -> None:
    started = await call(ctx, "Bash", {"command": "sleep 60", "run_in_background": True})
    task = ctx.state["background_tasks"][started.structured["backgroundTaskId"]]
    shutdown(ctx.state)
    assert task.process.poll() is not None and task.status == "killed"


# --- Glob ---


async def test_glob_lists_matches_oldest_first_relative_to_the_cwd(ctx: ToolContext) -> None:
    write(ctx.cwd / "src/a.py", "", mtime=1_600_000_000)
    write(ctx.cwd / "src/deep/c.py", "", mtime=1_700_000_000)
    write(ctx.cwd / ".hidden/h.py", "", mtime=1_650_000_000)
    write(ctx.cwd / "src/b.js", "")
    result = await call(ctx, "Glob", {"pattern": "**/*.py"})
    assert result.content == "src/a.py\n.hidden/h.py\nsrc/deep/c.py"
    structured = result.structured
    assert structured["filenames"] == ["src/a.py", ".hidden/h.py", "src/deep/c.py"]
    assert structured["numFiles"] == 3 and structured["truncated"] is False
    assert isinstance(structured["durationMs"], int)


async def test_glob_without_a_slash_matches_names_at_any_depth(ctx: ToolContext) -> None:
    write(ctx.cwd / "src/a.py", "", mtime=1_600_000_000)
    write(ctx.cwd / "src/deep/c.py", "", mtime=1_700_000_000)
    write(ctx.cwd / "top.py", "", mtime=1_500_000_000)
    in_src = await call(ctx, "Glob", {"pattern": "*.py", "path": str(ctx.cwd / "src")})
    assert in_src.content == "src/a.py\nsrc/deep/c.py"
    anchored = await call(ctx, "Glob", {"pattern": "src/*.py"})
    assert anchored.content == "src/a.py"
    braces = await call(ctx, "Glob", {"pattern": "{top,a}.py"})
    assert braces.content == "top.py\nsrc/a.py"


async def test_glob_reports_no_files_and_a_missing_directory(ctx: ToolContext) -> None:
    none = await call(ctx, "Glob", {"pattern": "*.nothing"})
    assert none.content == "No files found" and not none.is_error
    missing = await call(ctx, "Glob", {"pattern": "*", "path": str(ctx.cwd / "missing")})
    assert missing.is_error
    assert missing.content == (
        f"Directory does not exist: {ctx.cwd / 'missing'}. Note: your current working directory is {ctx.cwd}."
    )


async def test_glob_stops_at_100_files_and_says_how_many_more(ctx: ToolContext) -> None:
    for i in range(105):
        write(ctx.cwd / f"many/f{i:03d}.txt", "", mtime=1_600_000_000 + i)
    result = await call(ctx, "Glob", {"pattern": "many/*.txt"})
    lines = text_of(result).split("\n")
    assert lines[0] == "many/f000.txt" and lines[99] == "many/f099.txt"
    assert lines[100] == (
        "(Showing 100 of 105 matching files; 5 more are not listed. "
        "Narrow the pattern or path to see the rest.)"
    )
    assert result.structured["truncated"] is True and result.structured["totalMatches"] == 105


async def test_glob_and_grep_skip_gitignored_files_and_vcs_directories(ctx: ToolContext) -> None:
    (ctx.cwd / ".git").mkdir()
    write(ctx.cwd / ".git/config.py", "needle")
    write(ctx.cwd / ".gitignore", "ignored.py\nbuild/\n")
    write(ctx.cwd / "ignored.py", "needle")
    write(ctx.cwd / "build/out.py", "needle")
    write(ctx.cwd / "kept.py", "needle")
    glob = await call(ctx, "Glob", {"pattern": "**/*.py"})
    assert glob.content == "kept.py"
    grep = await call(ctx, "Grep", {"pattern": "needle"})
    assert grep.content == "Found 1 file\nkept.py"


async def test_glob_and_grep_do_not_follow_links_out_of_the_project(ctx: ToolContext, tmp_path: Path) -> None:
    """As ripgrep without --follow: links met while walking are skipped, so nothing outside is read."""
    secret = write(tmp_path / "outside" / "secret.txt", "password=hunter2\n")
    (ctx.cwd / "link.txt").symlink_to(secret)
    (ctx.cwd / "linkdir").symlink_to(secret.parent, target_is_directory=True)
    write(ctx.cwd / "own.txt", "password=mine\n")
    grep = await call(ctx, "Grep", {"pattern": "password", "output_mode": "content"})
    assert text_of(grep) == "own.txt:1:password=mine"
    glob = await call(ctx, "Glob", {"pattern": "**/*.txt"})
    assert text_of(glob) == "own.txt"


async def test_grep_searches_a_link_named_as_its_path_as_ripgrep_does(
    ctx: ToolContext, tmp_path: Path
) -> None:
    """A path given explicitly is followed (the permission gate has already judged where it leads)."""
    secret = write(tmp_path / "outside" / "secret.txt", "password=hunter2\n")
    (ctx.cwd / "link.txt").symlink_to(secret)
    grep = await call(ctx, "Grep", {"pattern": "password", "path": "link.txt", "output_mode": "content"})
    assert text_of(grep) == "1:password=hunter2"


# --- Grep ---


@pytest.fixture
def tree(ctx: ToolContext) -> Path:
    root = ctx.cwd
    write(
        root / "src/a.py",
        "import os\ndef foo():\n    return 1\n\ndef bar():\n    return FOO\n",
        1_600_000_000,
    )
    write(root / "src/b.js", "function foo() {}\n// foo again\n", 1_610_000_000)
    write(root / "docs/readme.md", "Foo docs\nnothing\n", 1_590_000_000)
    write(root / "src/deep/c.py", "x = 'foo'\n", 1_640_000_000)
    write(root / "bin/blob.so", b"foo\x00\x01")
    return root


async def test_grep_lists_matching_files_newest_first(ctx: ToolContext, tree: Path) -> None:
    result = await call(ctx, "Grep", {"pattern": "foo"})
    assert result.content == "Found 3 files\nsrc/deep/c.py\nsrc/b.js\nsrc/a.py"
    assert result.structured == {
        "mode": "files_with_matches",
        "filenames": ["src/deep/c.py", "src/b.js", "src/a.py"],
        "numFiles": 3,
        "totalFiles": 3,
    }
    insensitive = await call(ctx, "Grep", {"pattern": "foo", "-i": True})
    assert text_of(insensitive).split("\n")[-1] == "docs/readme.md"


async def test_grep_content_mode_prints_path_line_and_text(ctx: ToolContext, tree: Path) -> None:
    result = await call(ctx, "Grep", {"pattern": "foo", "output_mode": "content"})
    assert result.content == (
        "src/a.py:2:def foo():\nsrc/b.js:1:function foo() {}\nsrc/b.js:2:// foo again\n"
        "src/deep/c.py:1:x = 'foo'"
    )
    assert result.structured == {
        "mode": "content",
        "numFiles": 0,
        "filenames": [],
        "content": result.content,
        "numLines": 4,
        "totalLines": 4,
    }
    plain = await call(ctx, "Grep", {"pattern": "foo", "output_mode": "content", "-n": False, "-i": True})
    assert text_of(plain).split("\n")[:3] == [
        "docs/readme.md:Foo docs",
        "src/a.py:def foo():",
        "src/a.py:    return FOO",
    ]


async def test_grep_context_lines_use_dashes_and_separators(ctx: ToolContext, tree: Path) -> None:
    result = await call(ctx, "Grep", {"pattern": "foo", "output_mode": "content", "-C": 1, "path": "src"})
    assert result.content == (
        "src/a.py-1-import os\nsrc/a.py:2:def foo():\nsrc/a.py-3-    return 1\n--\n"
        "src/b.js:1:function foo() {}\nsrc/b.js:2:// foo again\n--\nsrc/deep/c.py:1:x = 'foo'"
    )
    around = await call(ctx, "Grep", {"pattern": "return", "output_mode": "content", "-A": 1, "-B": 1})
    assert around.content == (
        "src/a.py-2-def foo():\nsrc/a.py:3:    return 1\nsrc/a.py-4-\nsrc/a.py-5-def bar():\n"
        "src/a.py:6:    return FOO"
    )


async def test_grep_count_mode_sums_up(ctx: ToolContext, tree: Path) -> None:
    result = await call(ctx, "Grep", {"pattern": "foo", "output_mode": "count"})
    assert result.content == (
        "src/a.py:1\nsrc/b.js:2\nsrc/deep/c.py:1\n\nFound 4 total occurrences across 3 files."
    )
    assert result.structured == {
        "mode": "count",
        "numFiles": 3,
        "filenames": [],
        "content": "src/a.py:1\nsrc/b.js:2\nsrc/deep/c.py:1",
        "numMatches": 4,
    }


async def test_grep_filters_by_glob_and_type(ctx: ToolContext, tree: Path) -> None:
    by_glob = await call(ctx, "Grep", {"pattern": "foo", "glob": "*.py"})
    assert by_glob.structured["filenames"] == ["src/deep/c.py", "src/a.py"]
    by_braces = await call(ctx, "Grep", {"pattern": "foo", "glob": "*.{js,md}", "-i": True})
    assert by_braces.structured["filenames"] == ["src/b.js", "docs/readme.md"]
    negated = await call(ctx, "Grep", {"pattern": "foo", "glob": "!*.py"})
    assert negated.structured["filenames"] == ["src/b.js"]
    by_type = await call(ctx, "Grep", {"pattern": "foo", "type": "js"})
    assert by_type.structured["filenames"] == ["src/b.js"]
    unknown = await call(ctx, "Grep", {"pattern": "foo", "type": "nosuchtype"})
    assert unknown.is_error and "unrecognized file type: nosuchtype" in text_of(unknown)


async def test_grep_multiline_matches_across_lines(ctx: ToolContext, tree: Path) -> None:
    result = await call(
        ctx, "Grep", {"pattern": r"def foo\(\):\n\s+return", "multiline": True, "output_mode": "content"}
    )
    assert result.content == "src/a.py:2:def foo():\nsrc/a.py:3:    return 1"
    single = await call(ctx, "Grep", {"pattern": r"def foo\(\):\n\s+return", "output_mode": "content"})
    assert single.content == "No matches found"


async def test_grep_only_matching_prints_the_matches(ctx: ToolContext, tree: Path) -> None:
    result = await call(
        ctx, "Grep", {"pattern": "fo+", "-o": True, "-i": True, "output_mode": "content", "path": "src"}
    )
    assert (
        result.content
        == "src/a.py:2:foo\nsrc/a.py:6:FOO\nsrc/b.js:1:foo\nsrc/b.js:2:foo\nsrc/deep/c.py:1:foo"
    )


async def test_grep_in_one_file_leaves_out_the_file_name(ctx: ToolContext, tree: Path) -> None:
    result = await call(
        ctx, "Grep", {"pattern": "foo", "path": str(tree / "src/a.py"), "output_mode": "content"}
    )
    assert result.content == "2:def foo():"


async def test_grep_head_limit_and_offset_paginate(ctx: ToolContext) -> None:
    for i in range(6):
        write(ctx.cwd / f"f{i}.txt", "z\nz\n", mtime=1_600_000_000 + i)
    content = await call(
        ctx, "Grep", {"pattern": "z", "head_limit": 3, "offset": 2, "output_mode": "content"}
    )
    assert content.content == (
        "f1.txt:1:z\nf1.txt:2:z\nf2.txt:1:z\n\n[Showing results with pagination = limit: 3, offset: 2]"
    )
    assert content.structured["appliedLimit"] == 3 and content.structured["appliedOffset"] == 2
    assert content.structured["totalLines"] == 12
    files = await call(ctx, "Grep", {"pattern": "z", "offset": 1, "head_limit": 2})
    assert files.content == "Found 2 files limit: 2, offset: 1\nf4.txt\nf3.txt"
    assert files.structured["totalFiles"] == 6
    count = await call(ctx, "Grep", {"pattern": "z", "head_limit": 2, "output_mode": "count"})
    assert count.content == (
        "f0.txt:2\nf1.txt:2\n\nFound 12 total occurrences across 6 files. with pagination = limit: 2"
    )
    unlimited = await call(ctx, "Grep", {"pattern": "z", "head_limit": 0})
    assert unlimited.structured["numFiles"] == 6 and "appliedLimit" not in unlimited.structured


async def test_grep_without_matches_says_so_in_every_mode(ctx: ToolContext, tree: Path) -> None:
    files = await call(ctx, "Grep", {"pattern": "zzzz"})
    assert files.content == "No files found"
    content = await call(ctx, "Grep", {"pattern": "zzzz", "output_mode": "content"})
    assert content.content == "No matches found"
    count = await call(ctx, "Grep", {"pattern": "zzzz", "output_mode": "count"})
    assert count.content == "No matches found\n\nFound 0 total occurrences across 0 files."
    assert not any(r.is_error for r in (files, content, count))


async def test_grep_errors_name_the_bad_pattern_or_path(ctx: ToolContext) -> None:
    bad = await call(ctx, "Grep", {"pattern": "(unclosed"})
    assert bad.is_error and text_of(bad).startswith("Search failed — ")
    assert "regex parse error" in text_of(bad)
    missing = await call(ctx, "Grep", {"pattern": "x", "path": str(ctx.cwd / "missing")})
    assert missing.content == (
        f"Path does not exist: {ctx.cwd / 'missing'}. Note: your current working directory is {ctx.cwd}."
    )


# --- TodoWrite ---


async def test_todo_write_keeps_the_list_in_session_state(ctx: ToolContext) -> None:
    todos = [
        {"content": "Do A", "status": "in_progress", "activeForm": "Doing A"},
        {"content": "Do B", "status": "pending", "activeForm": "Doing B"},
    ]
    result = await call(ctx, "TodoWrite", {"todos": todos})
    assert result.content == (
        "Todos have been modified successfully. Ensure that you continue to use the todo list to track your "
        "progress. Please proceed with the current tasks if applicable"
    )
    assert result.structured == {"oldTodos": [], "newTodos": todos}
    assert ctx.state["todos"] == todos
    done = [dict(t, status="completed") for t in todos]
    second = await call(ctx, "TodoWrite", {"todos": done})
    assert second.structured == {"oldTodos": todos, "newTodos": done}
    assert ctx.state["todos"] == []  # a finished list is cleared


async def test_todo_write_rejects_an_unknown_status(ctx: ToolContext) -> None:
    result = await call(ctx, "TodoWrite", {"todos": [{"content": "x", "status": "doing", "activeForm": "X"}]})
    assert result.is_error and "status must be one of pending, in_progress, completed" in text_of(result)


# --- NotebookEdit (and Read of a notebook) ---


def notebook(ctx: ToolContext) -> Path:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "id": "c1",
                "metadata": {},
                "source": ["print(1)\n", "1+1"],
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["1\n"]},
                    {"output_type": "execute_result", "data": {"text/plain": ["2"]}, "metadata": {}},
                ],
                "execution_count": 1,
            },
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": ["# Title"]},
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return write(ctx.cwd / "nb.ipynb", json.dumps(nb))


async def test_read_of_a_notebook_shows_its_cells_and_outputs(ctx: ToolContext) -> None:
    path = notebook(ctx)
    result = await call(ctx, "Read", {"file_path": str(path)})
    assert result.content == [
        {
            "type": "text",
            "text": '<cell id="c1">print(1)\n1+1</cell id="c1">\n\n1\n\n\n2\n'
            '<cell id="m1"><cell_type>markdown</cell_type># Title</cell id="m1">',
        }
    ]
    cells = result.structured["file"]["cells"]
    assert result.structured["type"] == "notebook"
    assert cells[0] == {
        "cellType": "code",
        "source": "print(1)\n1+1",
        "execution_count": 1,
        "cell_id": "c1",
        "language": "python",
        "outputs": [{"output_type": "stream", "text": "1\n"}, {"output_type": "execute_result", "text": "2"}],
    }
    assert cells[1] == {"cellType": "markdown", "source": "# Title", "cell_id": "m1"}


async def test_notebook_edit_replaces_inserts_and_deletes_cells(ctx: ToolContext) -> None:
    path = notebook(ctx)
    replaced = await call(
        ctx, "NotebookEdit", {"notebook_path": str(path), "cell_id": "c1", "new_source": "x = 2"}
    )
    assert replaced.content == "Updated cell c1 with x = 2"
    assert replaced.structured["old_source"] == "print(1)\n1+1"
    assert replaced.structured["edit_mode"] == "replace" and replaced.structured["error"] == ""
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["source"] == "x = 2" and cell["outputs"] == [] and cell["execution_count"] is None

    inserted = await call(
        ctx,
        "NotebookEdit",
        {
            "notebook_path": str(path),
            "cell_id": "c1",
            "new_source": "## Notes",
            "cell_type": "markdown",
            "edit_mode": "insert",
        },
    )
    new_id = inserted.structured["cell_id"]
    assert inserted.content == f"Inserted cell {new_id} with ## Notes"
    assert [c.get("id") for c in json.loads(path.read_text())["cells"]] == ["c1", new_id, "m1"]

    deleted = await call(
        ctx,
        "NotebookEdit",
        {"notebook_path": str(path), "cell_id": "m1", "new_source": "", "edit_mode": "delete"},
    )
    assert deleted.content == "Deleted cell m1"
    assert [c.get("id") for c in json.loads(path.read_text())["cells"]] == ["c1", new_id]
    assert json.loads(deleted.structured["updated_file"]) == json.loads(path.read_text())


async def test_notebook_edit_errors(ctx: ToolContext) -> None:
    path = notebook(ctx)
    write(ctx.cwd / "plain.txt", "x")
    missing = await call(
        ctx, "NotebookEdit", {"notebook_path": str(path), "cell_id": "zz", "new_source": "y"}
    )
    assert missing.content == '<tool_use_error>Cell with ID "zz" not found in notebook.</tool_use_error>'
    no_type = await call(
        ctx, "NotebookEdit", {"notebook_path": str(path), "new_source": "y", "edit_mode": "insert"}
    )
    assert (
        no_type.content
        == "<tool_use_error>Cell type is required when using edit_mode=insert.</tool_use_error>"
    )
    not_nb = await call(ctx, "NotebookEdit", {"notebook_path": str(ctx.cwd / "plain.txt"), "new_source": "y"})
    assert "File must be a Jupyter notebook (.ipynb file)." in text_of(not_nb)
    assert all(r.is_error for r in (missing, no_type, not_nb))


# --- WebFetch and WebSearch ---


class _Pages(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/page":
            body = (
                b"<html><head><title>Test page</title><style>p{}</style></head><body>"
                b"<h1>Hello</h1><p>Some <a href='/next'>linked</a> text.</p>"
                b"<script>var x;</script></body></html>"
            )
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
        elif self.path == "/away":
            port = self.headers["Host"].rsplit(":", 1)[1]
            self.send_response(301)
            self.send_header("location", f"http://localhost:{port}/page")
            body = b""
        elif self.path == "/same":
            self.send_response(302)
            self.send_header("location", "/page")
            body = b""
        else:
            self.send_response(404)
            body = b"nope"
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_web_fetch_returns_the_page_as_text(ctx: ToolContext, web: str) -> None:
    result = await call(ctx, "WebFetch", {"url": f"{web}/page", "prompt": "What does it say?"})
    assert not result.is_error
    assert result.content == f"# Test page\n\n# Hello\n\nSome linked ({web}/next) text."
    structured = result.structured
    assert structured["code"] == 200 and structured["codeText"] == "OK"
    assert structured["url"] == f"{web}/page" and structured["result"] == result.content
    assert structured["bytes"] > 0 and isinstance(structured["durationMs"], int)
    same_host = await call(ctx, "WebFetch", {"url": f"{web}/same", "prompt": "x"})
    assert same_host.content == result.content


async def test_web_fetch_reports_a_redirect_to_another_host(ctx: ToolContext, web: str) -> None:
    result = await call(ctx, "WebFetch", {"url": f"{web}/away", "prompt": "Summarise"})
    port = web.rsplit(":", 1)[1]
    assert text_of(result).startswith("REDIRECT DETECTED: The URL redirects to a different host.")
    assert f"Redirect URL: http://localhost:{port}/page" in text_of(result)
    assert '- prompt: "Summarise"' in text_of(result)
    assert not result.is_error


async def test_web_fetch_errors_are_clear(ctx: ToolContext, web: str) -> None:
    missing = await call(ctx, "WebFetch", {"url": f"{web}/missing", "prompt": "x"})
    assert missing.is_error and text_of(missing).startswith("Request failed with status code 404 (Not Found)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    down = await call(ctx, "WebFetch", {"url": f"http://127.0.0.1:{closed_port}/", "prompt": "x"})
    assert down.is_error
    assert text_of(down).startswith(f"WebFetch could not reach http://127.0.0.1:{closed_port}/: ")
    assert "network may be unreachable" in text_of(down)
    invalid = await call(ctx, "WebFetch", {"url": "not a url", "prompt": "x"})
    assert invalid.is_error and "Invalid URL" in text_of(invalid)


async def test_web_search_says_it_needs_a_search_provider(ctx: ToolContext) -> None:
    result = await call(ctx, "WebSearch", {"query": "letta agents"})
    assert result.is_error
    assert text_of(result).startswith("WebSearch needs a configured search provider on Letta")
    assert 'disallowed_tools=["WebSearch"]' in text_of(result)


# --- AskUserQuestion and plan mode ---

QUESTION = {
    "question": "Which database?",
    "header": "Database",
    "options": [{"label": "SQLite", "description": "file"}, {"label": "Postgres", "description": "server"}],
    "multiSelect": False,
}


async def test_ask_user_question_is_denied_in_headless_runs(ctx: ToolContext) -> None:
    result = await call(ctx, "AskUserQuestion", {"questions": [QUESTION]})
    assert result.is_error and result.denied
    assert text_of(result).startswith("AskUserQuestion is not available in this headless run")
    assert "can_use_tool" in text_of(result)


async def test_ask_user_question_uses_answers_given_through_can_use_tool(ctx: ToolContext) -> None:
    result = await call(
        ctx, "AskUserQuestion", {"questions": [QUESTION], "answers": {"Which database?": "SQLite"}}
    )
    assert result.content == (
        'User has answered your questions: "Which database?"="SQLite". '
        "You can now continue with the user's answers in mind."
    )
    assert result.structured == {"questions": [QUESTION], "answers": {"Which database?": "SQLite"}}


async def test_ask_user_question_asks_through_the_session_callback(ctx: ToolContext) -> None:
    asked: list[dict[str, Any]] = []

    async def ask(tool_input: dict[str, Any]) -> dict[str, str] | None:
        asked.append(tool_input)
        return {"Which database?": "Postgres"}

    ctx.ask_user = ask
    result = await call(ctx, "AskUserQuestion", {"questions": [QUESTION]})
    assert asked == [{"questions": [QUESTION]}]
    assert '"Which database?"="Postgres"' in text_of(result) and not result.is_error

    async def silent(tool_input: dict[str, Any]) -> dict[str, str] | None:
        return None

    ctx.ask_user = silent
    unanswered = await call(ctx, "AskUserQuestion", {"questions": [QUESTION]})
    assert unanswered.is_error and "did not answer" in text_of(unanswered)
    bad = await call(ctx, "AskUserQuestion", {"questions": [dict(QUESTION, options=[])]})
    assert bad.is_error and "2-4 options" in text_of(bad)


async def test_plan_mode_is_entered_and_left_through_session_state(ctx: ToolContext) -> None:
    ctx.state["permission_mode"] = "acceptEdits"
    entered = await call(ctx, "EnterPlanMode", {})
    assert text_of(entered).startswith("Entered plan mode.")
    assert ctx.state["permission_mode"] == "plan"
    left = await call(ctx, "ExitPlanMode", {"plan": "1. Add the test\n2. Fix the bug"})
    assert left.content == (
        "User has approved your plan. You can now start coding. Start with updating your todo list if "
        "applicable\n\n## Approved Plan:\n1. Add the test\n2. Fix the bug"
    )
    assert ctx.state["permission_mode"] == "acceptEdits"
    again = await call(ctx, "ExitPlanMode", {})
    assert again.is_error and "You are not in plan mode" in text_of(again)


# --- concurrency: tools do not block each other ---


async def test_tools_run_concurrently_without_blocking_the_event_loop(ctx: ToolContext) -> None:
    results: list[ToolOutcome] = []

    async def run(name: str, tool_input: dict[str, Any]) -> None:
        results.append(await call(ctx, name, tool_input))

    write(ctx.cwd / "a.txt", "hello\n")
    async with anyio.create_task_group() as tg:
        tg.start_soon(run, "Bash", {"command": "sleep 0.3; echo slow"})
        tg.start_soon(run, "Read", {"file_path": "a.txt"})
        tg.start_soon(run, "Grep", {"pattern": "hello"})
    assert results[-1].content == "slow"
    assert not any(r.is_error for r in results)


def test_a_scratch_dir_another_user_made_first_is_refused(
    ctx: ToolContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat
    import tempfile

    from claude_compat._internal.builtins._base import scratch_dir
    from claude_compat.errors import InsecureStorageError

    shared_tmp = tmp_path / "shared-tmp"
    shared_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared_tmp))
    mine = scratch_dir(ctx)
    assert stat.S_IMODE(mine.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700
    if os.getuid() != 0:
        return  # making a directory another user owns needs root
    os.chown(mine.parent, 65534, 65534)  # as if `nobody` had made claude-compat-<uid> first
    with pytest.raises(InsecureStorageError, match="belongs to another user"):
        scratch_dir(ctx)
