"""What the model was sent, read into one shape for both sides of an ab run and compared.

The Claude CLI sends Anthropic Messages requests; claude-compat's Letta server sends OpenAI chat
completions. Each first model request is read into a ``ModelView`` (the context the model reads
before the prompt, the tools it is offered, the sampling it is asked for) and the two are compared
into named differences. Letta's own framing (its memory metadata, request bookkeeping) is left out
here and listed in ``LETTA_FRAMING``, so the differences are the ones a fix could remove.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LETTA_FRAMING",
    "ModelView",
    "RequestDifference",
    "NORMALISED",
    "compare_views",
    "from_anthropic",
    "from_openai",
]

#: What Letta adds to every request that no Claude program asked for: documented, not compared.
LETTA_FRAMING: dict[str, str] = {
    "<memory_metadata>": "Letta's memory metadata block at the end of the system message (agent and "
    "conversation ids, recompile time, recall count)",
    "<memory_blocks>": "the agent's memory blocks, rendered into the system message",
    "user": "the OpenAI request's user field (Letta's user id)",
    "tool_choice": "Letta asks for tool_choice=auto",
    "parallel_tool_calls": "Letta allows parallel tool calls (the CLI does too, by default)",
}
#: How a value is read before comparing, where the two APIs say one thing two ways.
NORMALISED: dict[str, str] = {
    "temperature": "a request naming no temperature is read as 1.0, the default of both the Anthropic "
    "and the OpenAI API (Letta always names one)",
    "tool results": "the <system-reminder> blocks that end a tool result (tokens left) are compared "
    "apart from its text (white space before them left out); text the CLI sends after a tool result "
    "in the same user turn (a skill's instructions) is read as the end of the result's text, where "
    "claude-compat sends it; a result in Letta's status/message/time JSON is read as its message and "
    "status; a plain result carries no error flag (chat completions have none, and Letta sends none to "
    "any provider), so the CLI's is_error is compared only with Letta's status",
    "loaded tools": "a ToolSearch result's tool_reference parts (the Anthropic API puts the tools' "
    "definitions there) and claude-compat's <functions> block of those definitions, each followed "
    'by "Tool loaded.", are read as the names of the tools they load',
    "plan file": "the plan file's name in the plan-mode reminders (the CLI makes one up of words, "
    "claude-compat names it after the session) is read as <plan>.md",
    "tools not run": "the CLI's tools claude-compat does not run (ListAgents, Workflow, "
    "ScheduleWakeup, ReportFindings, Cron*, worktrees, Monitor, the task list; see MIGRATING.md) and "
    "its DeferredToolPlaceholder are left out of the tools and of the deferred-tools reminder",
}
#: The CLI's tool that keeps deferred loading on; never called, nothing to offer on Letta.
_PLACEHOLDER_TOOL = "DeferredToolPlaceholder"
#: The temperature both APIs use when a request names none.
_API_DEFAULT_TEMPERATURE = 1.0
_FRAMING_BLOCK = re.compile(r"<(memory_metadata|memory_blocks)>.*?</\1>", re.S)
#: Leading system text of the CLI that is request bookkeeping, not instructions.
_CLI_BOOKKEEPING = ("x-anthropic-billing-header:",)
_REMINDER = re.compile(r"\A\s*<system-reminder>\n?(.*?)\n?</system-reminder>\s*", re.S)
_TRAILING_REMINDERS = re.compile(r"(\s*<system-reminder>.*?</system-reminder>)+\s*\Z", re.S)
_PLAN_FILE = re.compile(r"(/\.claude/plans/)[^\s()/]+\.md")
_LETTA_RESULT_KEYS = frozenset({"status", "message", "time"})
_FUNCTIONS = re.compile(
    r"\A<functions>\n((?:<function>.*</function>\n)+)</functions>(?:\n\nTool loaded\.)?\Z", re.S
)


_LOADS = "loads "


def _loaded_names(names: Sequence[str]) -> str:
    """How a result that loads tools reads in the view (see NORMALISED)."""
    return _LOADS + ", ".join(names)


def _anthropic_result(content: Any) -> str:
    """A tool_result's text; a ToolSearch result of tool_reference parts as the tools it loads."""
    if isinstance(content, list) and any(
        isinstance(p, Mapping) and p.get("type") == "tool_reference" for p in content
    ):
        return _loaded_names([str(p.get("tool_name")) for p in content if isinstance(p, Mapping)])
    return _text(content)


