"""FakeBackend: an in-memory backend playing scripted model runs, to test agents without a server.

``query()``, ``ClaudeSDKClient`` and the V2 sessions run unchanged on it: the engine's turn loop,
tools, hooks, permissions and messages are the real ones; only the model's replies are scripted.
Each model request the engine sends plays the next :class:`FakeRun`; what the engine sent back
(prompts, tool results, denials) is recorded::

    fake = FakeBackend(
        FakeRun(tool_calls=[FakeToolCall("Read", {"file_path": "/home/me/notes.txt"})]),
        FakeRun(text="The notes say hello."),
    )
    with fake.installed():
        async for message in query(prompt="What do my notes say?", options=options):
            ...
    assert "hello" in fake.tool_answers[0].content
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.lowlevel import checkpoint

from claude_compat._backend import (
    Block,
    BlockDelta,
    BlockFinished,
    BlockKind,
    BlockStarted,
    Event,
    RequestItem,
    RunStarted,
    RunStopped,
    RunUsage,
    SessionSpec,
    StreamFailure,
    ToolAnswers,
    ToolDenial,
    ToolReturn,
    Usage,
)
from claude_compat._internal import backends
from claude_compat.errors import LettaTimeoutError, SessionNotFoundError
from claude_compat.types import ClaudeAgentOptions

__all__ = ["FakeBackend", "FakeRun", "FakeSession", "FakeToolCall"]

#: The model handle of a FakeBackend's sessions unless the options or the FakeBackend name one.
DEFAULT_MODEL = "anthropic/claude-sonnet-4-5"


@dataclass(frozen=True)
class FakeToolCall:
    """A tool call the model makes: the tool's name and input (``id``: made up when empty)."""

    name: str
    input: dict[str, Any] = field(default_factory=dict)
    id: str = ""


@dataclass(frozen=True)
class FakeRun:
    """One model request's answer: thinking, text and tool calls (in that order), then its end.

    ``stop_reason`` defaults to ``requires_approval`` with tool calls (the engine runs them and
    sends their results in the next request), else ``end_turn``. ``error`` makes the model call
    fail with that message (``error_status``: the provider's HTTP status, which decides, as in
    the Claude CLI, whether it is retried); the tokens count toward cost and ``usage``. ``hold``
    keeps the run going after its blocks, as a model call in flight, until the session is
    cancelled (``interrupt()``); :meth:`FakeBackend.holding` waits until it holds.
    """

    text: str = ""
    thinking: str = ""
    tool_calls: Sequence[FakeToolCall] = ()
    stop_reason: str | None = None
    error: str | None = None
    error_status: int | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    hold: bool = False

    def events(self, number: int) -> Iterator[Event]:
        """The neutral events of this run, the ``number``-th of its backend (from 1)."""
        yield RunStarted(f"run-fake-{number}")
        message_id = f"message-{uuid.uuid4()}"
        parts: list[tuple[BlockKind, str, str, str]] = []
        if self.thinking:
            parts.append(("thinking", self.thinking, "", ""))
        if self.text:
            parts.append(("text", self.text, "", ""))
        for i, call in enumerate(self.tool_calls, 1):
            parts.append(("tool_use", json.dumps(call.input), call.id or f"call-{number}-{i}", call.name))
        for index, (kind, content, call_id, name) in enumerate(parts):
            block = Block(kind, message_id, tool_call_id=call_id, tool_name=name)
            yield BlockStarted(index, block)
            if kind == "tool_use":
                block.arguments = content
            else:
                block.text = content
            yield BlockDelta(index, block, content)
            yield BlockFinished(index, block)
        if self.hold:
            return  # the backend holds the run here; a cancelled run reports nothing more
        if self.error is not None:
            status = f"Error code: {self.error_status} - " if self.error_status is not None else ""
            detail = f"{status}{{'error': {{'message': {self.error!r}}}}}"
            yield StreamFailure("llm_error", self.error, detail)
        usage = Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens)
        yield RunUsage(usage, steps=1)
        if self.error is None or self.stop_reason is not None:
            yield RunStopped(self.stop_reason or ("requires_approval" if self.tool_calls else "end_turn"))


@dataclass
class FakeSession:
    """A session of a FakeBackend."""

    session_id: str
    model_handle: str
    resumed: bool = False
    spec: SessionSpec = field(default_factory=SessionSpec, repr=False)


