"""The turn engine: one Claude-style session driven on a Letta conversation.

A turn sends the user's message, folds Letta's run into Claude messages (one AssistantMessage per
content block), answers client-tool calls locally until the run ends, and closes with a
ResultMessage whose fields follow the Claude SDK (see letta_backend.mapping.STOP_REASONS).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from letta_backend import mapping
from letta_backend.backend import BackendSession, LettaBackend, conversation_lock
from letta_backend.conversations import ToolDenial, ToolReturn, tool_results_message
from letta_backend.translate import (
    Block,
    BlockFinished,
    RunStopped,
    RunUsage,
    StreamFailure,
    Usage,
    stop_mapping,
)

from ..errors import InvalidOptionError, ResultError
from ..types import (
    AssistantMessage,
    ClaudeAgentOptions,
    ContentBlock,
    ContextUsageResponse,
    McpStatusResponse,
    Message,
    ResultMessage,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from . import options as _options

try:
    from importlib.metadata import version as _dist_version

    _version = _dist_version("claude-compat")
except Exception:  # running from a source tree without metadata
    _version = "0.0.0"


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model made, as the engine hands it to the tool host."""

    id: str
    name: str
    input: dict[str, Any]
    input_error: str | None = None


@dataclass(frozen=True)
class ToolOutcome:
    """What running (or refusing) a tool call produced."""

    content: str | list[dict[str, Any]]
    is_error: bool = False
    structured: Any = None  # UserMessage.tool_use_result
    denied: bool = False
    notices: tuple[SystemMessage, ...] = ()  # system messages shown before the result (permission_denied)
    interrupt: bool = False  # stop the turn after this result (PermissionResultDeny(interrupt=True))


class ToolHost:
    """The tools a session offers the model. The base offers none: every call is an error result."""

    def client_tools(self) -> list[dict[str, Any]]:
        """Letta client-tool specs (name, description, JSON-schema parameters)."""
        return []

    def tool_names(self) -> list[str]:
        """Names listed in the init message."""
        return [t["name"] for t in self.client_tools()]

    async def open(self, session_id: str) -> None:
        """Prepare the tools of a session (list MCP tools, build the permission gate)."""

    async def run(self, call: ToolCall) -> ToolOutcome:
        """Run one call; never raises (failures become error outcomes)."""
        return ToolOutcome(f"Error: No such tool available: {call.name}", is_error=True)


@dataclass
class TurnState:
    """Counters of one turn."""

    started: float = field(default_factory=time.monotonic)
    api_seconds: float = 0.0
    num_turns: int = 0
    usage: Usage = field(default_factory=Usage)
    last_text: str | None = None
    permission_denials: list[dict[str, Any]] = field(default_factory=list)