def _split_trailing(text: str) -> tuple[str, tuple[str, ...]]:
    """A result's text without the <system-reminder> blocks that end it, and those blocks' texts."""
    match = _TRAILING_REMINDERS.search(text)
    if match is None:
        return text, ()
    found = re.findall(r"<system-reminder>\n?(.*?)\n?</system-reminder>", match.group(0), re.S)
    return text[: match.start()], tuple(_PLAN_FILE.sub(r"\1<plan>.md", f.strip()) for f in found)


def _result_view(
    text: str, is_error: bool | None, after: Sequence[str] = (), *, wrapped: bool = False
) -> ToolResultView:
    """A result as the model reads it: its text (then any text sent after it) and the reminders that
    end it (in the result's own text or in a part after it)."""
    body, reminders = _split_trailing(text)
    if after:
        joined, later = _split_trailing("\n\n".join([body, *after]))
        # white space at the end of the last part reads as that before the reminders: none
        body, reminders = (joined.rstrip(), (*reminders, *later)) if reminders or later else (joined, ())
    if body.startswith(_LOADS):  # the CLI's "Tool loaded." after tools it loads: read as the load itself
        from . import cli_facts

        body = body.removesuffix(f"\n\n{cli_facts.TOOL_SEARCH_LOADED}")
    return ToolResultView(body, is_error, wrapped, reminders)


def _anthropic_results(messages: Sequence[Any]) -> dict[str, ToolResultView]:
    """The tool results of a Messages request by call id, each with the text parts after it."""
    out: dict[str, ToolResultView] = {}
    for message in messages:
        if not isinstance(message, Mapping) or not isinstance(message.get("content"), list):
            continue
        parts = [p for p in message["content"] if isinstance(p, Mapping)]
        for i, part in enumerate(parts):
            if part.get("type") != "tool_result":
                continue
            after = []
            for later in parts[i + 1 :]:
                if later.get("type") != "text":
                    break
                after.append(str(later.get("text", "")))
            out[str(part.get("tool_use_id"))] = _result_view(
                _anthropic_result(part.get("content")), bool(part.get("is_error")), after
            )
    return _with_system_after(messages, out, lambda m: [str(p.get("tool_use_id")) for p in _parts(m)])


