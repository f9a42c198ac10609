"""LettaBackend: the :class:`claude_compat._backend.Backend` protocol served by a Letta server.

``claude_compat`` never imports ``letta_client``; its engine holds a Backend and reads the neutral
events of :mod:`claude_compat._backend`, which :mod:`letta_backend.translate` makes from Letta's.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import anyio
import letta_client
import sniffio

from claude_compat._backend import ClaudeHistory, Event, RequestItem, SessionSpec, StreamFailure, ToolReturn
from claude_compat.errors import LettaTimeoutError, SessionBusyError, SessionNotFoundError, UnknownModelError

from . import agents, claude_import, conversations, leases, mapping
from .client import Connection, check_health, make_client, map_error, resolve_connection
from .forking import fork_conversation, fork_record
from .letta_registry import open_registry, registry_kind
from .registry import (
    JournalEntry,
    LocalSessionRegistry,
    Registry,
    SessionRecord,
    SessionRegistry,
    default_registry,
)
from .text import well_formed
from .timeouts import Stalled, Timeouts, next_wait, stall_error
from .translate import RunTranslator

_healthy: set[str] = set()
_model_handles: dict[str, list[str]] = {}  # base URL → model handles (one list request per process)


#: Requests in flight per Letta server and event loop (CLAUDE_COMPAT_MAX_CONCURRENCY, default 8):
#: a 2-core local server answered 500 sessions at once with 471 failures, 8 at a time with none.
_limiters: dict[tuple[str, str], anyio.CapacityLimiter] = {}


def request_slot(base_url: str) -> anyio.CapacityLimiter:
    """The limiter that admits this process's requests to one Letta server."""
    key = (base_url, sniffio.current_async_library())
    limiter = _limiters.get(key)
    if limiter is None:
        limit = int(os.environ.get("CLAUDE_COMPAT_MAX_CONCURRENCY", "8") or 8)
        limiter = _limiters[key] = anyio.CapacityLimiter(max(limit, 1))
    return limiter


def conversation_key(session: LettaSession) -> str:
    """The key of a session's conversation in leases and the tool journal (``default`` is per agent)."""
    if session.conversation_id == "default":
        return f"{session.agent_id}/default"
    return session.conversation_id


@dataclass
class LettaSession:
    """A live session (a :class:`claude_compat._backend.BackendSession`): the Claude id and the Letta
    conversation behind it."""

    session_id: str
    agent_id: str
    conversation_id: str
    model_handle: str
    resumed: bool = False
    close_stream: Callable[[], Awaitable[None]] | None = field(default=None, repr=False, compare=False)
    #: What opened it: a model switch asks the new model for what the program's options ask.
    spec: SessionSpec | None = field(default=None, repr=False, compare=False)

    def _on_open(self, closer: Callable[[], Awaitable[None]] | None) -> None:
        self.close_stream = closer