class Engine:
    """One session: its backend connection, Letta conversation, tools and cumulative cost."""

    def __init__(self, options: ClaudeAgentOptions, tools: ToolHost | None = None) -> None:
        self.options = options
        self.tools = tools or ToolHost()
        self.backend: LettaBackend | None = None
        self.session: BackendSession | None = None
        self.total_cost_usd: float | None = 0.0
        self.model_usage: dict[str, dict[str, Any]] = {}
        self._deferred: list[dict[str, Any]] = []
        self._interrupted = False
        self._last_context_tokens = 0

    async def open(self, first_prompt: str | None = None) -> None:
        """Connect to Letta and create or resume the session."""
        _options.check_options(self.options)
        self.backend = await LettaBackend.connect(
            base_url=self.options.letta_base_url, api_key=self.options.letta_api_key
        )
        self.session = await self.backend.open_session(
            _options.session_spec(self.options, first_prompt=first_prompt)
        )
        await self.tools.open(self.session.session_id)

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        if self.backend is not None:
            await self.backend.aclose()
            self.backend = None

    @property
    def session_id(self) -> str:
        assert self.session is not None, "Engine.open() first"
        return self.session.session_id

    @property
    def model(self) -> str:
        assert self.session is not None, "Engine.open() first"
        return self.session.model_handle

    def init_message(self) -> SystemMessage:
        """The ``system``/``init`` message that starts every turn."""
        opts = self.options
        data: dict[str, Any] = {
            "type": "system",
            "subtype": "init",
            "cwd": _options.cwd_of(opts),
            "session_id": self.session_id,
            "tools": self.tools.tool_names(),
            "mcp_servers": [],
            "model": self.model,
            "permissionMode": opts.permission_mode or "default",
            "slash_commands": [],
            "apiKeySource": "none",
            "claude_code_version": f"claude-compat {_version}",
            "output_style": "default",
            "agents": sorted(opts.agents) if opts.agents else [],
            "skills": [],
            "plugins": [],
            "uuid": str(uuid.uuid4()),
        }
        if opts.add_dirs:
            data["additional_directories"] = [str(d) for d in opts.add_dirs]
        return SystemMessage(subtype="init", data=data)

    def set_permission_mode(self, mode: str) -> None:
        """Change the permission mode (Claude or Letta vocabulary)."""
        if mode not in mapping.PERMISSION_MODES:
            raise InvalidOptionError(
                f"unknown permission mode {mode!r}; use one of {sorted(mapping.PERMISSION_MODES)}"
            )
        self.options.permission_mode = mode  # type: ignore[assignment]

    async def set_model(self, model: str | None) -> None:
        """Switch the conversation's model (None: the session's default choice)."""
        assert self.backend is not None and self.session is not None, "Engine.open() first"
        await self.backend.set_model(self.session, model, None if model else self.options.letta_model_handle)

    def mcp_status(self) -> McpStatusResponse:
        """The session's MCP servers and their state."""
        return {"mcpServers": []}

    def server_info(self) -> dict[str, Any]:
        """What the session offers, shaped like the Claude CLI's initialize answer."""
        return {
            "commands": [],
            "agents": [{"name": n} for n in sorted(self.options.agents or {})],
            "output_style": "default",
            "available_output_styles": ["default"],
            "models": [{"value": self.model, "displayName": self.model}],
            "account": {},
            "backend": "letta",
            "session_id": self.session_id,
        }

    async def context_usage(self) -> ContextUsageResponse:
        """Context-window usage: the tokens of the last request against the model's window."""
        used = self._last_context_tokens
        window = mapping.context_window_for(self.model)
        return {
            "categories": [{"name": "Messages", "tokens": used, "color": "default"}],
            "totalTokens": used,
            "maxTokens": window,
            "rawMaxTokens": window,
            "percentage": round(100.0 * used / window, 2) if window else 0.0,
            "model": self.model,
            "isAutoCompactEnabled": True,
            "memoryFiles": [],
            "mcpTools": [],
            "agents": [],
            "gridRows": [],
        }

    async def interrupt(self) -> None:
        """Stop the running turn: cancel the Letta run and end with an aborted result."""
        self._interrupted = True
        if self.backend is not None and self.session is not None:
            await self.backend.cancel(self.session)

    async def turn(
        self, content: str | list[dict[str, Any]], *, user_uuid: str | None = None
    ) -> AsyncIterator[Message]:
        """Run one user turn and yield its messages, ending with the ResultMessage."""
        assert self.backend is not None and self.session is not None, "Engine.open() first"
        self._interrupted = False
        final: list[Message] = []
        async with conversation_lock(self.session.conversation_id):
            yield self.init_message()
            state = TurnState()
            request = [*self._deferred, {"role": "user", "content": content}]
            self._deferred = []
            while True:
                blocks, reason, failure, usage = await self._run(request, state)
                for message in self._assistant_messages(blocks, usage):
                    yield message
                texts = [b.text for b in blocks if b.kind == "text" and b.text]
                if texts:
                    state.last_text = texts[-1]
                if reason == "requires_approval" and failure is None:
                    calls = [b for b in blocks if b.kind == "tool_use"]
                    results: list[ToolReturn | ToolDenial] = []
                    for block in calls:
                        outcome = await self._run_tool(block, state)
                        for notice in outcome.notices:
                            yield notice
                        if outcome.interrupt:
                            self._interrupted = True
                        yield UserMessage(
                            content=[
                                ToolResultBlock(
                                    tool_use_id=block.tool_call_id,
                                    content=outcome.content,
                                    is_error=outcome.is_error,
                                )
                            ],
                            uuid=str(uuid.uuid4()),
                            tool_use_result=outcome.structured,
                        )
                        results.append(
                            ToolReturn(block.tool_call_id, _as_text(outcome.content), outcome.is_error)
                        )
                    answer = tool_results_message(results)
                    max_turns = self.options.max_turns
                    if self._interrupted or (max_turns is not None and state.num_turns >= max_turns):
                        self._deferred = [answer]  # delivered with the next user message
                        reason = "cancelled" if self._interrupted else "max_steps"
                    else:
                        request = [answer]
                        continue
                result = self._result(reason, failure, state)
                if failure is not None and result.is_error and stop_mapping(reason).api_error:
                    final.append(self._api_error_message(failure))
                final.append(result)
                break
        for out in final:  # outside the lock: a caller may stop reading at the result
            yield out

    async def _run(
        self, request: list[dict[str, Any]], state: TurnState
    ) -> tuple[list[Block], str, StreamFailure | None, Usage]:
        assert self.backend is not None and self.session is not None
        blocks: list[Block] = []
        reason = ""
        failure: StreamFailure | None = None
        usage = Usage()
        steps = 0
        t0 = time.monotonic()
        try:
            async for event in self.backend.run(
                self.session,
                request,
                client_tools=self.tools.client_tools(),
                stream_tokens=self.options.include_partial_messages,
            ):
                if isinstance(event, BlockFinished):
                    blocks.append(event.block)
                elif isinstance(event, RunStopped):
                    reason = event.reason
                elif isinstance(event, RunUsage):
                    usage = event.usage
                    self._last_context_tokens = usage.input_tokens + usage.cache_read_input_tokens
                    steps += 1
                elif isinstance(event, StreamFailure):
                    failure = event
        finally:
            state.api_seconds += time.monotonic() - t0
        if self._interrupted and reason != "requires_approval":
            reason = "cancelled"
        if not reason:
            reason = "error" if failure is not None else "end_turn"
        if failure is not None and failure.error_type == "llm_error" and reason == "error":
            reason = "llm_api_error"
        state.num_turns += max(steps, 1)
        state.usage = state.usage + usage
        self._add_cost(usage)
        return blocks, reason, failure, usage

    def _assistant_messages(self, blocks: list[Block], usage: Usage) -> list[AssistantMessage]:
        out: list[AssistantMessage] = []
        for block in blocks:
            content: ContentBlock
            if block.kind == "text":
                if not block.text:
                    continue
                content = TextBlock(text=block.text)
            elif block.kind == "thinking":
                content = ThinkingBlock(thinking=block.text, signature="")
            else:
                parsed, _ = block.tool_input()
                content = ToolUseBlock(id=block.tool_call_id, name=block.tool_name, input=parsed)
            out.append(
                AssistantMessage(
                    content=[content],
                    model=self.model,
                    usage=usage.as_anthropic(),
                    message_id=block.message_id,
                    session_id=self.session_id,
                    uuid=str(uuid.uuid4()),
                )
            )
        return out

    async def _run_tool(self, block: Block, state: TurnState) -> ToolOutcome:
        parsed, error = block.tool_input()
        if error is not None:
            return ToolOutcome(f"Error: {error}", is_error=True, structured=f"Error: {error}")
        call = ToolCall(block.tool_call_id, block.tool_name, parsed)
        outcome = await self.tools.run(call)
        if outcome.denied:
            state.permission_denials.append(
                {"tool_name": call.name, "tool_use_id": call.id, "tool_input": call.input}
            )
        return outcome

    def _add_cost(self, usage: Usage) -> None:
        price = mapping.price_for(self.model)
        entry = self.model_usage.setdefault(
            self.model,
            {
                "inputTokens": 0,
                "outputTokens": 0,
                "cacheReadInputTokens": 0,
                "cacheCreationInputTokens": 0,
                "webSearchRequests": 0,
                "costUSD": 0.0,
                "contextWindow": mapping.context_window_for(self.model),
                "maxOutputTokens": 0,
            },
        )
        entry["inputTokens"] += usage.input_tokens
        entry["outputTokens"] += usage.output_tokens
        entry["cacheReadInputTokens"] += usage.cache_read_input_tokens
        entry["cacheCreationInputTokens"] += usage.cache_creation_input_tokens
        if price is None:
            self.total_cost_usd = None
            return
        cost = (
            usage.input_tokens * price.input
            + usage.output_tokens * price.output
            + usage.cache_read_input_tokens * price.cache_read
            + usage.cache_creation_input_tokens * price.cache_write
        ) / 1_000_000
        entry["costUSD"] += cost
        if self.total_cost_usd is not None:
            self.total_cost_usd += cost

    def _api_error_message(self, failure: StreamFailure) -> AssistantMessage:
        return AssistantMessage(
            content=[TextBlock(text=_api_error_text(failure))],
            model=self.model,
            error=mapping.ASSISTANT_ERRORS.get(failure.error_type, "unknown"),  # type: ignore[arg-type]
            session_id=self.session_id,
            uuid=str(uuid.uuid4()),
        )

    def _result(self, reason: str, failure: StreamFailure | None, state: TurnState) -> ResultMessage:
        stop = stop_mapping(reason)
        if failure is not None and not stop.is_error:
            stop = mapping.UNKNOWN_STOP
        errors: list[str] | None = None
        result_text: str | None = None
        api_status: int | None = None
        if stop.api_error and failure is not None:
            result_text = _api_error_text(failure)
            api_status = failure.http_status or 500
        elif stop.subtype == "error_max_turns":
            errors = [f"Reached maximum number of turns ({self.options.max_turns})"]
        elif stop.is_error:
            errors = [failure.message if failure is not None else f"Letta run stopped: {reason}"]
        else:
            result_text = state.last_text or ""
        return ResultMessage(
            subtype=stop.subtype,
            duration_ms=int((time.monotonic() - state.started) * 1000),
            duration_api_ms=int(state.api_seconds * 1000),
            is_error=stop.is_error,
            num_turns=state.num_turns,
            session_id=self.session_id,
            stop_reason=stop.stop_reason,
            total_cost_usd=self.total_cost_usd,
            usage=state.usage.as_anthropic(),
            result=result_text,
            model_usage=dict(self.model_usage),  # type: ignore[arg-type]
            permission_denials=list(state.permission_denials),
            errors=errors,
            api_error_status=api_status,
            uuid=str(uuid.uuid4()),
            terminal_reason=stop.terminal_reason,
        )


def _api_error_text(failure: StreamFailure) -> str:
    status = failure.http_status
    detail = failure.detail or failure.message
    return f"API Error: {status} {detail}" if status else f"API Error: {detail}"


def _as_text(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    parts = [str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text"]
    return "\n".join(parts)


def result_error(result: ResultMessage) -> ResultError:
    """The ResultError the Claude SDK raises after yielding an error result from query()."""
    data = {
        "subtype": result.subtype,
        "errors": result.errors or [],
        "result": result.result,
        "api_error_status": result.api_error_status,
        "terminal_reason": result.terminal_reason,
        "session_id": result.session_id,
        "is_error": result.is_error,
    }
    text = "; ".join(result.errors or []) or (result.result or "").strip() or result.subtype
    return ResultError(f"Claude Code returned an error result: {text}", data=data, exit_code=1)