def _parts(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = message.get("content")
    return [p for p in content if isinstance(p, Mapping)] if isinstance(content, list) else []


def _with_system_after(
    messages: Sequence[Any],
    results: dict[str, ToolResultView],
    answers: Callable[[Mapping[str, Any]], list[str]],
) -> dict[str, ToolResultView]:
    """``results`` with the texts of the system-role messages that directly follow each result's
    message (``answers``: the call ids a message answers)."""
    answered: list[str] = []
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        if message.get("role") == "system" and answered:
            for call_id in answered:
                if call_id in results:
                    view = results[call_id]
                    after = (*view.system_after, _text(message.get("content")))
                    results[call_id] = dataclasses.replace(view, system_after=after)
            continue
        answered = [c for c in answers(message) if c in results]
    return results


def _conversation_system(messages: Sequence[Any], skip: int = 0) -> tuple[str, ...]:
    """The texts of the system-role messages before the first assistant message (after ``skip`` of them)."""
    found: list[str] = []
    for message in messages:
        if not isinstance(message, Mapping) or message.get("role") == "assistant":
            break
        if message.get("role") == "system":
            found.append(_text(message.get("content")))
    return tuple(found[skip:])


def _functions_read(text: str) -> str:
    """claude-compat's ToolSearch result (a ``<functions>`` block) as the tools it loads; other text as is."""
    match = _FUNCTIONS.match(text)
    if match is None:
        return text
    try:
        names = [
            json.loads(line[len("<function>") : -len("</function>")])["name"]
            for line in match.group(1).splitlines()
        ]
    except (ValueError, KeyError, TypeError):
        return text
    return _loaded_names([str(n) for n in names])


@dataclass(frozen=True)
class ToolView:
    """One offered tool: its description and input schema (``deferred``: behind ToolSearch)."""

    description: str
    schema: Mapping[str, Any]
    deferred: bool = False


@dataclass(frozen=True)
class ToolResultView:
    """One tool result as the model reads it: its text, error flag, and whether Letta wrapped it."""

    text: str
    is_error: bool | None  # None: the request carries no error flag (a chat-completions result)
    wrapped: bool = False
    #: the <system-reminder> blocks that end the result (the CLI's tokens left), each without its tags
    reminders: tuple[str, ...] = ()
    #: the system-role messages right after the result's turn (the CLI's tokens left, to some models)
    system_after: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelView:
    """The parts of a model request that decide what the model does, in one shape."""

    system: str
    reminders: tuple[str, ...]
    tools: Mapping[str, ToolView]
    sampling: Mapping[str, Any] = field(default_factory=dict)
    #: The tool results the request carries, by tool call id.
    tool_results: Mapping[str, ToolResultView] = field(default_factory=dict)
    #: The system-role messages in the conversation before the first answer (the CLI's reminders, to
    #: the models it tells them that way), each one's text.
    system_messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestDifference:
    """One way the two requests differ: what, and each side's value in short."""

    key: str
    claude: str
    compat: str

    def __str__(self) -> str:
        return f"{self.key}: claude_agent_sdk={self.claude} claude-compat={self.compat}"


def _text(content: Any) -> str:
    """The text of a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return "\n\n".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def _split_reminders(text: str) -> tuple[tuple[str, ...], str]:
    """The leading ``<system-reminder>`` blocks of a user turn, and the prompt after them."""
    reminders: list[str] = []
    while match := _REMINDER.match(text):
        reminders.append(_PLAN_FILE.sub(r"\1<plan>.md", match.group(1).strip()))
        text = text[match.end() :]
    return tuple(reminders), text


def _first_user_text(messages: Sequence[Any]) -> str:
    for message in messages:
        if isinstance(message, Mapping) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # Anthropic: one text part per reminder
                return "".join(_text([part]) for part in content)
            return _text(content)
    return ""


def from_anthropic(body: Mapping[str, Any]) -> ModelView:
    """The view of a Claude CLI Messages request."""
    system = [_text([b]) if isinstance(b, Mapping) else str(b) for b in body.get("system") or []]
    if isinstance(body.get("system"), str):
        system = [str(body["system"])]
    system = [s for s in system if not s.startswith(_CLI_BOOKKEEPING)]
    reminders, _ = _split_reminders(_first_user_text(body.get("messages") or []))
    tools = {
        str(t["name"]): ToolView(
            str(t.get("description", "")), t.get("input_schema") or {}, bool(t.get("defer_loading"))
        )
        for t in body.get("tools") or []
        if isinstance(t, Mapping) and "name" in t
    }
    raw_thinking = body.get("thinking")
    thinking: Mapping[str, Any] = raw_thinking if isinstance(raw_thinking, Mapping) else {}
    sampling = {
        "max_output_tokens": body.get("max_tokens"),
        "temperature": _temperature(body.get("temperature")),
        "thinking": thinking.get("type"),
        "thinking_budget": thinking.get("budget_tokens"),
        "effort": (body.get("output_config") or {}).get("effort"),
    }
    results = _anthropic_results(body.get("messages") or [])
    in_conversation = _conversation_system(body.get("messages") or [])
    return ModelView("\n\n".join(system).strip(), reminders, tools, sampling, results, in_conversation)


def _temperature(value: Any) -> Any:
    """A request's temperature, the APIs' default where it names none (see NORMALISED)."""
    return _API_DEFAULT_TEMPERATURE if value is None else value


def _openai_result(content: Any) -> ToolResultView:
    """A chat-completions tool message's content, read out of Letta's wrapper where it has one."""
    text = _text(content)
    try:
        packaged = json.loads(text)
    except ValueError:
        packaged = None
    if isinstance(packaged, dict) and set(packaged) == _LETTA_RESULT_KEYS:
        message = packaged["message"]
        return _result_view(
            message if isinstance(message, str) else json.dumps(message),
            packaged["status"] != "OK",
            wrapped=True,
        )
    body, reminders = _split_trailing(text)
    return ToolResultView(_functions_read(body), None, reminders=reminders)


def from_openai(body: Mapping[str, Any]) -> ModelView:
    """The view of a chat-completions request Letta sent, without Letta's framing."""
    messages = body.get("messages") or []
    first = messages[0] if messages and isinstance(messages[0], Mapping) else {}
    system = _text(first.get("content")) if first.get("role") == "system" else ""
    reminders, _ = _split_reminders(_first_user_text(messages))
    tools = {
        str(f["name"]): ToolView(str(f.get("description", "")), f.get("parameters") or {})
        for t in body.get("tools") or []
        if isinstance(t, Mapping) and isinstance(f := t.get("function"), Mapping) and "name" in f
    }
    effort = body.get("reasoning_effort")
    sampling = {
        "max_output_tokens": body.get("max_completion_tokens", body.get("max_tokens")),
        "temperature": _temperature(body.get("temperature")),
        "thinking": "enabled" if effort else None,
        "thinking_budget": None,  # the chat-completions API has no thinking budget
        "effort": effort,
    }
    results = {
        str(m.get("tool_call_id")): _openai_result(m.get("content"))
        for m in messages
        if isinstance(m, Mapping) and m.get("role") == "tool"
    }
    results = _with_system_after(
        messages, results, lambda m: [str(m.get("tool_call_id"))] if m.get("role") == "tool" else []
    )
    in_conversation = _conversation_system(messages, skip=1 if system else 0)
    return ModelView(
        _FRAMING_BLOCK.sub("", system).strip(), reminders, tools, sampling, results, in_conversation
    )


def _short(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return f"{len(value)} chars" if len(value) > 60 else repr(value)
    return json.dumps(value, sort_keys=True)


def _reminder_kind(text: str) -> str:
    """A reminder's first line, which says what it is (e.g. ``# Environment``)."""
    first = text.splitlines()[0] if text else ""
    return first[:48]


def _not_run(name: str) -> bool:
    """A tool of the CLI that claude-compat does not offer because it does not run it (see NORMALISED)."""
    from . import cli_facts
    from .builtins import RUN_HERE

    return name == _PLACEHOLDER_TOOL or (name in cli_facts.CLI_TOOL_NAMES and name not in RUN_HERE)


def _without_not_run(reminder: str) -> str:
    """A deferred-tools reminder without the lines naming tools claude-compat does not run."""
    from . import cli_facts

    frame = cli_facts.DEFERRED_TOOLS_REMINDER.split("{names}")[0]
    if not reminder.startswith(frame):
        return reminder
    names = [n for n in reminder[len(frame) :].splitlines() if n and not _not_run(n)]
    return frame + "\n".join(names)


def _system_read(text: str) -> str:
    """A system-role message of reminders, its deferred-tools paragraph read as in the reminders."""
    return "\n\n".join(_without_not_run(part) for part in text.split("\n\n"))


def compare_views(claude: ModelView, compat: ModelView) -> list[RequestDifference]:
    """The differences between what the CLI and claude-compat sent the model, in a fixed order."""
    out: list[RequestDifference] = []
    if claude.system != compat.system:
        out.append(RequestDifference("system", _short(claude.system), _short(compat.system)))
    told = tuple(map(_system_read, claude.system_messages)), tuple(map(_system_read, compat.system_messages))
    if told[0] != told[1]:
        out.append(
            RequestDifference(
                "system messages",
                _short(" | ".join(told[0])) if told[0] else "(none)",
                _short(" | ".join(told[1])) if told[1] else "(none)",
            )
        )
    kinds = (
        {_reminder_kind(r): _without_not_run(r) for r in claude.reminders},
        {_reminder_kind(r): _without_not_run(r) for r in compat.reminders},
    )
    for kind in sorted(set(kinds[0]) | set(kinds[1])):
        a, b = kinds[0].get(kind), kinds[1].get(kind)
        if a != b:
            out.append(RequestDifference(f"reminder {kind!r}", _short(a), _short(b)))
    for name in sorted(n for n in set(claude.tools) | set(compat.tools) if not _not_run(n)):
        a_tool, b_tool = claude.tools.get(name), compat.tools.get(name)
        if a_tool is None or b_tool is None:
            out.append(
                RequestDifference(
                    f"tool {name}",
                    "(not offered)" if a_tool is None else ("deferred" if a_tool.deferred else "offered"),
                    "(not offered)" if b_tool is None else "offered",
                )
            )
            continue
        if a_tool.deferred != b_tool.deferred:
            out.append(
                RequestDifference(f"tool {name}: deferred", str(a_tool.deferred), str(b_tool.deferred))
            )
        if a_tool.description != b_tool.description:
            out.append(
                RequestDifference(
                    f"tool {name}: description", _short(a_tool.description), _short(b_tool.description)
                )
            )
        a_schema = {k: v for k, v in a_tool.schema.items() if k != "$schema"}
        b_schema = {k: v for k, v in b_tool.schema.items() if k != "$schema"}
        if a_schema != b_schema:
            out.append(
                RequestDifference(
                    f"tool {name}: input schema", _schema_summary(a_schema), _schema_summary(b_schema)
                )
            )
    for key in claude.sampling.keys() | compat.sampling.keys():
        a_value, b_value = claude.sampling.get(key), compat.sampling.get(key)
        if a_value != b_value:
            out.append(RequestDifference(f"sampling {key}", _short(a_value), _short(b_value)))
    for call_id in sorted(claude.tool_results.keys() & compat.tool_results.keys()):
        a_result, b_result = claude.tool_results[call_id], compat.tool_results[call_id]
        if a_result.text != b_result.text:
            out.append(
                RequestDifference(f"tool result {call_id}", _short(a_result.text), _short(b_result.text))
            )
        if a_result.reminders != b_result.reminders:
            out.append(
                RequestDifference(
                    f"tool result {call_id}: reminders",
                    _short(" | ".join(a_result.reminders)),
                    _short(" | ".join(b_result.reminders)),
                )
            )
        if a_result.system_after != b_result.system_after:
            out.append(
                RequestDifference(
                    f"tool result {call_id}: system message after",
                    _short(" | ".join(a_result.system_after)) if a_result.system_after else "(none)",
                    _short(" | ".join(b_result.system_after)) if b_result.system_after else "(none)",
                )
            )
        if None not in (a_result.is_error, b_result.is_error) and a_result.is_error != b_result.is_error:
            out.append(
                RequestDifference(
                    f"tool result {call_id}: is_error", str(a_result.is_error), str(b_result.is_error)
                )
            )
        if b_result.wrapped:
            out.append(RequestDifference(f"tool result {call_id}: form", "plain text", "Letta's status JSON"))
    out.sort(key=lambda d: (d.key.split(" ")[0] != "system", d.key))
    return out


def _schema_summary(schema: Mapping[str, Any]) -> str:
    """A schema in short: its properties, the required ones starred, and additionalProperties."""
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    names = ",".join(f"{p}{'*' if p in required else ''}" for p in props)
    extra = schema.get("additionalProperties")
    return f"{{{names}}}" + ("" if extra is None else f" additionalProperties={json.dumps(extra)}")
