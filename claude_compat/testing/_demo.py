"""The scripted demo model's part in the demo (``migration_examples/demo.py``), and what it says it is.

Without a provider key the embedded server runs on this model. It is no language model: it plays a
fixed part, decided by the request alone so that every run (and every process) gets the same answer:

- asked to create a hello world script at a path, it writes the script, runs it with Bash and then
  tries ``rm -rf build``, one tool call per request, and sums up what the tool results said;
- asked what it did in this session, it lists the tool calls it finds in the history it was sent
  (so a resumed session in another process shows the first process's calls);
- anything else gets the greeting rules' note or an echo.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from claude_compat.testing._script import RecordedRequest, ToolCall, Turn, echo_reply, last_user_text

__all__ = ["REAL_MODEL_HINT", "SCRIPTED_NOTICE", "demo_reply"]

#: How to leave the demo model for a real one (shown by the CLI and by the model itself).
REAL_MODEL_HINT = (
    "To use a real model, set a provider key (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...), run "
    "`claude-compat server stop`, and run again; CLAUDE_COMPAT_MODEL=<handle> (e.g. "
    "openai/gpt-4.1-mini) chooses the model."
)
SCRIPTED_NOTICE = (
    "This is claude-compat's scripted demo model, not a language model: it plays a fixed part. "
    + REAL_MODEL_HINT
)

_TASK = re.compile(r"hello world script at (?P<path>\S+\.py)\b")
_RECAP = re.compile(r"(?i)\bwhat did you do\b")
_HELLO = 'print("Hello, world!")\n'


def _task_calls(path: str) -> list[ToolCall]:
    """The demo task's tool calls, in order: write the script, run it, clean up (which is refused)."""
    name = path.rsplit("/", 1)[-1]
    return [
        ToolCall("Write", {"file_path": path, "content": _HELLO}),
        ToolCall("Bash", {"command": f"python3 {name}", "description": f"Run {name}"}),
        ToolCall("Bash", {"command": "rm -rf build", "description": "Delete the build directory"}),
    ]


def _since_last_user(messages: Sequence[Any]) -> list[Mapping[str, Any]]:
    """The messages after the last user message (this turn's tool calls and results)."""
    tail: list[Mapping[str, Any]] = []
    for message in reversed(messages):
        if not isinstance(message, Mapping):
            continue
        if message.get("role") == "user":
            break
        tail.append(message)
    return tail[::-1]


def _result_text(message: Mapping[str, Any]) -> str:
    """A tool result's text (Letta may wrap it as JSON with a ``message``)."""
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    text = str(content or "")
    try:
        wrapped = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(wrapped, Mapping) and "message" in wrapped:
        return str(wrapped["message"]).strip()
    return text.strip()


def _calls_and_results(messages: Sequence[Any]) -> list[tuple[str, dict[str, Any], str | None]]:
    """Every tool call in ``messages`` with its result text (None while it has none)."""
    calls: list[tuple[str, str, dict[str, Any]]] = []
    results: dict[str, str] = {}
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        for call in message.get("tool_calls") or ():
            function = call.get("function", {}) if isinstance(call, Mapping) else {}
            try:
                arguments = json.loads(function.get("arguments") or "{}")
            except ValueError:
                arguments = {}
            calls.append((str(call.get("id")), str(function.get("name")), dict(arguments)))
        if message.get("role") == "tool":
            results[str(message.get("tool_call_id"))] = _result_text(message)
    return [(name, arguments, results.get(call_id)) for call_id, name, arguments in calls]


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else "(no output)"


def _do_task(request: RecordedRequest, match: re.Match[str]) -> Turn:
    """The next tool call of the demo task, or, once all have results, the summary."""
    planned = _task_calls(match["path"])
    done = [r for r in _since_last_user(request.messages) if r.get("role") == "tool"]
    if len(done) < len(planned):
        return Turn(tool_calls=[planned[len(done)]])
    _, run, clean = (_result_text(r) for r in done[: len(planned)])
    return Turn(
        text=f"I wrote {match['path']} and ran it; it printed: {_first_line(run)}. "
        f"I did not delete the build directory: {_first_line(clean)}\n({SCRIPTED_NOTICE})"
    )


def _recap(request: RecordedRequest, match: re.Match[str]) -> Turn:
    """What the history sent with this request says was done: each tool call and its outcome."""
    lines = []
    for name, arguments, result in _calls_and_results(request.messages):
        what = arguments.get("command") or arguments.get("file_path") or json.dumps(arguments)
        lines.append(f"- {name} {what}: {_first_line(result)}")
    if not lines:
        return Turn(text=f"I have not used any tools in this session yet.\n({SCRIPTED_NOTICE})")
    history = "\n".join(lines)
    return Turn(text=f"In this session I made these tool calls:\n{history}\n({SCRIPTED_NOTICE})")


@dataclass(frozen=True)
class _Part:
    pattern: re.Pattern[str]
    answer: Callable[[RecordedRequest, re.Match[str]], Turn]


# The demo model's part, first match wins; no match: an echo.
_PARTS = (_Part(_TASK, _do_task), _Part(_RECAP, _recap))


def demo_reply(request: RecordedRequest) -> Turn:
    """The demo model's answer to one request (used as the scripted model's default reply)."""
    text = last_user_text(request.messages) or ""
    for part in _PARTS:
        match = part.pattern.search(text)
        if match is not None:
            return part.answer(request, match)
    return echo_reply(request)
