"""The Claude messages a session yields: one home for their shapes, built from neutral blocks and counters.

The engine decides what happens in a turn; this module says how each step looks as the Claude CLI
shows it: system notices, assistant and tool-result messages, the raw stream events of
``include_partial_messages``, the ResultMessage, and the ResultError query() raises after an error
result. Each builder takes what it shows (a :class:`Stamp` for what every message of the turn
carries) and reads no engine state.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from letta_backend import mapping
from letta_backend.mapping import stop_mapping

from .._backend import Block, BlockDelta, BlockFinished, BlockStarted, StreamFailure, Usage
from ..errors import ResultError
from ..types import (
    AssistantMessage,
    ClaudeAgentOptions,
    ContentBlock,
    ContextUsageResponse,
    ConversationResetMessage,
    Message,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from . import cli_facts, structured, unoffered
from .accounting import Ledger, TurnState

try:
    from importlib.metadata import version as _dist_version

    _version = _dist_version("claude-compat")
except Exception:  # running from a source tree without metadata
    _version = "0.0.0"


@dataclass(frozen=True)
class Stamp:
    """What the messages of a session's running turn carry: the session, its model, the turn's
    user-message uuids and the result's origin (see prompts.turn_prompt)."""

    session_id: str
    model: str
    user_uuids: tuple[str, ...] = ()
    origin: dict[str, Any] | None = None

    def user_uuid_fields(self) -> dict[str, Any]:
        """The turn's user-message uuids as the CLI echoes them on its messages."""
        return {
            "user_message_uuid": self.user_uuids[-1] if self.user_uuids else None,
            "user_message_uuids": list(self.user_uuids) or None,
        }


def system_data(session_id: str, subtype: str, **fields: Any) -> dict[str, Any]:
    """A CLI ``system`` message's payload: its fields, then a new uuid and the session id."""
    return {
        "type": "system",
        "subtype": subtype,
        **fields,
        "uuid": str(uuid.uuid4()),
        "session_id": session_id,
    }


def system(session_id: str, subtype: str, **fields: Any) -> SystemMessage:
    """A CLI ``system`` message of a session (see system_data)."""
    return SystemMessage(subtype=subtype, data=system_data(session_id, subtype, **fields))


def informational(session_id: str, text: str, *, level: str) -> SystemMessage:
    """The CLI's ``system``/``informational`` notice."""
    return system(session_id, "informational", content=text, level=level)


def thinking_tokens(session_id: str, total: int, delta: int) -> SystemMessage:
    """The CLI's progress notice while the model thinks (one before each thinking block)."""
    return SystemMessage(
        subtype="thinking_tokens",
        data={
            "type": "system",
            "subtype": "thinking_tokens",
            "estimated_tokens": total,
            "estimated_tokens_delta": delta,
            "session_id": session_id,
            "uuid": str(uuid.uuid4()),
        },
    )


def retry_notice(
    session_id: str, failure: StreamFailure, attempt: int, limit: int, delay_ms: int
) -> SystemMessage:
    """The CLI's ``api_retry`` message, shown before a failed model call is tried again."""
    status = failure.http_status
    data = {
        "type": "system",
        "subtype": "api_retry",
        "attempt": attempt,
        "max_retries": limit,
        "retry_delay_ms": delay_ms,
        "error_status": status,
        "error": cli_facts.api_error_fact(status).retry_error,
        "session_id": session_id,
        "uuid": str(uuid.uuid4()),
    }
    return SystemMessage(subtype="api_retry", data=data)


