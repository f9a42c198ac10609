"""Letta stream events → backend events the turn engine consumes.

Pure functions over plain dicts (a Letta event after ``model_dump``), so every rule is testable
without a server. Text and reasoning become one block each; tool calls are collected, with their
JSON arguments reassembled across token deltas, grouped by ``otid``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from . import mapping

BlockKind = Literal["text", "thinking", "tool_use"]

#: How a Letta tool return starts when the model called a tool the agent does not offer.
TOOL_CONSTRAINT_ERROR = "[ToolConstraintError]"


@dataclass
class Block:
    """One content block of the model's reply, as the Claude SDK would see it."""

    kind: BlockKind
    message_id: str
    text: str = ""
    tool_call_id: str = ""
    tool_name: str = ""
    arguments: str = ""
    signature: str = ""  # a thinking block's signature when the provider sent one
    #: A tool call the server answered itself (it streams the call and its return), and its answer.
    server_return: str | None = None
    server_error: bool = False

    @property
    def refused_by_server(self) -> bool:
        """The server refused the call: the model called a tool it was not offered."""
        return self.server_error and (self.server_return or "").startswith(TOOL_CONSTRAINT_ERROR)

    def tool_input(self) -> tuple[dict[str, Any], str | None]:
        """Parsed tool arguments, and an error text when the model sent malformed JSON."""
        raw = self.arguments.strip() or "{}"
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            return {}, f"the model sent malformed JSON arguments for {self.tool_name}: {exc.msg}"
        if not isinstance(value, dict):
            return {}, f"the model sent non-object arguments for {self.tool_name}: {raw[:200]}"
        return value, None


@dataclass(frozen=True)
class Usage:
    """Token usage of one Letta run, in the Anthropic vocabulary."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )

    def as_anthropic(self) -> dict[str, Any]:
        """The usage dict of a Claude ``AssistantMessage`` (the Messages API's shape)."""
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": self.output_tokens,
            "service_tier": "standard",
        }

    def as_result_usage(self) -> dict[str, Any]:
        """The usage dict of a Claude ``ResultMessage`` (the CLI's cumulative shape)."""
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"thinking_tokens": self.reasoning_tokens},
            "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
            "service_tier": "standard",
            "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
            "inference_geo": "",
            "iterations": [],
            "speed": "standard",
            "fallback_credit": None,
        }


@dataclass(frozen=True)
class StreamFailure:
    """An error reported inside the Letta stream (HTTP 200 + error event)."""

    error_type: str
    message: str
    detail: str = ""

    @property
    def is_conflict(self) -> bool:
        """The conversation still waits for a tool approval."""
        return "CONFLICT" in self.message or "waiting for approval" in self.message

    @property
    def provider_message(self) -> str | None:
        """The model provider's own error message quoted in Letta's detail, if any."""
        import re

        found = re.search(r"""['"]message['"]\s*:\s*(['"])(.*?)(?<!\\)\1""", self.detail)
        return found.group(2) if found else None

    @property
    def http_status(self) -> int | None:
        """The model provider's HTTP status when the detail names one."""
        marker = "Error code: "
        idx = self.detail.find(marker)
        if idx >= 0:
            digits = self.detail[idx + len(marker) : idx + len(marker) + 3]
            if digits.isdigit():
                return int(digits)
        return None


# --- incremental events the translator emits -------------------------------------------------


@dataclass(frozen=True)
class RunStarted:
    run_id: str


@dataclass(frozen=True)
class BlockStarted:
    index: int
    block: Block


@dataclass(frozen=True)
class BlockDelta:
    index: int
    block: Block
    delta: str


@dataclass(frozen=True)
class BlockFinished:
    index: int
    block: Block


@dataclass(frozen=True)
class RunStopped:
    reason: str


@dataclass(frozen=True)
class RunUsage:
    usage: Usage
    steps: int = 0  # model calls of the run (0: not reported)


@dataclass(frozen=True)
class ToolAnswered:
    """The server answered a tool call of the run itself (``block.server_return``)."""

    index: int
    block: Block


Event = (
    RunStarted
    | BlockStarted
    | BlockDelta
    | BlockFinished
    | RunStopped
    | RunUsage
    | StreamFailure
    | ToolAnswered
)