class LettaBackend:
    """A connection to one Letta server plus the session registry (local SQLite or on the server)."""

    def __init__(self, conn: Connection, registry: Registry, sessions: SessionRegistry | None = None) -> None:
        self.conn = conn
        self.client = make_client(conn)
        self.registry = registry
        self.sessions: SessionRegistry = sessions or LocalSessionRegistry(registry)
        self._handles: list[str] | None = None

    @classmethod
    async def connect(
        cls,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        registry: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> LettaBackend:
        """Resolve the server (option, env, embedded), check it answers, open the registry.

        ``registry`` is ``"local"`` or ``"letta"`` (default: ``CLAUDE_COMPAT_REGISTRY``, else local);
        ``timeouts`` default to the environment's (see :mod:`letta_backend.timeouts`).
        """
        kind = registry_kind(registry)
        conn = await resolve_connection(base_url, api_key, timeouts)
        backend = cls(conn, default_registry())
        if kind != "local":
            backend.sessions = open_registry(
                kind, client=backend.client, base_url=conn.base_url, local=backend.registry
            )
        if conn.base_url not in _healthy:
            await check_health(backend.client, conn)
            _healthy.add(conn.base_url)
        return backend

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.client.close()

    @property
    def base_url(self) -> str:
        """The Letta server's URL."""
        return self.conn.base_url

    @property
    def turn_timeout(self) -> float | None:
        """Seconds a whole turn may take (``letta_turn_timeout``; None: no limit)."""
        return self.conn.timeouts.turn

    def turn_timed_out(self, session: LettaSession, doing: str) -> LettaTimeoutError:
        """The LettaTimeoutError of a turn that ran out of time while ``doing`` was running."""
        return self._stalled(session, Stalled("turn", doing))

    async def model_handles(self, *, refresh: bool = False) -> list[str]:
        """The LLM handles the server serves (cached per server for the process)."""
        cached = _model_handles.get(self.conn.base_url)
        if cached is None or refresh:
            try:
                cached = _model_handles[self.conn.base_url] = await agents.list_model_handles(self.client)
            except Exception as exc:
                raise map_error(exc, self.conn) from None
        self._handles = cached
        return cached

    async def resolve_model(self, model: str | None, handle: str | None) -> str:
        """The Letta handle for this session (see mapping.MODEL_PRECEDENCE)."""
        env = os.environ.get("CLAUDE_COMPAT_MODEL") or None
        try:
            return agents.choose_model(await self.model_handles(), model=model, handle=handle, env=env)
        except UnknownModelError:  # the server may have learned models since we cached its list
            return agents.choose_model(
                await self.model_handles(refresh=True), model=model, handle=handle, env=env
            )

    async def open_session(self, spec: SessionSpec) -> LettaSession:
        """Create a new session, or resume/continue/fork the one the spec names."""
        try:
            if spec.resume or spec.continue_conversation:
                session = await self._resume(spec)
            else:
                session = await self._create(spec)
            session.spec = spec
            return session
        except (SessionNotFoundError, letta_client.NotFoundError) as exc:
            if isinstance(exc, SessionNotFoundError):
                raise
            raise SessionNotFoundError(
                f"the Letta server at {self.conn.base_url} has no such agent or conversation: {exc}",
                looked_up=spec.resume,
            ) from None
        except Exception as exc:
            raise map_error(exc, self.conn) from None

    def _agent_spec(self, spec: SessionSpec, handle: str) -> agents.AgentSpec:
        sampling = mapping.letta_sampling(
            handle,
            mapping.cli_sampling(
                handle,
                thinking=spec.thinking,
                effort=spec.effort,
                max_thinking_tokens=spec.max_thinking_tokens,
                max_output_tokens=spec.max_output_tokens,
                cli_model=spec.cli_model,
            ),
        )
        return agents.AgentSpec(
            system=well_formed(spec.system_prompt),
            model_handle=handle,
            embedding_handle=spec.embedding_handle,
            memory_blocks=well_formed(spec.memory_blocks),
            model_settings={**sampling.model_settings, **spec.model_settings},
            enable_reasoner=sampling.enable_reasoner,
            name=spec.agent_name,
            routed_tools=spec.routed_tools,
        )

    async def _create(self, spec: SessionSpec) -> LettaSession:
        handle = await self.resolve_model(spec.model, spec.model_handle)
        agent_spec = self._agent_spec(spec, handle)
        session_id = spec.session_id or str(uuid.uuid4())
        owns_agent = False
        isolate: Sequence[str] = ()
        if spec.agent_id:
            agent_id = spec.agent_id
        elif spec.agent_name:
            agent_id = await self._agent_by_name(agent_spec)
        elif agents.agent_scope() == "session":
            agent_id = await agents.create_agent(self.client, agent_spec, tags=[f"cc-session:{session_id}"])
            owns_agent = True
        else:
            agent_id = await self._shared_agent(agent_spec)
            isolate = agent_spec.block_labels()
        try:
            conversation_id = await conversations.create(self.client, agent_id, isolated_block_labels=isolate)
        except letta_client.NotFoundError:
            if spec.agent_id or spec.agent_name:
                raise SessionNotFoundError(
                    f"no Letta agent {agent_id} on {self.conn.base_url}", looked_up=agent_id
                ) from None
            # the shared agent was deleted on the server: make a new one
            await self.sessions.set_shared_agent(self.conn.base_url, agent_spec.config_key(), None)
            agent_id = await self._shared_agent(agent_spec)
            conversation_id = await conversations.create(self.client, agent_id, isolated_block_labels=isolate)
        parent, subagent = spec.subagent_of or (None, None)
        record = await self.sessions.put(
            SessionRecord(
                session_id=session_id,
                server_url=self.conn.base_url,
                agent_id=agent_id,
                conversation_id=conversation_id,
                cwd=spec.cwd,
                model=handle,
                first_prompt=spec.first_prompt,
                owns_agent=owns_agent,
                parent_session_id=parent,
                subagent_id=subagent,
            )
        )
        return LettaSession(record.session_id, agent_id, conversation_id, handle)

    async def _shared_agent(self, spec: agents.AgentSpec) -> str:
        key = spec.config_key()
        # one creator per configuration in this process: sessions opened at once share the agent
        async with leases.local_gate(f"shared-agent:{self.conn.base_url}:{key}"):
            agent_id = await self.sessions.shared_agent(self.conn.base_url, key)
            if agent_id is None:
                agent_id = await agents.create_agent(self.client, spec, tags=[f"cc-config:{key}"])
                await self.sessions.set_shared_agent(self.conn.base_url, key, agent_id)
        return agent_id

    async def _agent_by_name(self, spec: agents.AgentSpec) -> str:
        page = await self.client.agents.list(name=spec.name, tags=["claude-compat"], limit=1)
        if page.items:
            return page.items[0].id
        return await agents.create_agent(self.client, spec, tags=[])

    async def _resume(self, spec: SessionSpec) -> LettaSession:
        record = await self._lookup(spec)
        if record is None:  # as the Claude CLI: nothing to continue in this cwd starts a new session
            return await self._create(spec)
        if spec.resume_session_at or spec.fork_session:
            fork_point = spec.resume_session_at or None
            new_conv = await fork_conversation(self.client, record, fork_point)
            if not spec.fork_session:  # the same session goes on from that message (as Claude branches)
                await self.sessions.touch(record.session_id, conversation_id=new_conv, fork_point=fork_point)
                handle = record.model or await self.resolve_model(spec.model, spec.model_handle)
                return LettaSession(record.session_id, record.agent_id, new_conv, handle, resumed=True)
            forked = await self.sessions.put(
                dataclasses.replace(  # a fork subagent's session is listed as the parent's subagent
                    fork_record(
                        record, new_conv, session_id=spec.session_id, cwd=spec.cwd, fork_point=fork_point
                    ),
                    subagent_id=(spec.subagent_of or (None, None))[1],
                )
            )
            return LettaSession(
                forked.session_id, forked.agent_id, new_conv, forked.model or "", resumed=True
            )
        if record.conversation_id != "default":
            await self.client.conversations.retrieve(record.conversation_id)  # 404 → not found
        await self.sessions.touch(record.session_id)
        session = LettaSession(
            record.session_id, record.agent_id, record.conversation_id, record.model or "", resumed=True
        )
        session.spec = spec
        if not await self._still_served(record.model):
            # The model it used is gone (a provider key was removed, the demo model renamed):
            # go on with the one this program would choose now, as a new session would.
            await self.set_model(session, spec.model, spec.model_handle)
        return session

    async def _still_served(self, handle: str | None) -> bool:
        """True when the server still serves ``handle`` (the cached list is refreshed once)."""
        if not handle:
            return False
        return handle in await self.model_handles() or handle in await self.model_handles(refresh=True)

    async def import_claude(self, spec: SessionSpec, history: ClaudeHistory) -> SessionRecord:
        """The record of a Claude session, importing its history into Letta on first use.

        The one import path: ``resume=``/``continue_conversation=`` of a session claude-compat does
        not know, and ``claude-compat sessions import``, which imports many ahead of time.
        """
        handle = await self.resolve_model(spec.model, spec.model_handle)
        agent_spec = self._agent_spec(spec, handle)
        return await claude_import.import_history(
            self.client,
            self.sessions,
            history,
            server_url=self.conn.base_url,
            create_template=lambda tags: agents.create_agent(self.client, agent_spec, tags=tags),
            model_handle=handle,
            cwd=spec.cwd,
        )

    async def _lookup(self, spec: SessionSpec) -> SessionRecord | None:
        """The session ``spec`` resumes or continues; None when there is nothing to continue."""
        if spec.continue_conversation and not spec.resume:
            record = await self.sessions.latest(spec.cwd)
            if spec.claude_sessions is not None:
                newest = await spec.claude_sessions(None, spec.cwd)
                if newest is not None and (record is None or newest.modified_ms > record.updated_at * 1000):
                    record = await self.sessions.get(newest.session_id) or await self.import_claude(
                        spec, newest
                    )
            return record
        key = spec.resume or ""
        record = await self.sessions.get(key)
        if record is None and key.startswith("conv-"):
            record = await self.sessions.by_conversation(key) or SessionRecord(
                session_id=str(uuid.uuid4()),
                server_url=self.conn.base_url,
                agent_id="",
                conversation_id=key,
            )
            if not record.agent_id:  # its agent id is filled on first use (run() retrieves it)
                return await self.sessions.put(record)
        if record is None and key.startswith("agent-"):
            existing = await self.sessions.by_conversation("default", key)
            if existing is not None:
                return existing
            record = SessionRecord(
                session_id=str(uuid.uuid4()),
                server_url=self.conn.base_url,
                agent_id=key,
                conversation_id="default",
            )
            return await self.sessions.put(record)
        if record is None and spec.claude_sessions is not None and key:
            history = await spec.claude_sessions(key, spec.cwd)
            if history is not None:
                return await self.import_claude(spec, history)
        if record is None:
            raise SessionNotFoundError(
                f"no session {key!r}: not in the registry at {self.sessions.where}, not a Claude "
                "transcript under $CLAUDE_CONFIG_DIR/projects or in session_store=, and not a Letta "
                "conversation (conv-…) or agent (agent-…) id",
                looked_up=key,
            )
        return record

    async def run(
        self,
        session: LettaSession,
        request: Sequence[RequestItem],
        *,
        client_tools: list[dict[str, Any]],
        stream_tokens: bool = False,
        max_steps: int | None = None,
        deadline: float | None = None,
    ) -> AsyncIterator[Event]:
        """Send one request on the session's conversation and yield translated events.

        The stream's silence is bounded by the idle timeout, the whole call by ``deadline``
        (event-loop time, from :meth:`Timeouts.deadline`): either raises LettaTimeoutError.
        """
        if session.conversation_id != "default" and not session.agent_id:
            try:
                conv = await self.client.conversations.retrieve(session.conversation_id)
            except Exception as exc:
                raise map_error(exc, self.conn) from None
            session.agent_id = conv.agent_id
            await self.sessions.touch(session.session_id, agent_id=conv.agent_id)
        messages = conversations.letta_messages(request)
        translator = RunTranslator()
        # borrowed by a token, not the task: an abandoned stream may be closed from another task
        limiter, token = request_slot(self.conn.base_url), object()
        with anyio.move_on_after(next_wait(None, deadline)[0]) as admitted:
            await limiter.acquire_on_behalf_of(token)
        if admitted.cancelled_caught:
            raise self._stalled(
                session, Stalled("turn", f"waiting for one of the {limiter.total_tokens:g} request slots")
            )
        try:
            async for event in self._run_once(
                session, messages, translator, client_tools, stream_tokens, max_steps, deadline
            ):
                yield event
        finally:
            limiter.release_on_behalf_of(token)

    def _stalled(self, session: LettaSession, stall: Stalled) -> LettaTimeoutError:
        """The LettaTimeoutError of a wait that ran out on this session."""
        return stall_error(
            stall.wait,
            self.conn.timeouts.seconds(stall.wait),
            base_url=self.conn.base_url,
            conversation_id=session.conversation_id,
            doing=stall.doing,
        )

    async def _cancel_stalled_run(self, session: LettaSession) -> None:
        """Ask the server to stop a run we gave up on; best effort, a few seconds at most."""
        with anyio.move_on_after(5.0, shield=True):
            try:
                await conversations.cancel(self.client, session.conversation_id, agent_id=session.agent_id)
            except Exception:  # the server is not answering: the timeout error says so already
                pass

    async def _run_once(
        self,
        session: LettaSession,
        messages: list[dict[str, Any]],
        translator: RunTranslator,
        client_tools: list[dict[str, Any]],
        stream_tokens: bool,
        max_steps: int | None,
        deadline: float | None,
    ) -> AsyncIterator[Event]:
        answered = _answered_calls(messages)
        for attempt in range(2):
            try:
                async for raw in conversations.send(
                    self.client,
                    session.conversation_id,
                    agent_id=session.agent_id,
                    messages=messages,
                    client_tools=client_tools,
                    stream_tokens=stream_tokens,
                    max_steps=max_steps,
                    on_open=session._on_open,
                    idle_timeout=self.conn.timeouts.idle,
                    deadline=deadline,
                ):
                    for event in translator.feed(raw):
                        yield event
                # the server has the results: the journal need not keep them (it is only read for
                # calls the server still lists as pending, so an entry left by a crash is harmless)
                self.registry.journal_forget(conversation_key(session), answered)
                return
            except Stalled as stall:
                await self._cancel_stalled_run(session)
                raise self._stalled(session, stall) from None
            except letta_client.APIStatusError as exc:
                failure = _in_stream_failure(exc)
                if failure is None:
                    raise map_error(exc, self.conn) from None
                if failure.is_conflict and attempt == 0 and _has_user_message(messages):
                    try:
                        answers = await self.pending_answers(session)
                    except SessionBusyError:
                        raise
                    except Exception as listing:
                        raise map_error(listing, self.conn) from None
                    messages = [*answers, *messages]
                    answered = _answered_calls(messages)
                    translator = RunTranslator()
                    continue
                for event in translator.finish():
                    yield event
                yield failure
                return
            except Exception as exc:
                raise map_error(exc, self.conn) from None

    async def pending_answers(self, session: LettaSession) -> list[dict[str, Any]]:
        """Error results for tool calls a crashed or abandoned turn left pending.

        Letta refuses new messages while a tool call waits; sending these results in the same
        request as the next user message clears it without an extra model call.
        """
        pending = await conversations.pending_tool_calls(
            self.client, session.conversation_id, agent_id=session.agent_id
        )
        if not pending:
            raise SessionBusyError(
                f"session {session.session_id} is busy with another turn — wait for it to finish"
            )
        known = self.registry.journal(conversation_key(session), pending)
        return [conversations.tool_results_message([_reconciled(cid, known.get(cid)) for cid in pending])]

    def turn_lease(self, session: LettaSession) -> AbstractAsyncContextManager[None]:
        """Hold the session's conversation for one turn, against every process sharing the registry.

        Taking over from a holder that died waits first for a run it left going on the server, so
        the new message lands after that run's reply, not in the middle of it.
        """

        async def orphan_runs_done(claim: leases.Claim, deadline: float) -> None:
            while True:
                running = await self._active_runs(session)
                if not running:
                    return
                if anyio.current_time() >= deadline:
                    raise SessionBusyError(
                        f"session {session.session_id} still has run {running[0]} going on the server, "
                        f"started by {claim.holder.describe()} which stopped; retry once it has ended "
                        f"(or cancel it with `client.conversations.cancel`)"
                    )
                await anyio.sleep(0.25)

        return leases.hold(
            self.sessions,
            conversation_key(session),
            session_id=session.session_id,
            on_takeover=orphan_runs_done,
        )

    async def _active_runs(self, session: LettaSession) -> list[str]:
        """Ids of runs still going on the session's conversation."""
        kwargs: dict[str, Any] = {"active": True, "limit": 10}
        if session.conversation_id == "default":
            kwargs["agent_id"] = session.agent_id
        else:
            kwargs["conversation_id"] = session.conversation_id
        try:
            page = await self.client.runs.list(**kwargs)
        except Exception as exc:
            raise map_error(exc, self.conn) from None
        return [
            run.id
            for run in page.items
            if session.conversation_id != "default" or getattr(run, "conversation_id", None) is None
        ]

    def journal_start(self, session: LettaSession, tool_call_id: str, tool_name: str) -> None:
        """Note locally that a tool call is about to run (see :meth:`pending_answers`)."""
        self.registry.journal_start(conversation_key(session), tool_call_id, tool_name)

    def journal_done(
        self, session: LettaSession, tool_call_id: str, tool_name: str, content: str, is_error: bool
    ) -> None:
        """Record locally what a tool call produced, before the server is told."""
        self.registry.journal_done(conversation_key(session), tool_call_id, tool_name, content, is_error)

    async def set_model(
        self, session: LettaSession, model: str | None, handle: str | None, *, cli_model: str | None = None
    ) -> None:
        """Switch the conversation's model (Letta keeps a model per conversation).

        The new model is asked for what the CLI asks it for (its sampling, under the session's
        options), as a new session on it would be; Letta would otherwise use its own defaults.
        ``cli_model``: the Claude model the program switched to, on a handle configured apart from it
        (see ``SessionSpec.cli_model``).
        """
        new = await self.resolve_model(model, handle)
        spec = dataclasses.replace(session.spec or SessionSpec(), cli_model=cli_model)
        settings = {**mapping.base_model_settings(new), **self._agent_spec(spec, new).model_settings}
        try:
            if session.conversation_id == "default":
                await self.client.agents.update(session.agent_id, model=new, model_settings=settings)  # type: ignore[arg-type]
            else:
                await self.client.conversations.update(
                    session.conversation_id,
                    model=new,
                    model_settings=settings,  # type: ignore[arg-type]
                )
        except Exception as exc:
            raise map_error(exc, self.conn) from None
        session.model_handle = new
        await self.sessions.touch(session.session_id, model=new)

    async def settle(self, session: LettaSession, run_id: str, *, timeout: float = 120.0) -> None:
        """Wait until a cancelled run's messages are stored, so the next turn sees them in order.

        Letta marks a run cancelled at once but finishes its model call and stores the exchange
        later; a message sent before that would land before the interrupted one in the history.
        """
        kwargs: dict[str, Any] = {"order": "desc", "limit": 10}
        if session.conversation_id == "default":
            kwargs["agent_id"] = session.agent_id
        with anyio.move_on_after(timeout):
            while True:
                try:
                    page = await self.client.conversations.messages.list(session.conversation_id, **kwargs)
                except Exception as exc:
                    raise map_error(exc, self.conn) from None
                if any(getattr(m, "run_id", None) == run_id for m in page.items):
                    return
                await anyio.sleep(0.25)

    async def cancel(self, session: LettaSession) -> None:
        """Cancel the session's running Letta run and stop reading its stream at once.

        Letta finishes the model call in flight (and stores its reply); the turn ends now.
        """
        try:
            await conversations.cancel(self.client, session.conversation_id, agent_id=session.agent_id)
        except Exception as exc:
            raise map_error(exc, self.conn) from None
        finally:
            closer = session.close_stream
            if closer is not None:
                await closer()


#: The result a pending call gets when this machine's journal has nothing, or only its start.
NEVER_RAN = "Error: the turn ended before this tool ran"
OUTCOME_UNKNOWN = (
    "Error: the turn was interrupted while this tool was running; it may have taken effect "
    "in part or in full — check before running it again"
)


def _reconciled(tool_call_id: str, entry: JournalEntry | None) -> ToolReturn:
    """The stored result of a call a crashed turn left pending: what this machine saw happen."""
    if entry is not None and entry.state == "done":
        return ToolReturn(tool_call_id, entry.content or "", entry.is_error)
    text = OUTCOME_UNKNOWN if entry is not None else NEVER_RAN
    return ToolReturn(tool_call_id, text, is_error=True)


def _answered_calls(messages: list[dict[str, Any]]) -> list[str]:
    """Tool call ids a request answers (its tool returns and approvals)."""
    ids: list[str] = []
    for m in messages:
        for item in (*m.get("tool_returns", ()), *m.get("approvals", ())):
            if isinstance(item, dict) and item.get("tool_call_id"):
                ids.append(str(item["tool_call_id"]))
    return ids


def _has_user_message(messages: list[dict[str, Any]]) -> bool:
    return any(m.get("role") == "user" for m in messages)


def _in_stream_failure(exc: letta_client.APIStatusError) -> StreamFailure | None:
    """letta-client raises in-stream error events as APIStatusError with status 200."""
    if exc.status_code != 200:
        return None
    body = exc.body if isinstance(exc.body, dict) else {}
    return StreamFailure(
        str(body.get("error_type") or "internal_error"),
        str(body.get("message") or exc.message),
        str(body.get("detail") or ""),
    )
