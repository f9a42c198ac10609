"""Bash and its background tasks (their output in a file, TaskStop to end them), on the user's machine.

Commands run with ``/bin/bash -c`` in their own process group, so a timeout or TaskStop ends
everything they started. Like the Claude CLI, the shell's working directory carries over between
calls while it stays inside the session's directories, and stdout and stderr come back as one stream.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process

from ..tool_types import ToolOutcome
from ._base import (
    InputError,
    ToolContext,
    format_size,
    make_tool,
    outcome,
    scratch_dir,
)

DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000
MAX_OUTPUT_CHARS = 30_000  # longer output is saved to a file and previewed
PREVIEW_BYTES = 2_000
CAPTURE_LIMIT = 32 * 1024 * 1024  # bytes kept in memory per command
DRAIN_GRACE_S = 0.5  # after the shell exits, how long to wait for children still holding stdout
NO_OUTPUT = "(Bash completed with no output)"

BASH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "command": {"type": "string", "description": "The command to execute"},
        "timeout": {"type": "number", "description": "Optional timeout in milliseconds (max 600000)"},
        "description": {
            "type": "string",
            "description": "Clear, concise description of what this command does in 5-10 words, "
            "in active voice.",
        },
        "run_in_background": {
            "type": "boolean",
            "description": "Set to true to run this command in the background. Read its output file "
            "later and stop it with TaskStop.",
        },
        "dangerouslyDisableSandbox": {
            "type": "boolean",
            "description": "Accepted for compatibility; commands are not sandboxed here.",
        },
    },
    "required": ["command"],
}
BASH_DESCRIPTION = (
    "Executes a bash command on the user's machine and returns its combined stdout and stderr. The "
    "working directory persists between commands while it stays inside the project; prefer absolute "
    "paths. Commands time out after 2 minutes unless timeout (ms, max 600000) says otherwise. Use "
    "run_in_background for long-running commands (Read their output file; TaskStop stops them). A "
    "non-zero exit code is reported as an error with the output. Output over 30000 characters is saved "
    "to a file and previewed. Prefer the Read, Edit and Write tools over cat, sed and echo redirection."
)

TASK_STOP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "task_id": {"type": "string", "description": "The ID of the background task to stop"},
        "shell_id": {"type": "string", "description": "Deprecated: use task_id instead"},
    },
}
TASK_STOP_DESCRIPTION = "Stops a running background task (and every process it started) by its ID."


# --- helpers shared by foreground and background runs ---


#: Commands that print nothing when they succeed (the CLI marks their result ``noOutputExpected``).
SILENT_COMMANDS: frozenset[str] = frozenset(
    {"touch", "mkdir", "rm", "rmdir", "mv", "cp", "chmod", "chown", "ln", "cd", "export", "truncate", "true"}
)


def no_output_expected(command: str) -> bool:
    """Whether every command of the line is one that prints nothing on success."""
    parts = [p.strip() for p in command.replace("&&", ";").replace("||", ";").split(";") if p.strip()]
    return bool(parts) and all(p.split()[0] in SILENT_COMMANDS for p in parts)


def _duration(ms: float) -> str:
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:g}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m" + (f" {rest}s" if rest else "")


def _new_id(prefix: str) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(8))


def _inside(path: str, ctx: ToolContext) -> bool:
    roots = [ctx.cwd, *ctx.add_dirs]
    candidates = {os.path.normpath(path), os.path.realpath(path)}
    for root in roots:
        for base in {os.path.normpath(str(root)), os.path.realpath(str(root))}:
            for cand in candidates:
                if cand == base or cand.startswith(base.rstrip(os.sep) + os.sep):
                    return True
    return False


def shell_cwd(ctx: ToolContext) -> str:
    """Where the next command starts: where the last one ended, if still a directory inside the project."""
    saved = ctx.state.get("bash_cwd")
    if isinstance(saved, str) and os.path.isdir(saved) and _inside(saved, ctx):
        return saved
    return str(ctx.cwd)


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _timeout_ms(value: Any, ctx: ToolContext) -> float:
    default = float(ctx.env.get("BASH_DEFAULT_TIMEOUT_MS") or DEFAULT_TIMEOUT_MS)
    maximum = float(ctx.env.get("BASH_MAX_TIMEOUT_MS") or MAX_TIMEOUT_MS)
    if value is None or value <= 0:
        return min(default, maximum)
    return float(min(value, maximum))


def _max_output(ctx: ToolContext) -> int:
    try:
        return int(ctx.env.get("BASH_MAX_OUTPUT_LENGTH") or MAX_OUTPUT_CHARS)
    except ValueError:
        return MAX_OUTPUT_CHARS


def _shown_output(output: str, ctx: ToolContext) -> str:
    """The output as the model sees it: whole, or saved to a file with a preview when it is too long."""
    if len(output) <= _max_output(ctx):
        return output
    folder = scratch_dir(ctx) / "tool-results"
    folder.mkdir(parents=True, exist_ok=True)
    saved = folder / f"{_new_id('b')}.txt"
    data = output.encode("utf-8", errors="replace")
    saved.write_bytes(data)
    preview = data[:PREVIEW_BYTES].decode("utf-8", errors="ignore")
    return (
        f"<persisted-output>\nOutput too large ({format_size(len(data))}). Full output saved to: {saved}\n\n"
        f"Preview (first {PREVIEW_BYTES // 1000}KB):\n{preview}\n...\n</persisted-output>"
    )


class _Capture:
    """Collects a command's output up to CAPTURE_LIMIT bytes."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.dropped = 0
        self.done = anyio.Event()

    def add(self, chunk: bytes) -> None:
        room = CAPTURE_LIMIT - self.size
        if room > 0:
            self.parts.append(chunk[:room])
            self.size += min(len(chunk), room)
        self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        text = b"".join(self.parts).decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[{format_size(self.dropped)} more output was discarded]"
        return text