@dataclass
class RunTranslator:
    """Folds one Letta run's events into blocks, in order, each finished exactly once."""

    blocks: list[Block] = field(default_factory=list)
    _open: dict[tuple[str, str], int] = field(default_factory=dict)
    _current: int | None = None

    def feed(self, event: dict[str, Any]) -> list[Event]:
        """Translate one Letta event (a dict) into zero or more backend events."""
        kind = event.get("message_type")
        out: list[Event] = []
        if kind == "ping":
            run_id = event.get("run_id")
            if isinstance(run_id, str):
                out.append(RunStarted(run_id))
        elif kind == "reasoning_message":
            self._text(out, "thinking", event, str(event.get("reasoning") or ""))
            signature = event.get("signature")
            if isinstance(signature, str) and signature and self._current is not None:
                self.blocks[self._current].signature = signature
        elif kind == "hidden_reasoning_message":
            self._text(out, "thinking", event, str(event.get("hidden_reasoning") or ""))
        elif kind == "assistant_message":
            self._text(out, "text", event, _content_text(event.get("content")))
        elif kind in ("approval_request_message", "tool_call_message"):
            self._tools(out, event)
        elif kind == "tool_return_message":
            self._returns(out, event)
        elif kind == "stop_reason":
            out.extend(self.finish())
            out.append(RunStopped(str(event.get("stop_reason") or "")))
        elif kind == "usage_statistics":
            steps = event.get("step_count")
            out.append(RunUsage(_usage(event), steps if isinstance(steps, int) else 0))
        elif kind == "error_message":
            out.extend(self.finish())
            out.append(
                StreamFailure(
                    str(event.get("error_type") or "internal_error"),
                    str(event.get("message") or "error"),
                    str(event.get("detail") or ""),
                )
            )
        return out

    def finish(self) -> list[Event]:
        """Close the open block (the run ended or a new one began)."""
        if self._current is None:
            return []
        idx, self._current = self._current, None
        return [BlockFinished(idx, self.blocks[idx])]

    def _begin(self, out: list[Event], key: tuple[str, str], block: Block) -> int:
        out.extend(self.finish())
        idx = len(self.blocks)
        self.blocks.append(block)
        self._open[key] = idx
        self._current = idx
        out.append(BlockStarted(idx, block))
        return idx

    def _text(self, out: list[Event], kind: BlockKind, event: dict[str, Any], text: str) -> None:
        key = (kind, str(event.get("otid") or event.get("id") or ""))
        idx = self._open.get(key)
        if idx is None or idx != self._current:
            idx = self._begin(out, key, Block(kind, str(event.get("id") or "")))
        block = self.blocks[idx]
        if text:
            block.text += text
            out.append(BlockDelta(idx, block, text))

    def _tools(self, out: list[Event], event: dict[str, Any]) -> None:
        calls = event.get("tool_calls")
        if isinstance(calls, dict):
            calls = [calls]
        if not calls:
            single = event.get("tool_call")
            calls = [single] if isinstance(single, dict) else []
        message_id = str(event.get("id") or "")
        for call in calls:
            if not isinstance(call, dict):
                continue
            call_id = str(call.get("tool_call_id") or "")
            key = ("tool_use", call_id or message_id)
            idx = self._open.get(key)
            if idx is None and not call_id and self._current is not None:
                if self.blocks[self._current].kind == "tool_use":  # a delta without its id
                    idx = self._current
            if idx is None:
                idx = self._begin(out, key, Block("tool_use", message_id, tool_call_id=call_id))
            block = self.blocks[idx]
            if call.get("name") and not block.tool_name:
                block.tool_name = str(call["name"])
            args = call.get("arguments")
            if isinstance(args, str) and args:
                block.arguments += args
                out.append(BlockDelta(idx, block, args))

    def _returns(self, out: list[Event], event: dict[str, Any]) -> None:
        """A tool call the server answered: its return goes on the call's block."""
        out.extend(self.finish())
        returns = event.get("tool_returns")
        if not isinstance(returns, list) or not returns:
            returns = [event]
        for answer in returns:
            if not isinstance(answer, dict):
                continue
            idx = self._open.get(("tool_use", str(answer.get("tool_call_id") or "")))
            if idx is None:
                continue
            block = self.blocks[idx]
            block.server_return = _content_text(answer.get("tool_return"))
            block.server_error = answer.get("status") == "error"
            out.append(ToolAnswered(idx, block))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _usage(event: dict[str, Any]) -> Usage:
    def num(key: str) -> int:
        value = event.get(key)
        return int(value) if isinstance(value, (int, float)) else 0

    cached = num("cached_input_tokens")
    return Usage(
        input_tokens=max(num("prompt_tokens") - cached, 0),
        output_tokens=num("completion_tokens"),
        cache_read_input_tokens=cached,
        cache_creation_input_tokens=num("cache_write_tokens"),
        reasoning_tokens=num("reasoning_tokens"),
    )


def stop_mapping(reason: str) -> mapping.StopMapping:
    """The Claude ending of a Letta stop reason (unknown reasons end as execution errors)."""
    return mapping.STOP_REASONS.get(reason, mapping.UNKNOWN_STOP)
