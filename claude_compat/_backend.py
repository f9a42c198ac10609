"""The Backend protocol the turn engine drives, and the neutral events and requests it exchanges.

The engine sees a backend only through :class:`Backend`: open (or resume) a session, run one
request and read its events, answer tool calls in the next request, cancel, switch the model,
journal tool runs, close. ``letta_backend`` implements it against a Letta server;
``claude_compat.testing.FakeBackend`` implements it in memory.

A leaf: this module imports the standard library and the error tree only, so both sides (and
users' tests) can import it without pulling in the other.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from claude_compat.errors import ClaudeSDKError

#: ``redacted_thinking``: reasoning the provider hid (its ``text`` is the opaque data it sent instead).
BlockKind = Literal["text", "thinking", "redacted_thinking", "tool_use"]

#: How a server's tool return starts when the model called a tool the agent does not offer.
TOOL_CONSTRAINT_ERROR = "[ToolConstraintError]"


# --- what a run yields -------------------------------------------------------------------------


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
    """Token usage of one run, in the Anthropic vocabulary."""

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
    """An error reported inside a run's stream (the request itself succeeded)."""

    error_type: str
    message: str
    detail: str = ""

    @property
    def is_conflict(self) -> bool:
        """The conversation still waits for a tool approval."""
        return "CONFLICT" in self.message or "waiting for approval" in self.message

    @property
    def provider_message(self) -> str | None:
        """The model provider's own error message quoted in the detail, if any."""
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


@dataclass(frozen=True)
class RunStarted:
    """The server started a run (its id lets an interrupted run be waited for)."""

    run_id: str


@dataclass(frozen=True)
class BlockStarted:
    """A content block began (``index`` counts the run's blocks from 0)."""

    index: int
    block: Block


@dataclass(frozen=True)
class BlockDelta:
    """More text, thinking or tool-argument JSON of an open block."""

    index: int
    block: Block
    delta: str


@dataclass(frozen=True)
class BlockFinished:
    """A content block is complete; every started block finishes exactly once."""

    index: int
    block: Block


@dataclass(frozen=True)
class RunStopped:
    """Why the run ended, in the server's words (``end_turn``, ``requires_approval``, …)."""

    reason: str


@dataclass(frozen=True)
class RunUsage:
    """The run's token usage."""

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


# --- what a request carries --------------------------------------------------------------------


@dataclass(frozen=True)
class ToolReturn:
    """The result of one client-side tool call."""

    tool_call_id: str
    content: str
    is_error: bool = False


@dataclass(frozen=True)
class ToolDenial:
    """A refused tool call: the model gets the reason as an error result."""

    tool_call_id: str
    reason: str


@dataclass(frozen=True)
class ToolAnswers:
    """One request item answering every tool call the previous run left waiting, in call order."""

    results: tuple[ToolReturn | ToolDenial, ...]


#: One item of a request: a user message ``{"role": "user", "content": str | content parts}``, or
#: the answers to the tool calls of the previous run.
RequestItem = dict[str, Any] | ToolAnswers


# --- opening a session -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaudeHistory:
    """A Claude session read from a transcript or a store, in neutral terms."""

    session_id: str
    source: str
    messages: tuple[dict[str, Any], ...]
    cwd: str | None = None
    title: str | None = None
    first_prompt: str | None = None
    tag: str | None = None
    modified_ms: int = 0


#: Finds a Claude session: (session id, or None for the newest of the cwd; cwd) -> history or None.
HistoryFinder = Callable[[str | None, str | None], Awaitable[ClaudeHistory | None]]


@dataclass(frozen=True)
class SessionSpec:
    """Everything needed to start or resume a session, already in backend terms."""

    system_prompt: str = ""
    model: str | None = None
    model_handle: str | None = None
    embedding_handle: str | None = None
    memory_blocks: tuple[tuple[str, str], ...] = ()
    model_settings: dict[str, Any] = field(default_factory=dict)
    #: Tool names the agent does not offer whose calls the server hands to the client anyway
    #: (a ``requires_approval`` rule each), so the client answers them.
    routed_tools: tuple[str, ...] = ()
    thinking: dict[str, Any] | None = None
    effort: str | None = None
    max_thinking_tokens: int | None = None
    max_output_tokens: int | None = None  # the CLI's CLAUDE_CODE_MAX_OUTPUT_TOKENS, when set
    #: The Claude model whose CLI request the sampling follows when it is not the handle's own: the
    #: program named a model (as the CLI resolves it) and the user configured the handle apart from it.
    cli_model: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    cwd: str | None = None
    session_id: str | None = None
    resume: str | None = None
    continue_conversation: bool = False
    fork_session: bool = False
    first_prompt: str | None = None
    resume_session_at: str | None = None  # a server message id to go on from
    subagent_of: tuple[str, str] | None = None  # (parent session id, subagent id) of a subagent's session
    #: Finds sessions the real Claude SDK wrote (transcripts, a SessionStore); imported on first use.
    claude_sessions: HistoryFinder | None = field(default=None, compare=False, repr=False)


# --- the protocol ------------------------------------------------------------------------------


class BackendSession(Protocol):
    """What the engine reads of an open session; the rest is the backend's own."""

    session_id: str
    model_handle: str
    resumed: bool


S = TypeVar("S", bound=BackendSession)


class Backend(Protocol[S]):
    """A connection the engine drives sessions on; every method may raise a ClaudeSDKError."""

    @property
    def base_url(self) -> str:
        """Where the backend answers (named in error texts, as the CLI names its API gateway)."""
        ...

    @property
    def turn_timeout(self) -> float | None:
        """Seconds a whole turn may take (None: no limit)."""
        ...

    async def open_session(self, spec: SessionSpec) -> S:
        """Create a session, or resume / continue / fork the one the spec names."""
        ...

    def run(
        self,
        session: S,
        request: list[RequestItem],
        *,
        client_tools: list[dict[str, Any]],
        stream_tokens: bool = False,
        deadline: float | None = None,
    ) -> AsyncIterator[Event]:
        """Send one request and yield the run's events (``deadline``: event-loop time, or None)."""
        ...

    def turn_lease(self, session: S) -> AbstractAsyncContextManager[None]:
        """Hold the session for one turn against every other turn on it."""
        ...

    async def settle(self, session: S, run_id: str) -> None:
        """Wait until a cancelled run's messages are stored, so the next turn follows them."""
        ...

    async def cancel(self, session: S) -> None:
        """Cancel the session's running run and stop its stream at once."""
        ...

    async def set_model(
        self, session: S, model: str | None, handle: str | None, *, cli_model: str | None = None
    ) -> None:
        """Switch the session's model (``session.model_handle`` follows); ``cli_model`` as in
        ``SessionSpec.cli_model``."""
        ...

    def journal_start(self, session: S, tool_call_id: str, tool_name: str) -> None:
        """Note that a tool call is about to run (a crash mid-tool is then reported as "may have run")."""
        ...

    def journal_done(
        self, session: S, tool_call_id: str, tool_name: str, content: str, is_error: bool
    ) -> None:
        """Note what a tool call produced, before the next request carries it."""
        ...

    def turn_timed_out(self, session: S, doing: str) -> ClaudeSDKError:
        """The error of a turn that ran out of time while ``doing`` (a local tool call) was running."""
        ...

    async def aclose(self) -> None:
        """Release the connection."""
        ...
