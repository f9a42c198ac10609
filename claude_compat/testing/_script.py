"""Provider-neutral script types for the scripted model: turns, rules, recorded requests, JSON form.

A `Turn` says what the model answers (text, reasoning, tool calls, usage, or an HTTP error); the
HTTP fakes render it in one provider's wire format. Nothing here knows HTTP.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ToolCall",
    "Usage",
    "HttpError",
    "Turn",
    "Rule",
    "RecordedRequest",
    "ScriptedModel",
    "echo_reply",
    "demo_rules",
    "last_user_text",
    "last_tool_text",
]


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model makes; `id` is generated (``call_<n>``) when left out."""

    name: str
    input: dict[str, Any]
    id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"ToolCall.name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.input, Mapping):
            raise TypeError(f"ToolCall.input must be a dict, got {self.input!r}")
        object.__setattr__(self, "input", dict(self.input))


@dataclass(frozen=True)
class Usage:
    """Token counts reported with a reply."""

    input_tokens: int = 10
    output_tokens: int = 5


@dataclass(frozen=True)
class HttpError:
    """Answer with this HTTP error status and an error body instead of a reply."""

    status: int
    message: str = "scripted error"
    type: str = "server_error"


@dataclass(frozen=True)
class Turn:
    """One scripted model reply; `tool_calls` accepts any sequence and is stored as a tuple."""

    text: str | None = None
    reasoning: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    usage: Usage = Usage()
    error: HttpError | None = None
    delay: float = 0.0
    raw_body: str | None = None
    finish_reason: str | None = None

    def __post_init__(self) -> None:
        calls = tuple(self.tool_calls)
        for call in calls:
            if not isinstance(call, ToolCall):
                raise TypeError(f"Turn.tool_calls must hold ToolCall objects, got {call!r}")
        object.__setattr__(self, "tool_calls", calls)
        if self.delay < 0:
            raise ValueError(f"Turn.delay must be >= 0 seconds, got {self.delay}")

    @property
    def effective_finish_reason(self) -> str:
        """The finish reason sent: the scripted one, else ``tool_calls`` or ``stop``."""
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"


@dataclass(frozen=True)
class Rule:
    """A reply given whenever its patterns match the request, at most `times` times (None = always).

    `last_user` is searched in the text of the last user message (leading system reminders left
    out), `last_tool` in the raw content of the last tool result. After a tool result the last
    user message is still the same one, so
    a `last_user` rule without `times` answers the follow-up request too.
    """

    reply: Turn
    last_user: str | None = None
    last_tool: str | None = None
    times: int | None = None

    def __post_init__(self) -> None:
        for name in ("last_user", "last_tool"):
            pattern = getattr(self, name)
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"Rule.{name} is not a valid regex ({exc}): {pattern!r}") from exc
        if self.times is not None and self.times < 0:
            raise ValueError(f"Rule.times must be None or >= 0, got {self.times}")

    def matches(self, request: RecordedRequest) -> bool:
        """Whether every pattern this rule has is found in the request."""
        if self.last_user is not None:
            text = last_user_text(request.messages)
            if text is None or re.search(self.last_user, text) is None:
                return False
        if self.last_tool is not None:
            text = last_tool_text(request.messages)
            if text is None or re.search(self.last_tool, text) is None:
                return False
        return True


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the scripted model server received."""

    path: str
    body: dict[str, Any]
    messages: list[Any] = field(default_factory=list)
    tools: list[Any] = field(default_factory=list)
    stream: bool = False
    received_at: float = field(default_factory=time.time)

    @classmethod
    def from_body(cls, path: str, body: Mapping[str, Any]) -> RecordedRequest:
        """Build a record from a decoded request body (chat, embeddings or empty)."""
        messages = body.get("messages")
        tools = body.get("tools")
        return cls(
            path=path,
            body=dict(body),
            messages=list(messages) if isinstance(messages, list) else [],
            tools=list(tools) if isinstance(tools, list) else [],
            stream=body.get("stream") is True,
        )


# --- reading messages (OpenAI chat and Anthropic Messages shapes) ---------------------------


def _parts_text(content: Any, *, kinds: tuple[str, ...] = ("text",)) -> str | None:
    """The text of a message content that is a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, Mapping)
            and part.get("type", "text") in kinds
            and isinstance(part.get("text"), str)
        ]
        return "".join(texts) if texts else None
    return None