def init_message(
    stamp: Stamp,
    *,
    cwd: str,
    tools: list[str],
    mcp_servers: list[dict[str, Any]],
    permission_mode: str,
    output_style: str,
    agents: list[str],
    add_dirs: list[str],
) -> SystemMessage:
    """The ``system``/``init`` message that starts every turn."""
    data: dict[str, Any] = {
        "type": "system",
        "subtype": "init",
        "cwd": cwd,
        "session_id": stamp.session_id,
        "tools": tools,
        "mcp_servers": mcp_servers,
        "model": stamp.model,
        "permissionMode": permission_mode,
        "slash_commands": [],
        "apiKeySource": "none",
        "claude_code_version": f"claude-compat {_version}",
        "output_style": output_style,
        "agents": agents,
        "skills": [],
        "plugins": [],
        "uuid": str(uuid.uuid4()),
    }
    if add_dirs:
        data["additional_directories"] = add_dirs
    return SystemMessage(subtype="init", data=data)


def block_content(block: Block) -> dict[str, Any] | None:
    """One finished block as the CLI writes it, live and in its transcript (None for empty text):
    a thinking block always signed, a tool call's input with the CLI's schema defaults filled."""
    if block.kind == "text":
        return {"type": "text", "text": block.text} if block.text else None
    if block.kind == "thinking":
        return {
            "type": "thinking",
            "thinking": block.text,
            "signature": block.signature or signature(block.text),
        }
    if block.kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.text}
    parsed, _ = block.tool_input()
    shown = cli_facts.with_input_defaults(block.tool_name, parsed)
    return {"type": "tool_use", "id": block.tool_call_id, "name": block.tool_name, "input": shown}


#: The content blocks the Claude SDK parses into its types on the live stream. It drops the others
#: (a ``redacted_thinking`` block's message comes with empty content), which history still shows:
#: the one place where a session's history and its live stream differ in the real SDK.
_LIVE_TYPES: dict[str, Callable[[dict[str, Any]], ContentBlock]] = {
    "text": lambda c: TextBlock(text=c["text"]),
    "thinking": lambda c: ThinkingBlock(thinking=c["thinking"], signature=c["signature"]),
    "tool_use": lambda c: ToolUseBlock(id=c["id"], name=c["name"], input=c["input"]),
}


def assistant_message(stamp: Stamp, block: Block, usage: Usage | None) -> AssistantMessage | None:
    """The AssistantMessage of one finished block (None for an empty text block)."""
    content = block_content(block)
    if content is None:
        return None
    typed = _LIVE_TYPES.get(content["type"])
    return AssistantMessage(
        content=[typed(content)] if typed is not None else [],
        model=stamp.model,
        usage=usage.as_anthropic() if usage is not None else None,
        message_id=block.message_id,
        session_id=stamp.session_id,
        uuid=str(uuid.uuid4()),
        **stamp.user_uuid_fields(),
    )


def block_messages(
    stamp: Stamp, blocks: list[Block], usage: Usage, offered: Callable[[], Sequence[str]]
) -> list[Message]:
    """A model reply's finished blocks as the CLI shows them without partial messages: a thinking
    estimate before a thinking block, each block's AssistantMessage, the result of a call the server
    answered itself right after it."""
    out: list[Message] = []
    for block in blocks:
        if block.kind == "thinking" and block.text:
            out.append(
                thinking_tokens(stamp.session_id, estimate_tokens(block.text), estimate_tokens(block.text))
            )
        said = assistant_message(stamp, block, usage)
        if said is not None:
            out.append(said)
        if block.server_return is not None:
            out.append(server_answer(block, offered))
    return out


def tool_result(tool_use_id: str, tool_name: str, content: Any, is_error: bool, shown: Any) -> UserMessage:
    """The user message carrying one tool call's result (``shown``: its ``tool_use_result``)."""
    return UserMessage(
        content=[
            ToolResultBlock(
                tool_use_id=tool_use_id, content=content, is_error=result_flag(tool_name, is_error)
            )
        ],
        uuid=str(uuid.uuid4()),
        tool_use_result=shown,
    )