async def _pump(proc: Process, capture: _Capture) -> None:
    try:
        assert proc.stdout is not None
        async for chunk in proc.stdout:
            capture.add(chunk)
    except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
        pass
    finally:
        capture.done.set()


async def _stop_process(proc: Process) -> None:
    """SIGTERM to the whole group, SIGKILL if it is still there a second later."""
    _kill_group(proc.pid, signal.SIGTERM)
    with anyio.move_on_after(1):
        await proc.wait()
    if proc.returncode is None:
        _kill_group(proc.pid, signal.SIGKILL)
        await proc.wait()


# --- Bash ---


async def _bash(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    command: str = tool_input["command"]
    if tool_input.get("run_in_background"):
        return _start_background(command, tool_input.get("description"), ctx)
    timeout_ms = _timeout_ms(tool_input.get("timeout"), ctx)
    folder = scratch_dir(ctx)
    folder.mkdir(parents=True, exist_ok=True)
    cwd_file = folder / f"cwd-{_new_id('')}"
    script = (
        f"{command}\n__claude_compat_status=$?\n"
        f"pwd -P >| {shlex.quote(str(cwd_file))} 2>/dev/null\nexit $__claude_compat_status"
    )
    capture = _Capture()
    timed_out = False
    proc = await anyio.open_process(
        ["/bin/bash", "-c", script],
        cwd=shell_cwd(ctx),
        env=ctx.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_pump, proc, capture)
            with anyio.move_on_after(timeout_ms / 1000) as scope:
                await proc.wait()
            if scope.cancelled_caught:
                timed_out = True
                await _stop_process(proc)
            with anyio.move_on_after(DRAIN_GRACE_S):
                await capture.done.wait()
            tg.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            if proc.returncode is None:
                await _stop_process(proc)
            await proc.aclose()
    output = capture.text().rstrip("\n")
    stderr = _update_cwd(cwd_file, ctx)
    structured: dict[str, Any] = {
        "stdout": output,
        "stderr": stderr,
        "interrupted": timed_out,
        "isImage": False,
        "noOutputExpected": no_output_expected(command),
    }
    shown = _shown_output(output, ctx)
    if timed_out:
        note = f"Command timed out after {_duration(timeout_ms)} and was stopped."
        text = f"{shown}\n{note}" if shown else note
        return outcome(text, structured, is_error=True)
    code = proc.returncode
    if code:
        text = (
            f"Exit code {code}" + (f"\n{shown}" if shown else "") + (f"\n{stderr.strip()}" if stderr else "")
        )
        return outcome(text, f"Error: {text}", is_error=True)
    parts = [p for p in (shown, stderr.strip()) if p]
    return outcome("\n".join(parts) if parts else NO_OUTPUT, structured)


def _update_cwd(cwd_file: Path, ctx: ToolContext) -> str:
    """Keep the shell's final directory for the next call; the stderr note when it left the project."""
    try:
        final = cwd_file.read_text(encoding="utf-8").strip()
        cwd_file.unlink()
    except OSError:
        return ""
    if not final or final == shell_cwd(ctx):
        return ""
    if _inside(final, ctx):
        ctx.state["bash_cwd"] = final
        return ""
    ctx.state["bash_cwd"] = str(ctx.cwd)
    return f"\nShell cwd was reset to {ctx.cwd}"


# --- background tasks ---


@dataclass
class BackgroundTask:
    """A command started with run_in_background: its process group and the file its output goes to."""

    task_id: str
    command: str
    description: str
    process: subprocess.Popen[bytes]
    output_path: Path
    stopped: bool = False

    @property
    def exit_code(self) -> int | None:
        return self.process.poll()

    @property
    def status(self) -> str:
        code = self.exit_code
        if code is None:
            return "running"
        if self.stopped:
            return "killed"
        return "completed" if code == 0 else "failed"

    def output(self) -> str:
        try:
            text = self.output_path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return ""
        if len(text) > MAX_OUTPUT_CHARS:
            text = f"[{len(text) - MAX_OUTPUT_CHARS} earlier characters omitted]\n" + text[-MAX_OUTPUT_CHARS:]
        return text.rstrip("\n")


def background_tasks(ctx_state: dict[str, Any]) -> dict[str, BackgroundTask]:
    """The session's background tasks by id."""
    tasks: dict[str, BackgroundTask] = ctx_state.setdefault("background_tasks", {})
    return tasks


def _start_background(command: str, description: Any, ctx: ToolContext) -> ToolOutcome:
    # A plain Popen, not an event-loop process: the task outlives this call and is polled later.
    task_id = _new_id("b")
    folder = scratch_dir(ctx) / "tasks"
    folder.mkdir(parents=True, exist_ok=True)
    output_path = folder / f"{task_id}.output"
    with output_path.open("wb") as sink:
        process = subprocess.Popen(
            ["/bin/bash", "-c", command],
            cwd=shell_cwd(ctx),
            env=ctx.env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    background_tasks(ctx.state)[task_id] = BackgroundTask(
        task_id, command, str(description or command), process, output_path
    )
    text = (
        f"Command running in background with ID: {task_id}. Output is being written to: {output_path}. "
        "To check interim output, use Read on that file path."
    )
    structured = {
        "stdout": "",
        "stderr": "",
        "interrupted": False,
        "isImage": False,
        "noOutputExpected": False,
        "backgroundTaskId": task_id,
    }
    return outcome(text, structured)


def _task(ctx: ToolContext, task_id: str) -> BackgroundTask:
    task = background_tasks(ctx.state).get(task_id)
    if task is None:
        raise InputError(f"No task found with ID: {task_id}")
    return task


async def _task_stop(tool_input: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    task_id = tool_input.get("task_id") or tool_input.get("shell_id")
    if not task_id:
        raise InputError("Missing required parameter: task_id")
    task = _task(ctx, str(task_id))
    if task.exit_code is not None:
        raise InputError(f"Task {task.task_id} is not running (status: {task.status})")
    task.stopped = True
    _kill_group(task.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 1
    while task.exit_code is None and time.monotonic() < deadline:
        await anyio.sleep(0.02)
    if task.exit_code is None:
        _kill_group(task.process.pid, signal.SIGKILL)
        await anyio.to_thread.run_sync(task.process.wait)
    result = {
        "message": f"Successfully stopped task: {task.task_id} ({task.command})",
        "task_id": task.task_id,
        "task_type": "local_bash",
        "command": task.command,
    }
    return outcome(json.dumps(result, ensure_ascii=False, separators=(",", ":")), result)


def stop_background_tasks(state: dict[str, Any]) -> None:
    """Kill every background task of a session (its whole process group); call when the session closes."""
    for task in background_tasks(state).values():
        if task.process.poll() is None:
            task.stopped = True
            _kill_group(task.process.pid, signal.SIGKILL)
            try:
                task.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass


BASH = make_tool("Bash", BASH_DESCRIPTION, BASH_SCHEMA, _bash, read_only=False)
TASK_STOP = make_tool("TaskStop", TASK_STOP_DESCRIPTION, TASK_STOP_SCHEMA, _task_stop, read_only=False)