class FakeBackend:
    """An in-memory backend: plays scripted runs, records what the engine sends.

    ``runs`` are played one per model request, across every session opened while it is installed
    (a subagent's requests included); each is a :class:`FakeRun` or an iterable of the neutral
    events of ``claude_compat._backend``. Running out of runs raises RuntimeError.

    Recorded: ``requests`` (each request's items: user messages ``{"role": "user", "content": …}``
    and tool answers), ``tool_answers`` (every tool result and denial sent, in order),
    ``client_tools`` (the tool specs offered with each request), ``sessions``, ``models`` (each
    ``set_model`` switch), ``cancels`` and ``closes``.
    """

    def __init__(
        self, *runs: FakeRun | Iterable[Event], model: str = DEFAULT_MODEL, turn_timeout: float | None = None
    ) -> None:
        self._runs: list[FakeRun | Iterable[Event]] = list(runs)
        self.model = model
        self._turn_timeout = turn_timeout
        self.requests: list[list[RequestItem]] = []
        self.client_tools: list[list[dict[str, Any]]] = []
        self.sessions: list[FakeSession] = []
        self.models: list[str] = []
        self.journal: dict[str, str] = {}  # tool call id → "started" / "done"
        self.cancels = 0
        self.closes = 0
        self._played = 0
        self._locks: dict[str, anyio.Lock] = {}
        self._held: anyio.Event | None = None  # set while a run holds (made in the event loop)
        self._release: dict[str, anyio.Event] = {}  # session id → the cancel its held run waits for

    def add(self, *runs: FakeRun | Iterable[Event]) -> None:
        """Queue more runs after those not played yet."""
        self._runs.extend(runs)

    @contextmanager
    def installed(self) -> Iterator[FakeBackend]:
        """Run every session opened in this context (and in tasks it starts) on this backend.

        Enter it before a session opens: ``query()`` opens on its first prompt, a
        ``ClaudeSDKClient`` when it connects.
        """

        async def factory(options: ClaudeAgentOptions) -> FakeBackend:
            return self

        with backends.installed(factory):
            yield self

    async def holding(self) -> None:
        """Wait until a run with ``hold=True`` holds (then ``interrupt()`` ends it)."""
        await self._hold_event().wait()

    def _hold_event(self) -> anyio.Event:
        if self._held is None:
            self._held = anyio.Event()
        return self._held

    @property
    def tool_answers(self) -> list[ToolReturn | ToolDenial]:
        """Every tool result (ToolReturn) and refusal (ToolDenial) the engine sent, in order."""
        return [
            result
            for request in self.requests
            for item in request
            if isinstance(item, ToolAnswers)
            for result in item.results
        ]

    @property
    def prompts(self) -> list[str | list[dict[str, Any]]]:
        """The user messages the engine sent, as the model reads them (with any reminders)."""
        return [
            item["content"]
            for request in self.requests
            for item in request
            if not isinstance(item, ToolAnswers)
        ]

    # --- the Backend protocol ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Where the fake "server" is (named in error texts)."""
        return "fake://in-memory"

    @property
    def turn_timeout(self) -> float | None:
        """Seconds a whole turn may take (None: no limit)."""
        return self._turn_timeout

    async def open_session(self, spec: SessionSpec) -> FakeSession:
        """A new session, or a known one resumed (forked with ``fork_session``)."""
        handle = spec.model_handle or spec.model or self.model
        if spec.resume or spec.continue_conversation:
            known = [s for s in self.sessions if s.session_id == spec.resume or not spec.resume]
            if spec.resume and not known:
                raise SessionNotFoundError(
                    f"no session {spec.resume!r} in this FakeBackend", looked_up=spec.resume
                )
            if known:
                previous = known[-1]
                session_id = (
                    (spec.session_id or str(uuid.uuid4())) if spec.fork_session else previous.session_id
                )
                session = FakeSession(session_id, previous.model_handle, resumed=True, spec=spec)
                self.sessions.append(session)
                return session
        session = FakeSession(spec.session_id or str(uuid.uuid4()), handle, spec=spec)
        self.sessions.append(session)
        return session

    async def run(
        self,
        session: FakeSession,
        request: list[RequestItem],
        *,
        client_tools: list[dict[str, Any]],
        stream_tokens: bool = False,
        deadline: float | None = None,
    ) -> AsyncIterator[Event]:
        """Record the request and play the next scripted run."""
        self.requests.append(list(request))
        self.client_tools.append(list(client_tools))
        if not self._runs:
            raise RuntimeError(
                f"FakeBackend has no scripted run left for request {len(self.requests)} "
                f"(it played {self._played}); add one with FakeBackend(...) or .add(...)"
            )
        script = self._runs.pop(0)
        self._played += 1
        events = script.events(self._played) if isinstance(script, FakeRun) else script
        for event in events:
            yield event
            await checkpoint()
        if isinstance(script, FakeRun) and script.hold:
            release = self._release[session.session_id] = anyio.Event()
            self._hold_event().set()
            await release.wait()

    def turn_lease(self, session: FakeSession) -> AbstractAsyncContextManager[None]:
        """One turn at a time per session."""

        @asynccontextmanager
        async def lease() -> AsyncIterator[None]:
            lock = self._locks.setdefault(session.session_id, anyio.Lock())
            async with lock:
                yield

        return lease()

    async def settle(self, session: FakeSession, run_id: str) -> None:
        """Nothing to wait for: a fake run is over when cancelled."""

    async def cancel(self, session: FakeSession) -> None:
        """Count the cancel and end the session's held run, if any (the turn ends as interrupted)."""
        self.cancels += 1
        release = self._release.pop(session.session_id, None)
        if release is not None:
            self._held = None
            release.set()

    async def set_model(
        self, session: FakeSession, model: str | None, handle: str | None, *, cli_model: str | None = None
    ) -> None:
        """Switch the session's model: the handle, else the model name, else the backend's model."""
        session.model_handle = handle or model or self.model
        self.models.append(session.model_handle)

    def journal_start(self, session: FakeSession, tool_call_id: str, tool_name: str) -> None:
        """Note that a tool call started."""
        self.journal[tool_call_id] = "started"

    def journal_done(
        self, session: FakeSession, tool_call_id: str, tool_name: str, content: str, is_error: bool
    ) -> None:
        """Note that a tool call finished."""
        self.journal[tool_call_id] = "done"

    def turn_timed_out(self, session: FakeSession, doing: str) -> LettaTimeoutError:
        """The error a real backend raises when a turn runs out of time."""
        return LettaTimeoutError(
            f"the turn did not finish within {self._turn_timeout} s (turn timeout): "
            f"{doing} was still running",
            base_url=self.base_url,
            wait="turn",
            seconds=self._turn_timeout,
            setting="letta_turn_timeout",
        )

    async def aclose(self) -> None:
        """Count the close (the backend stays usable: sessions opened later reuse it)."""
        self.closes += 1