def server_answer(block: Block, offered: Callable[[], Sequence[str]]) -> UserMessage:
    """The result of a call the server answered itself; a refused one as the CLI answers it
    (``offered`` names the tools the model was offered)."""
    content, shown = block.server_return or "", block.server_return  # shown: tool_use_result
    if block.refused_by_server:  # the model saw the server's words (see MIGRATING.md)
        content, shown = unoffered.no_such_tool(block.tool_name, list(offered()))
    elif block.server_error:
        shown = f"Error: {content}"
    return tool_result(block.tool_call_id, block.tool_name, content, block.server_error, shown)


def command_echo(text: str) -> UserMessage:
    """The CLI's echo of a control command (set_model), shown at the start of the next turn."""
    return UserMessage(content=text, uuid=str(uuid.uuid4()))


def conversation_reset(session_id: str) -> ConversationResetMessage:
    """``/clear``'s first message: the conversation is replaced by a new one."""
    reset_id = str(uuid.uuid4())
    return ConversationResetMessage(new_conversation_id=reset_id, uuid=reset_id, session_id=session_id)


def server_info(stamp: Stamp, commands: list[dict[str, Any]], agents: list[str]) -> dict[str, Any]:
    """What a session offers, shaped like the Claude CLI's initialize answer."""
    return {
        "commands": commands,
        "agents": [{"name": n} for n in agents],
        "output_style": "default",
        "available_output_styles": list(cli_facts.OUTPUT_STYLES),
        "models": [{"value": stamp.model, "displayName": stamp.model}],
        "account": {},
        "backend": "letta",
        "session_id": stamp.session_id,
    }


def context_usage(model: str, used: int) -> ContextUsageResponse:
    """Context-window usage as the CLI answers it: ``used`` tokens of the last request against the window."""
    window = mapping.context_window_for(model)
    return {
        "categories": [{"name": "Messages", "tokens": used, "color": "default"}],
        "totalTokens": used,
        "maxTokens": window,
        "rawMaxTokens": window,
        "percentage": round(100.0 * used / window, 2) if window else 0.0,
        "model": model,
        "isAutoCompactEnabled": True,
        "memoryFiles": [],
        "mcpTools": [],
        "agents": [],
        "gridRows": [],
    }


def user_text(text: str) -> UserMessage:
    """A user message of plain text the CLI adds itself (an interruption notice, a reminder)."""
    return UserMessage(content=[TextBlock(text=text)], uuid=str(uuid.uuid4()))


def api_error_message(stamp: Stamp, failure: StreamFailure, text: str) -> AssistantMessage:
    """The CLI's synthetic assistant message for a failed model call (``text``: its words for it)."""
    return AssistantMessage(
        content=[TextBlock(text=text)],
        model="<synthetic>",
        error=mapping.assistant_error(failure.error_type, failure.http_status),  # type: ignore[arg-type]
        usage=Usage().as_result_usage(),  # the CLI's synthetic messages carry its own usage shape
        message_id=f"msg_{uuid.uuid4().hex[:24]}",
        stop_reason="stop_sequence",
        session_id=stamp.session_id,
        uuid=str(uuid.uuid4()),
    )


def _result_text(
    stop: mapping.StopMapping,
    reason: str,
    failure: StreamFailure | None,
    state: TurnState,
    options: ClaudeAgentOptions,
    api_error_text: str | None,
    note: str | None,
) -> tuple[str | None, list[str] | None, int | None, int]:
    """The result's text, errors, API status and the turns counted beyond the state's, by how it stopped."""
    if stop.api_error and failure is not None:
        return api_error_text, None, failure.http_status or 500, 0
    if stop.subtype == "error_max_turns":  # Claude counts the turn it refused to start
        return None, [f"Reached maximum number of turns ({options.max_turns})"], None, 1
    if stop.subtype == "error_max_budget_usd":
        return None, [f"Reached maximum budget (${options.max_budget_usd})"], None, 0
    if stop.subtype == "error_max_structured_output_retries" and state.structured is not None:
        return None, [state.structured.exhausted_error()], None, 0
    if stop.is_error:
        return None, [failure.message if failure is not None else f"Letta run stopped: {reason}"], None, 0
    return (note if note is not None else (state.last_text or "")), None, None, 0


