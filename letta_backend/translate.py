"""Letta stream events → the neutral events of :mod:`claude_compat._backend` the turn engine consumes.

Pure functions over plain dicts (a Letta event after ``model_dump``), so every rule is testable
without a server. Text and reasoning become one block each; tool calls are collected, with their
JSON arguments reassembled across token deltas, grouped by ``otid``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from claude_compat._backend import (
    TOOL_CONSTRAINT_ERROR,
    Block,
    BlockDelta,
    BlockFinished,
    BlockKind,
    BlockStarted,
    Event,
    RunStarted,
    RunStopped,
    RunUsage,
    StreamFailure,
    ToolAnswered,
    Usage,
)

from .mapping import stop_mapping

__all__ = [
    "TOOL_CONSTRAINT_ERROR",
    "Block",
    "BlockDelta",
    "BlockFinished",
    "BlockKind",
    "BlockStarted",
    "Event",
    "RunStarted",
    "RunStopped",
    "RunTranslator",
    "RunUsage",
    "StreamFailure",
    "ToolAnswered",
    "Usage",
    "message_blocks",
    "stop_mapping",
    "tool_calls_of",
]


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
            self._text(out, "redacted_thinking", event, str(event.get("hidden_reasoning") or ""))
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
        message_id = str(event.get("id") or "")
        for call in tool_calls_of(event):
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
            if isinstance(args, dict):  # a stored call may hold its arguments parsed
                args = json.dumps(args)
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


def tool_calls_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool calls a Letta tool-call or approval-request message carries, live or stored:
    its ``tool_calls`` (a list, or one call as a dict), else its single ``tool_call``."""
    calls = message.get("tool_calls")
    if isinstance(calls, dict):
        calls = [calls]
    if not calls or not isinstance(calls, list):
        single = message.get("tool_call")
        calls = [single] if isinstance(single, dict) else []
    return [call for call in calls if isinstance(call, dict)]


def message_blocks(message: dict[str, Any]) -> list[Block]:
    """The blocks of one stored assistant-side Letta message, as the live run built them."""
    translator = RunTranslator()
    translator.feed(message)
    translator.finish()
    return translator.blocks


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