def _tool_results(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Anthropic-style ``tool_result`` blocks inside a user message."""
    content = message.get("content")
    if not isinstance(content, list):
        return []
    return [p for p in content if isinstance(p, Mapping) and p.get("type") == "tool_result"]


def last_user_text(messages: Sequence[Any]) -> str | None:
    """Text of the last user message (a message carrying only tool results does not count)."""
    for message in reversed(messages):
        if not isinstance(message, Mapping) or message.get("role") != "user":
            continue
        if _tool_results(message):
            continue
        text = _parts_text(message.get("content"))
        if text is not None:
            return _LEADING_REMINDERS.sub("", text)
    return None


#: ``<system-reminder>`` blocks in front of a prompt (the environment note a session's first prompt
#: carries): rules and the echo read the prompt the program sent, not the note.
_LEADING_REMINDERS = re.compile(r"\A(?:\s*<system-reminder>.*?</system-reminder>)+\s*", re.DOTALL)


def message_text(message: Mapping[str, Any]) -> str:
    """A recorded message's text as rules read it: a prompt without the reminders in front of it."""
    prompt = last_user_text([message]) if message.get("role") == "user" else None
    return prompt if prompt is not None else str(message.get("content"))


def last_tool_text(messages: Sequence[Any]) -> str | None:
    """Raw content of the last tool result (an OpenAI ``tool`` message or Anthropic block)."""
    for message in reversed(messages):
        if not isinstance(message, Mapping):
            continue
        if message.get("role") == "tool":
            return _parts_text(message.get("content")) or ""
        results = _tool_results(message)
        if message.get("role") == "user" and results:
            return _parts_text(results[-1].get("content")) or ""
    return None


def echo_reply(request: RecordedRequest) -> Turn:
    """The default reply: ``echo: <last user text>``."""
    return Turn(text=f"echo: {last_user_text(request.messages) or ''}")


@dataclass(frozen=True)
class _FixedReply:
    """A default reply that is always the same turn (what a script's ``default`` sets)."""

    turn: Turn

    def __call__(self, request: RecordedRequest) -> Turn:
        return self.turn


# --- the model ---------------------------------------------------------------------------


@dataclass
class _RuleState:
    rule: Rule
    remaining: int | None


class ScriptedModel:
    """A model answering from a script; thread-safe, shared by the HTTP server and the test.

    Each request is answered by the first matching rule with uses left, else the next queued
    turn, else `default` (an echo of the last user message unless replaced).
    """

    def __init__(self, model_id: str = "scripted-model") -> None:
        self.model_id = model_id
        self.default: Callable[[RecordedRequest], Turn] = echo_reply
        self._lock = threading.RLock()  # `default` may read the model while it answers
        self._queue: list[Turn] = []
        self._rules: list[_RuleState] = []
        self._requests: list[RecordedRequest] = []
        self._next_call_id = 0

    def __repr__(self) -> str:
        with self._lock:
            return (
                f"ScriptedModel(model_id={self.model_id!r}, queued={len(self._queue)}, "
                f"rules={len(self._rules)}, requests={len(self._requests)})"
            )

    def push(self, *turns: Turn | str) -> ScriptedModel:
        """Queue replies in order; a string is a text-only reply."""
        new = [_as_turn(t, where=f"push argument {i}") for i, t in enumerate(turns)]
        with self._lock:
            self._queue.extend(new)
        return self

    def add_rule(self, rule: Rule) -> ScriptedModel:
        """Add a rule after the existing ones (earlier rules win)."""
        if not isinstance(rule, Rule):
            raise TypeError(f"add_rule() takes a Rule, got {rule!r}")
        with self._lock:
            self._rules.append(_RuleState(rule, rule.times))
        return self

    def reset(self) -> None:
        """Forget queued turns, rules, recorded requests and a replaced default."""
        with self._lock:
            self._queue.clear()
            self._rules.clear()
            self._requests.clear()
            self.default = echo_reply

    def load(self, script: Mapping[str, Any] | str | Path) -> ScriptedModel:
        """Add a script's turns and rules (and set its default): a mapping, JSON text or a file.

        A string starting with ``{`` is JSON text; any other string is a file path. Call
        `reset` first to replace what is programmed instead of adding to it.
        """
        data = _read_script(script)
        turns, rules, default = _parse_script(data)
        with self._lock:
            self._queue.extend(turns)
            self._rules.extend(_RuleState(r, r.times) for r in rules)
            if default is not None:
                self.default = _FixedReply(default)
        return self

    def to_json(self) -> dict[str, Any]:
        """What is still to come, as a JSON-ready script (`load` reads it back)."""
        with self._lock:
            turns = [_turn_to_json(t) for t in self._queue]
            rules = [
                _rule_to_json(dataclasses.replace(s.rule, times=s.remaining))
                for s in self._rules
                if s.remaining is None or s.remaining > 0
            ]
            default = self.default
        out: dict[str, Any] = {"turns": turns, "rules": rules}
        if isinstance(default, _FixedReply):
            out["default"] = _turn_to_json(default.turn)
        elif default is not echo_reply:
            raise ValueError(
                "the default reply is a Python function and cannot be written as JSON; "
                "set `default` to a fixed reply through load({'default': {...}}) instead"
            )
        return out

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (a copy), oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def completions(self) -> list[RecordedRequest]:
        """The recorded chat-completion (model turn) requests only."""
        return [r for r in self.requests if r.path.endswith(("/chat/completions", "/messages"))]

    def record(self, request: RecordedRequest) -> None:
        """Store a received request (the HTTP servers call this for every request)."""
        with self._lock:
            self._requests.append(request)

    def next_reply(self, request: RecordedRequest) -> Turn:
        """The reply to a request, with every tool call given an id."""
        with self._lock:
            turn = self._pick(request)
            return self._with_ids(turn)

    def _pick(self, request: RecordedRequest) -> Turn:
        for state in self._rules:
            if state.remaining is not None and state.remaining <= 0:
                continue
            if state.rule.matches(request):
                if state.remaining is not None:
                    state.remaining -= 1
                return state.rule.reply
        if self._queue:
            return self._queue.pop(0)
        turn = self.default(request)
        return _as_turn(turn, where="the default reply")

    def _with_ids(self, turn: Turn) -> Turn:
        if all(call.id is not None for call in turn.tool_calls):
            return turn
        calls = []
        for call in turn.tool_calls:
            if call.id is None:
                self._next_call_id += 1
                call = dataclasses.replace(call, id=f"call_{self._next_call_id}")
            calls.append(call)
        return dataclasses.replace(turn, tool_calls=tuple(calls))


def demo_rules() -> list[Rule]:
    """Rules of the embedded demo's model: greetings get an explanation of what is answering."""
    explanation = (
        "Hello! I am the scripted demo model of claude-compat, not a real language model: "
        "I answer greetings with this note and echo everything else. To talk to a real model, "
        "set a provider key such as OPENAI_API_KEY or ANTHROPIC_API_KEY, or choose a model "
        "with CLAUDE_COMPAT_MODEL, and start again."
    )
    greeting = r"(?i)^\W*(hi|hello|hey|hallo|good (morning|afternoon|evening)|greetings)\b"
    about = r"(?i)\b(who|what) are you\b|\bwhich model\b|\breal model\b"
    return [
        Rule(reply=Turn(text=explanation), last_user=greeting),
        Rule(reply=Turn(text=explanation), last_user=about),
    ]


# --- JSON form ---------------------------------------------------------------------------

_TURN_KEYS = frozenset(f.name for f in dataclasses.fields(Turn))
_RULE_KEYS = frozenset(f.name for f in dataclasses.fields(Rule))
_SCRIPT_KEYS = frozenset({"turns", "rules", "default"})


def _as_turn(value: object, *, where: str) -> Turn:
    if isinstance(value, Turn):
        return value
    if isinstance(value, str):
        return Turn(text=value)
    raise TypeError(f"{where} must be a Turn or a str, got {value!r}")


def _read_script(script: Mapping[str, Any] | str | Path) -> Mapping[str, Any]:
    if isinstance(script, Mapping):
        return script
    if isinstance(script, str) and script.lstrip().startswith("{"):
        text, origin = script, "the script text"
    else:
        path = Path(script)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read the model script {path}: {exc}") from exc
        origin = str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{origin} is not valid JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ValueError(f"{origin} must hold a JSON object with turns, rules and default")
    return data


def _check_keys(data: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _parse_script(data: Mapping[str, Any]) -> tuple[list[Turn], list[Rule], Turn | None]:
    _check_keys(data, _SCRIPT_KEYS, "script")
    raw_turns = data.get("turns", [])
    raw_rules = data.get("rules", [])
    if not isinstance(raw_turns, list) or not isinstance(raw_rules, list):
        raise ValueError("script: 'turns' and 'rules' must be JSON arrays")
    turns = [_turn_from_json(t, f"turns[{i}]") for i, t in enumerate(raw_turns)]
    rules = [_rule_from_json(r, f"rules[{i}]") for i, r in enumerate(raw_rules)]
    default = data.get("default")
    return turns, rules, None if default is None else _turn_from_json(default, "default")


def _turn_from_json(data: Any, where: str) -> Turn:
    if isinstance(data, str):
        return Turn(text=data)
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: a turn is a JSON object or a string, got {data!r}")
    _check_keys(data, _TURN_KEYS, where)
    kwargs = dict(data)
    try:
        if "tool_calls" in kwargs:
            kwargs["tool_calls"] = tuple(
                ToolCall(**c) for c in _as_list(kwargs["tool_calls"], f"{where}.tool_calls")
            )
        if "usage" in kwargs:
            kwargs["usage"] = Usage(**kwargs["usage"])
        if kwargs.get("error") is not None:
            kwargs["error"] = HttpError(**kwargs["error"])
        return Turn(**kwargs)
    except TypeError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a JSON array")
    return value


def _rule_from_json(data: Any, where: str) -> Rule:
    if not isinstance(data, Mapping) or "reply" not in data:
        raise ValueError(f"{where}: a rule is a JSON object with a 'reply'")
    _check_keys(data, _RULE_KEYS, where)
    kwargs = dict(data)
    kwargs["reply"] = _turn_from_json(kwargs["reply"], f"{where}.reply")
    try:
        return Rule(**kwargs)
    except TypeError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _turn_to_json(turn: Turn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if turn.text is not None:
        out["text"] = turn.text
    if turn.reasoning is not None:
        out["reasoning"] = turn.reasoning
    if turn.tool_calls:
        out["tool_calls"] = [_drop_none(dataclasses.asdict(c)) for c in turn.tool_calls]
    if turn.usage != Usage():
        out["usage"] = dataclasses.asdict(turn.usage)
    if turn.error is not None:
        out["error"] = dataclasses.asdict(turn.error)
    if turn.delay:
        out["delay"] = turn.delay
    if turn.raw_body is not None:
        out["raw_body"] = turn.raw_body
    if turn.finish_reason is not None:
        out["finish_reason"] = turn.finish_reason
    return out


def _rule_to_json(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"reply": _turn_to_json(rule.reply)}
    for name in ("last_user", "last_tool", "times"):
        value = getattr(rule, name)
        if value is not None:
            out[name] = value
    return out


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