def result_message(
    stamp: Stamp,
    reason: str,
    failure: StreamFailure | None,
    state: TurnState,
    ledger: Ledger,
    options: ClaudeAgentOptions,
    *,
    api_error_text: str | None = None,
    note: str | None = None,
) -> ResultMessage:
    """The turn's ResultMessage: the stop reason in the SDK's fields, the turn's counters and the
    session's cost (``api_error_text``: the CLI's words for a failed call; ``note``: the result text)."""
    stop = stop_mapping(reason)
    if failure is not None and not stop.is_error:
        stop = mapping.UNKNOWN_STOP
    result_text, errors, api_status, extra_turns = _result_text(
        stop, reason, failure, state, options, api_error_text, note
    )
    output: Any = None
    if reason == "structured_output" and state.structured is not None:
        output = state.structured.value
        result_text = structured.as_result_text(output)
    return ResultMessage(
        subtype=stop.subtype,
        duration_ms=int((time.monotonic() - state.started) * 1000),
        duration_api_ms=int(state.api_seconds * 1000),
        is_error=stop.is_error,
        num_turns=state.num_turns + state.parallel_calls + extra_turns,
        session_id=stamp.session_id,
        stop_reason=stop.stop_reason,
        total_cost_usd=ledger.total_cost_usd,
        usage=state.usage.as_result_usage(),
        result=result_text,
        structured_output=output,
        model_usage=dict(ledger.model_usage),  # type: ignore[arg-type]
        permission_denials=list(state.permission_denials),
        errors=errors,
        api_error_status=api_status,
        uuid=str(uuid.uuid4()),
        terminal_reason=stop.terminal_reason,
        origin=stamp.origin,  # type: ignore[arg-type]
        **stamp.user_uuid_fields(),
    )


def shows_api_error(reason: str, result: ResultMessage) -> bool:
    """Whether the CLI shows its synthetic assistant message before this error result of a failed call."""
    return result.is_error and stop_mapping(reason).api_error


def with_errors(result: ResultMessage, errors: list[str], **changes: Any) -> ResultMessage:
    """A result with the CLI's diagnostics in ``errors`` (and any other field changed)."""
    return dataclasses.replace(result, errors=errors, **changes)


def result_error(result: ResultMessage) -> ResultError:
    """The ResultError the Claude SDK raises after yielding an error result from query()."""
    data: dict[str, Any] = {"type": "result"}
    for wire, attribute in cli_facts.RESULT_PAYLOAD_FIELDS.items():
        value = getattr(result, attribute, None)
        if value is not None:
            data[wire] = value
    text = "; ".join(result.errors or []) or (result.result or "").strip() or result.subtype
    return ResultError(f"Claude Code returned an error result: {text}", data=data, exit_code=1)


_BLOCK_START: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "text": ""},
    "thinking": {"type": "thinking", "thinking": "", "signature": ""},
}
_DELTA_KEYS: dict[str, tuple[str, str]] = {
    "text": ("text_delta", "text"),
    "thinking": ("thinking_delta", "thinking"),
    "tool_use": ("input_json_delta", "partial_json"),
}


class PartialStream:
    """Anthropic-style raw stream events for ``include_partial_messages``, built from token deltas.

    Each block's text arrives once as deltas; its complete AssistantMessage comes before its
    ``content_block_stop``, as the Claude SDK orders them.
    """

    def __init__(self, stamp: Stamp) -> None:
        self.stamp = stamp
        self.started = False
        self.indexes: dict[int, int] = {}
        self.thinking_total = 0

    def _event(self, event: dict[str, Any]) -> StreamEvent:
        return StreamEvent(uuid=str(uuid.uuid4()), session_id=self.stamp.session_id, event=event)

    def _start(self, message_id: str) -> list[Message]:
        """``message_start``, once: before the reply's first block (or its end when it has none)."""
        if self.started:
            return []
        self.started = True
        message: dict[str, Any] = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": self.stamp.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": Usage().as_anthropic(),
        }
        return [self._event({"type": "message_start", "message": message})]

    def feed(self, event: object) -> list[Message]:
        """The stream events (and finished blocks' messages) one backend event shows."""
        if isinstance(event, BlockStarted):
            return self._block_started(event)
        if isinstance(event, BlockDelta):
            return self._delta(event)
        if isinstance(event, BlockFinished):
            return self._block_finished(event)
        return []

    def _block_started(self, event: BlockStarted) -> list[Message]:
        out = self._start(event.block.message_id)
        index = self.indexes[event.index] = len(self.indexes)
        block = event.block
        if block.kind == "redacted_thinking":  # Anthropic sends its data whole in its start: at its end
            return out
        start = _BLOCK_START.get(block.kind) or {
            "type": "tool_use",
            "id": block.tool_call_id,
            "name": block.tool_name,
            "input": {},
        }
        out.append(self._event({"type": "content_block_start", "index": index, "content_block": dict(start)}))
        return out

    def _delta(self, event: BlockDelta) -> list[Message]:
        out: list[Message] = []
        if event.block.kind not in _DELTA_KEYS:
            return out
        kind, key = _DELTA_KEYS[event.block.kind]
        if event.block.kind == "thinking":
            delta = estimate_tokens(event.delta)
            self.thinking_total += delta
            out.append(thinking_tokens(self.stamp.session_id, self.thinking_total, delta))
        index = self.indexes[event.index]
        out.append(
            self._event(
                {"type": "content_block_delta", "index": index, "delta": {"type": kind, key: event.delta}}
            )
        )
        return out

    def _block_finished(self, event: BlockFinished) -> list[Message]:
        out: list[Message] = []
        index = self.indexes[event.index]
        content = block_content(event.block)
        if content is not None and content["type"] == "thinking":  # as Anthropic: the signature ends it
            ended = {"type": "signature_delta", "signature": content["signature"]}
            out.append(self._event({"type": "content_block_delta", "index": index, "delta": ended}))
        if content is not None and content["type"] == "redacted_thinking":  # its data comes in its start
            out.append(self._event({"type": "content_block_start", "index": index, "content_block": content}))
        # as the CLI: a block's message carries the usage its message_start announced
        message = assistant_message(self.stamp, event.block, Usage())
        if message is not None:
            out.append(message)
        out.append(self._event({"type": "content_block_stop", "index": index}))
        return out

    def close(self, reason: str, usage: Usage) -> list[Message]:
        """The reply's end: ``message_delta`` with its stop reason and output tokens, ``message_stop``."""
        out = self._start("")
        stop = "tool_use" if reason == "requires_approval" else "end_turn"
        delta = {"stop_reason": stop, "stop_sequence": None}
        out.append(
            self._event(
                {"type": "message_delta", "delta": delta, "usage": {"output_tokens": usage.output_tokens}}
            )
        )
        out.append(self._event({"type": "message_stop"}))
        return out


def result_flag(tool_name: str, is_error: bool) -> bool | None:
    """``ToolResultBlock.is_error`` as the Claude CLI sets it: True, or False/None on success by tool."""
    if is_error:
        return True
    return False if tool_name in cli_facts.TOOLS_MARKING_SUCCESS else None


def estimate_tokens(text: str) -> int:
    """A rough token count (four characters a token), as the CLI's thinking estimate."""
    return max(1, len(text) // 4)


def signature(thinking: str) -> str:
    """A stable stand-in signature when the provider sent none (Claude's blocks always carry one)."""
    return "letta_" + hashlib.sha256(thinking.encode()).hexdigest()[:32]
