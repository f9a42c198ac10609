"""The turn engine: one Claude-style session driven on a backend (a Letta conversation, by default).

A turn sends the user's message, folds the backend's run into Claude messages (one AssistantMessage
per content block), answers client-tool calls locally until the run ends, and closes with a
ResultMessage whose fields follow the Claude SDK (see letta_backend.mapping.STOP_REASONS). The
backend is reached only through the protocol of :mod:`claude_compat._backend`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from letta_backend import mapping
from letta_backend.mapping import stop_mapping
from letta_backend.text import well_formed

from .._backend import (
    Backend,
    BackendSession,
    Block,
    BlockDelta,
    BlockFinished,
    BlockStarted,
    RequestItem,
    RunStarted,
    RunStopped,
    RunUsage,
    SessionSpec,
    StreamFailure,
    ToolAnswered,
    ToolAnswers,
    ToolDenial,
    ToolReturn,
    Usage,
)
from ..errors import ClaudeSDKError, InvalidOptionError, LettaTimeoutError, ResultError, UnknownModelError
from ..types import (
    AssistantMessage,
    ClaudeAgentOptions,
    ContentBlock,
    ContextUsageResponse,
    ConversationResetMessage,
    McpStatusResponse,
    Message,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TaskNotificationMessage,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from . import backends, cli_facts, cli_request, prices, setting_sources, structured, subagents, unoffered
from . import options as _options
from .environment import TokensLeft
from .mirror import TranscriptMirror
from .permission_modes import PERMISSION_MODES
from .prompts import BLANK_PROMPT, is_blank, prompt_content
from .tool_types import ToolCall, ToolHost, ToolOutcome

try:
    from importlib.metadata import version as _dist_version

    _version = _dist_version("claude-compat")
except Exception:  # running from a source tree without metadata
    _version = "0.0.0"


@dataclass
class RunResult:
    """What one Letta run produced."""

    blocks: list[Block] = field(default_factory=list)
    reason: str = ""
    failure: StreamFailure | None = None
    usage: Usage = field(default_factory=Usage)


@dataclass
class TurnState:
    """Counters of one turn, and when it must end (event-loop time; None: no turn limit)."""

    deadline: float | None = None
    started: float = field(default_factory=time.monotonic)
    api_seconds: float = 0.0
    num_turns: int = 0
    parallel_calls: int = 0  # tool calls beyond the first of one model reply: the CLI counts each a turn
    usage: Usage = field(default_factory=Usage)
    last_text: str | None = None
    permission_denials: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0  # failed model calls tried again in a row (api_retry)
    structured: structured.StructuredTurn | None = None  # with output_format: the StructuredOutput calls


class Engine:
    """One session: its backend connection, Letta conversation, tools and cumulative cost."""

    def __init__(
        self,
        options: ClaudeAgentOptions,
        tools: ToolHost | None = None,
        *,
        subagent_of: tuple[str, str] | None = None,
    ) -> None:
        _options.check_options(options)  # bad options fail before anything connects
        settings = setting_sources.read_settings(
            _options.cwd_of(options), options.setting_sources, options.settings
        )
        self.options = options = setting_sources.with_settings(options, settings)
        self._output_style = settings.output_style or "default"
        self._subagent_of = subagent_of
        self._hook_errors: list[str] = []  # a UserPromptSubmit hook's invalid output ends the turn
        if tools is None:
            from .toolhost import ClaudeToolHost

            tools = ClaudeToolHost(options, cwd=_options.cwd_of(options), ask_rules=settings.ask)
        self.tools = tools
        self.backend: Backend[Any] | None = None
        self.session: BackendSession | None = None
        self.total_cost_usd = 0.0
        self._prices = prices.PriceBook.from_env({**os.environ, **options.env})  # bad prices fail here
        self.model_usage: dict[str, dict[str, Any]] = {}
        self._deferred: list[RequestItem] = []
        self._tells: list[str] = []  # ended background tasks' notifications the model has not read yet
        self._told_run: str | None = None  # the run of the last of them
        self._notices: list[Message] = []  # what a control call shows, yielded first in the next turn
        self._interrupted = False
        self._model_choice: str | None = None  # set_model's name; the CLI's words for a 404 use it
        self._interrupt_next = False  # interrupt() came before the next turn started (see interrupt_next)
        self._last_context_tokens = 0
        self._tokens_left = TokensLeft()  # the CLI's <total_tokens> countdown, for the models it sends one
        self._forked = False  # a fork of the parent's conversation, not prompted yet (see start_forked)
        self._session_started = False
        self._current_run: str | None = None
        self._cancelled_run: str | None = None
        self._told_environment: tuple[str, tuple[str, ...], str, str] | None = None
        self._user_uuids: list[str] = []  # the running turn's user messages, as stamped
        self._origin: dict[str, Any] | None = None  # the running turn's ResultMessage.origin
        self._mirror_to: TranscriptMirror | None = None  # the session_store mirror, made on first use

    async def open(self, first_prompt: str | None = None) -> None:
        """Connect to the backend (Letta, see backends.connect) and create or resume the session."""
        spec = await self._session_spec(self.options, well_formed(first_prompt))
        routed = await self.tools.routed()  # a call to a deferred MCP tool must reach the tool host
        spec = dataclasses.replace(spec, routed_tools=(*spec.routed_tools, *routed))
        self.backend = await backends.connect(self.options)
        self.session = await self.backend.open_session(spec)
        backend, session = self.backend, self.session
        self.tools.on_start = lambda call: backend.journal_start(session, call.id, call.name)
        await self.tools.open(self.session.session_id, self.session.model_handle)

    def start_forked(self, call_id: str, answer: str) -> None:
        """This session is a copy of its parent's, taken while the parent's ``call_id`` waits for its
        result (the CLI's fork): the first prompt goes with ``answer`` to that call, without the
        environment reminders (the copied history has the parent's)."""
        self._deferred = [ToolAnswers((ToolReturn(call_id, answer, False),))]
        self._forked = True

    async def _session_spec(self, options: ClaudeAgentOptions, first_prompt: str | None) -> SessionSpec:
        """The backend request for the session, with the CLI's ``claude_code`` preset text if asked for."""
        preset: str | None = None
        if isinstance(options.system_prompt, dict) and options.system_prompt.get("type") == "preset":
            env = {**os.environ, **options.env}
            preset = await cli_request.preset_prompt(env, cli_request.claude_model_of(options.model))
        return _options.session_spec(
            options, first_prompt=first_prompt, subagent_of=self._subagent_of, preset_text=preset
        )

    async def aclose(self) -> None:
        """Release the HTTP connections and what the tools started (SessionEnd first: a no-op, as the CLI)."""
        hooks = self._hooks()
        if hooks is not None and self._session_started:
            await hooks.run("SessionEnd", {"hook_event_name": "SessionEnd", "reason": "other"})
        await self.tools.aclose()
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
            "tools": self.tools.tool_names()
            + ([cli_facts.STRUCTURED_OUTPUT_TOOL] if self.options.output_format else []),
            "mcp_servers": self.tools.mcp_servers_status(),
            "model": self.model,
            "permissionMode": getattr(self.tools, "mode", None) or opts.permission_mode or "default",
            "slash_commands": [],
            "apiKeySource": "none",
            "claude_code_version": f"claude-compat {_version}",
            "output_style": self._output_style,
            "agents": self._agent_names(),
            "skills": [],
            "plugins": [],
            "uuid": str(uuid.uuid4()),
        }
        if opts.add_dirs:
            data["additional_directories"] = [str(d) for d in opts.add_dirs]
        return SystemMessage(subtype="init", data=data)

    def _agent_names(self) -> list[str]:
        """The session's subagent names as the CLI lists them (built-in, agent files, the program's)."""
        return subagents.listed_names(getattr(self.tools, "agents", None) or {})

    def set_permission_mode(self, mode: str) -> None:
        """Change the permission mode (Claude or Letta vocabulary)."""
        if mode not in PERMISSION_MODES:
            raise InvalidOptionError(
                f"unknown permission mode {mode!r}; use one of {sorted(PERMISSION_MODES)}"
            )
        self.options.permission_mode = mode  # type: ignore[assignment]
        self.tools.set_permission_mode(mode)
        self._notices.append(self._system("status", status=None, permissionMode=mode))  # as the CLI

    async def set_model(self, model: str | None) -> None:
        """Switch the conversation's model (None: the CLI's default model, or the session's default)."""
        assert self.backend is not None and self.session is not None, "Engine.open() first"
        handle = None if model else self.options.letta_model_handle
        asked = model or await cli_request.cli_default_model({**os.environ, **self.options.env})
        try:
            await self.backend.set_model(self.session, asked, handle)
        except UnknownModelError:
            if model or asked is None:
                raise
            asked = None  # no Letta handle serves the CLI's default model
            await self.backend.set_model(self.session, None, handle)
        self._model_choice = asked
        said = cli_facts.SET_MODEL_ECHO.format(model=asked or self.model)
        self._notices.append(UserMessage(content=said, uuid=str(uuid.uuid4())))  # as the CLI

    def mcp_status(self) -> McpStatusResponse:
        """The session's MCP servers and their state."""
        servers: list[Any] = self.tools.mcp_servers_status()
        return {"mcpServers": servers}

    def server_info(self, commands: list[dict[str, Any]]) -> dict[str, Any]:
        """What the session offers, shaped like the Claude CLI's initialize answer."""
        return {
            "commands": commands,
            "agents": [{"name": n} for n in self._agent_names()],
            "output_style": "default",
            "available_output_styles": list(cli_facts.OUTPUT_STYLES),
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
        self._cancelled_run = self._current_run
        if self.backend is not None and self.session is not None:
            await self.backend.cancel(self.session)

    def interrupt_next(self) -> None:
        """interrupt() with the next prompt waiting: the CLI would be answering it already, so that
        turn ends as interrupted before its model call (its prompt goes to the model with the next)."""
        self._interrupt_next = True

    def _interrupted_end(self, state: TurnState) -> list[Message]:
        """The CLI's end of a turn whose model call the program interrupted: its notice, the result."""
        notice = UserMessage(content=[TextBlock(text=cli_facts.INTERRUPTED_BY_USER)], uuid=str(uuid.uuid4()))
        state.num_turns += 1  # the CLI counts the notice as a turn
        result = self._result("cancelled", None, state)
        return [notice, dataclasses.replace(result, errors=[cli_facts.INTERRUPTED_DIAGNOSTIC])]

    async def turn(
        self,
        content: str | list[dict[str, Any]],
        *,
        user_uuids: Sequence[str] = (),
        origin: dict[str, Any] | None = None,
        last: bool = False,
    ) -> AsyncIterator[Message]:
        """Run one user turn and yield its messages, ending with the ResultMessage.

        ``user_uuids`` are the uuids the turn's user messages were stamped with and ``origin`` the
        result's origin (see prompts.turn_prompt): the CLI echoes both on the turn's messages.
        With ``session_store=`` the turn is mirrored to the store as it goes ("eager") or at its end.
        ``last``: no prompt follows (a one-shot query); background tasks' notifications then start
        turns of their own here, the first result held until theirs, as the CLI does once its input
        has ended (else see `notification_prompt`).
        """
        if isinstance(content, str) and content.strip() == cli_facts.CLEAR_COMMAND:
            async for message in self._clear():
                yield message
            return
        mirror = self._mirror()
        eager = self.options.session_store_flush == "eager"
        turns = self._turn_and_notifications(content, user_uuids=user_uuids, origin=origin, hold=last)
        async for message in turns:
            if mirror is not None:
                await mirror.add(message)
                notice = await mirror.flush() if eager else None
                if notice is not None:
                    yield notice
            yield message
        if mirror is not None:
            notice = await mirror.flush(end_of_turn=True)
            if notice is not None:
                yield notice

    def notification_prompt(self) -> tuple[str, dict[str, Any]] | None:
        """The prompt and result origin of the turn the CLI starts with the notifications of
        background tasks that ended after the model's last request (None: none); taken once."""
        if not self._tells:
            return None
        content, self._tells = "\n\n".join(self._tells), []
        return content, {**cli_facts.NOTIFICATION_TURN_ORIGIN, "runId": self._told_run}

    async def _turn_and_notifications(
        self,
        content: str | list[dict[str, Any]],
        *,
        user_uuids: Sequence[str],
        origin: dict[str, Any] | None,
        hold: bool,
    ) -> AsyncIterator[Message]:
        """The turn; with ``hold``, then the notification turns, the first result waiting for theirs."""
        held: list[Message] = []
        while True:
            async for message in self._turn(content, user_uuids=user_uuids, origin=origin):
                if hold and isinstance(message, ResultMessage) and self._tells and not self._interrupted:
                    held.append(message)
                    continue
                if isinstance(message, ResultMessage):
                    for result in held:
                        yield result
                    held = []
                yield message
            pending = self.notification_prompt() if held else None
            if pending is None:
                return
            (content, origin), user_uuids = pending, ()

    async def _clear(self) -> AsyncIterator[Message]:
        """``/clear`` as the CLI runs it: the conversation is replaced by a new session (no model call)."""
        assert self.backend is not None and self.session is not None, "Engine.open() first"
        started = time.monotonic()
        async with self.backend.turn_lease(self.session):
            reset_id = str(uuid.uuid4())
            yield ConversationResetMessage(
                new_conversation_id=reset_id, uuid=reset_id, session_id=self.session_id
            )
            yield self._system("background_tasks_changed", tasks=[])
        fresh = dataclasses.replace(
            self.options, resume=None, continue_conversation=False, fork_session=False, session_id=None
        )
        self.session = await self.backend.open_session(await self._session_spec(fresh, None))
        backend, session = self.backend, self.session
        self.tools.on_start = lambda call: backend.journal_start(session, call.id, call.name)
        self.tools.rebind(session.session_id)
        self.total_cost_usd, self.model_usage = 0.0, {}
        self._deferred, self._told_environment, self._last_context_tokens = [], None, 0
        self._session_started = False
        self._user_uuids, self._origin = [], None
        yield self.init_message()
        state = TurnState(deadline=_deadline(self.backend.turn_timeout), started=started)
        yield self._result("conversation_cleared", None, state, "")

    async def _turn(
        self,
        content: str | list[dict[str, Any]],
        *,
        user_uuids: Sequence[str],
        origin: dict[str, Any] | None,
    ) -> AsyncIterator[Message]:
        """The turn itself (see `turn`)."""
        assert self.backend is not None and self.session is not None, "Engine.open() first"
        self._interrupted = False
        self._user_uuids = list(user_uuids)
        self._origin = origin
        final: list[Message] = []
        async with self.backend.turn_lease(self.session):
            if self._cancelled_run is not None:  # an interrupted run still finishing on the server
                cancelled, self._cancelled_run = self._cancelled_run, None
                await self.backend.settle(self.session, cancelled)
            for notice in self._notices:
                yield notice
            self._notices.clear()
            state = TurnState(deadline=_deadline(self.backend.turn_timeout))
            if self.options.output_format:
                limit = cli_facts.structured_output_retries(self._env())
                state.structured = structured.StructuredTurn(self.options.output_format["schema"], limit)
            blocked: str | None = None
            if is_blank(content):  # as the CLI: a notice and a result, no model call
                yield self.init_message()
                yield self._informational(BLANK_PROMPT, level="warning")
                blocked = BLANK_PROMPT
                final.append(self._result("blank_prompt", None, state, blocked))
            else:
                self._hook_errors = []
                content, blocked = await self._prompt_hooks(prompt_content(content))
                if blocked is not None and self._hook_errors:  # as the CLI: the result alone, no init
                    failed = self._result("hook_failed", None, state)
                    final.append(dataclasses.replace(failed, errors=self._hook_errors, num_turns=0))
                else:
                    yield self.init_message()
                if blocked is not None and not self._hook_errors:
                    final.append(self._result("hook_stopped", None, state, blocked))
            if self._mirror_to is not None:  # the prompt as the model gets it (after the prompt hooks)
                await self._mirror_to.begin(content, self._user_uuids[0] if self._user_uuids else None)
            request: list[RequestItem] = []
            if blocked is None:  # answers deferred from an interrupted turn go with the next sent prompt
                sent = await self._with_environment(content)  # the program's prompt stays as it was
                request = [*self._deferred, {"role": "user", "content": sent}]
                self._deferred = []
            ended = False
            if blocked is None and self._interrupt_next:  # interrupted before its model call
                self._interrupt_next, self._interrupted, ended = False, True, True
                self._deferred = request  # as in the CLI's history, the model reads the prompt later
                state.num_turns += 1  # the model call the CLI had started
                final += self._interrupted_end(state)
            stop_hook_active = False
            while blocked is None and not ended:
                run = RunResult()
                async for message in self._run(request, state, run):
                    yield message
                cut = self._interrupted and run.reason == "cancelled"  # interrupt() during the model call
                retry = self._retry(run, state)
                if retry is not None:  # as the CLI: a notice, a backoff, the same request again
                    yield retry
                    await anyio.sleep(int(retry.data["retry_delay_ms"]) / 1000)
                    continue
                blocks, reason, failure = run.blocks, run.reason, run.failure
                if not self.options.include_partial_messages:
                    for block in blocks:
                        if block.kind == "thinking" and block.text:
                            yield self.thinking_tokens(
                                _estimate_tokens(block.text), _estimate_tokens(block.text)
                            )
                        said = self.assistant_message(block, run.usage)
                        if said is not None:
                            yield said
                        if block.server_return is not None:  # a call the server answered itself
                            yield self._server_answer(block)
                texts = [b.text for b in blocks if b.kind == "text" and b.text]
                if texts:
                    state.last_text = texts[-1]
                if reason == "requires_approval" and failure is None:
                    calls = [b for b in blocks if b.kind == "tool_use" and b.server_return is None]
                    results: list[ToolReturn | ToolDenial] = []
                    hook_stopped = False
                    spent = self._budget_spent()  # as the CLI: a spent budget runs no more tools
                    if spent:
                        results = [ToolDenial(b.tool_call_id, prices.BUDGET_SKIPPED_TOOL) for b in calls]
                    for block in [] if spent else calls:
                        outcome = await self._bounded_tool(block, state)
                        for notice in (*outcome.notices, *outcome.messages):
                            yield notice
                        if outcome.interrupt:
                            self._interrupted = True
                        tool_message = UserMessage(
                            content=[
                                ToolResultBlock(
                                    tool_use_id=block.tool_call_id,
                                    content=outcome.content,
                                    is_error=_result_flag(block.tool_name, outcome.is_error),
                                )
                            ],
                            uuid=str(uuid.uuid4()),
                            tool_use_result=outcome.structured,
                        )
                        yield tool_message
                        for notice in outcome.after:
                            yield notice
                        hook_stopped = hook_stopped or outcome.stop
                        told, self._tells = "".join(f"\n\n{t}" for t in self._tells), []  # as the CLI: after
                        if outcome.background is not None:  # it ended, with the next result or turn
                            async for message in outcome.background.run(outcome.background):
                                if isinstance(message, TaskNotificationMessage):
                                    self._told_run = message.data.get("run_id")
                                yield message
                            self._tells += outcome.background.tells
                        results.append(
                            ToolReturn(
                                block.tool_call_id,
                                _for_model(outcome) + told + self._tokens_left.after_result(),
                                outcome.is_error,
                            )
                        )
                    state.parallel_calls += max(0, len(calls) - 1)
                    answer = ToolAnswers(tuple(results))
                    stop_now = "max_budget" if spent else self._limit_reached(state)
                    if hook_stopped:  # as the CLI: the turn ends on the tool result, no further model call
                        state.num_turns += 1  # the CLI counts the turn it did not start
                        stop_now = "tool_hook_stopped"
                    if state.structured is not None and state.structured.finished:
                        # as the CLI: the turn ends on the tool result, no further model call
                        state.num_turns += structured.TURN_AFTER_RESULT
                        stop_now = "structured_output" if state.structured.accepted else "structured_retries"
                    if self._interrupted or stop_now:
                        self._deferred = [answer]  # delivered with the next user message
                        reason = "cancelled" if self._interrupted else stop_now
                    else:
                        request = [answer]
                        continue
                if reason == "end_turn" and failure is None and state.structured is not None:
                    enforce = state.structured.enforce()
                    if enforce is not None:  # as the CLI: told once to call StructuredOutput
                        notice = UserMessage(content=[TextBlock(text=enforce)], uuid=str(uuid.uuid4()))
                        yield notice
                        request = [{"role": "user", "content": enforce}]
                        continue
                if reason == "end_turn" and failure is None:
                    keep_going = await self._stop_hook(stop_hook_active)
                    if keep_going is not None and state.num_turns < 50:
                        stop_hook_active = True
                        request = [{"role": "user", "content": keep_going}]
                        continue
                if cut and reason == "cancelled":
                    final += self._interrupted_end(state)
                    break
                result = self._result(reason, failure, state)
                if failure is not None and result.is_error and stop_mapping(reason).api_error:
                    final.append(self._api_error_message(failure))
                final.append(result)
                break
        for out in final:  # outside the lock: a caller may stop reading at the result
            yield out

    async def _with_environment(self, content: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
        """The prompt with the environment reminder in front, on a session's first turn and after a change."""
        from .environment import Environment, environment_reminder

        cwd = _options.cwd_of(self.options)
        dirs = tuple(str(d) for d in self.options.add_dirs)
        key = (cwd, dirs, self.model, time.strftime("%Y-%m-%d"))
        if key == self._told_environment:
            return _in_front(self._tokens_left.prompted(), content)
        if self._forked:
            self._forked, self._told_environment = False, key
            return content
        first, self._told_environment = self._told_environment is None, key
        env = await anyio.to_thread.run_sync(
            lambda: Environment.current(cwd, additional_directories=dirs, model=self.model)
        )
        model = cli_request.claude_model_of(self.model)
        cli = await cli_request.cli_reminders({**os.environ, **self.options.env}, model)
        self._tokens_left.budget = cli.tokens_budget if cli is not None else None
        self._tokens_left.prompted()
        # the deferred tools, the agent types and the skills, named once per conversation
        return _in_front(environment_reminder(env, cli, self.tools.reminders(cli) if first else ()), content)

    async def _run(
        self, request: list[RequestItem], state: TurnState, run: RunResult
    ) -> AsyncIterator[Message]:
        """Send one request; fill ``run``; yield StreamEvents and AssistantMessages in partial mode."""
        assert self.backend is not None and self.session is not None
        partial = self.options.include_partial_messages
        stream = _PartialStream(self) if partial else None
        if partial:  # as the CLI: each model request is announced in partial mode
            yield self._system("status", status="requesting")
        steps = 0
        t0 = time.monotonic()
        try:
            async for event in self.backend.run(
                self.session,
                request,
                client_tools=self._client_tools(),
                stream_tokens=partial,
                deadline=state.deadline,
            ):
                if isinstance(event, RunStarted):
                    self._current_run = event.run_id
                elif isinstance(event, BlockFinished):
                    run.blocks.append(event.block)
                elif isinstance(event, RunStopped):
                    run.reason = event.reason
                elif isinstance(event, RunUsage):
                    run.usage = event.usage
                    self._last_context_tokens = event.usage.input_tokens + event.usage.cache_read_input_tokens
                    self._tokens_left.answered(
                        event.usage.input_tokens,
                        event.usage.output_tokens,
                        event.usage.cache_read_input_tokens + event.usage.cache_creation_input_tokens,
                    )
                    steps += event.steps or 1
                elif isinstance(event, StreamFailure):
                    run.failure = event
                if stream is not None:
                    for message in stream.feed(event):
                        yield message
                    if isinstance(event, ToolAnswered):
                        yield self._server_answer(event.block)
        except ClaudeSDKError as exc:
            if isinstance(exc, LettaTimeoutError):  # the run may still finish on the server
                self._cancelled_run = self._current_run
            if not self._interrupted:
                raise
            # interrupt() closed the stream under us: the turn ends as cancelled
        finally:
            state.api_seconds += time.monotonic() - t0
        if self._interrupted and run.reason != "requires_approval":
            run.reason = "cancelled"
        if not run.reason:
            run.reason = "error" if run.failure is not None else "end_turn"
        if run.failure is not None and run.failure.error_type == "llm_error" and run.reason == "error":
            run.reason = "llm_api_error"
        if stream is not None:
            for message in stream.close(run):
                yield message
        state.num_turns += max(steps, 1)
        state.usage = state.usage + run.usage
        self._add_cost(run.usage)

    def _mirror(self) -> TranscriptMirror | None:
        """The session's ``options.session_store`` mirror (None without a store), made on first use."""
        if self.options.session_store is None:
            return None
        if self._mirror_to is None or self._mirror_to.session_id != self.session_id:
            from ..sessions import project_key_for_directory

            cwd = _options.cwd_of(self.options)
            self._mirror_to = TranscriptMirror(
                self.options.session_store,
                project_key_for_directory(cwd),
                self.session_id,
                cwd,
                load_timeout=self.options.load_timeout_ms / 1000,
            )
        return self._mirror_to

    def _hooks(self) -> Any:
        return getattr(self.tools, "hooks", None)

    async def _prompt_hooks(
        self, content: str | list[dict[str, Any]]
    ) -> tuple[str | list[dict[str, Any]], str | None]:
        """SessionStart (first turn; a no-op, as the CLI never calls it) and UserPromptSubmit: extra context,
        or a blocked prompt."""
        hooks = self._hooks()
        if hooks is None:
            return content, None
        context: list[str] = []
        if not self._session_started:
            self._session_started = True
            source = "resume" if self.session is not None and self.session.resumed else "startup"
            started = await hooks.run("SessionStart", {"hook_event_name": "SessionStart", "source": source})
            context += started.additional_context
        text = content if isinstance(content, str) else " ".join(str(p.get("text", "")) for p in content)
        submitted = await hooks.run(
            "UserPromptSubmit", {"hook_event_name": "UserPromptSubmit", "prompt": text}
        )
        if submitted.invalid:  # as the CLI: the turn ends in an error, nothing is sent
            self._hook_errors = [*submitted.errors[-1:], cli_facts.HOOK_WRONG_EVENT_CRASH]
            return content, submitted.errors[-1]
        if submitted.block or submitted.stop:
            return (
                content,
                submitted.block_reason
                or submitted.stop_reason
                or "prompt blocked by a UserPromptSubmit hook",
            )
        context += submitted.additional_context
        if not context:
            return content, None
        note = "\n".join(context)
        if isinstance(content, str):
            return f"{content}\n\n<system-reminder>\n{note}\n</system-reminder>", None
        return [*content, {"type": "text", "text": f"<system-reminder>\n{note}\n</system-reminder>"}], None

    async def _stop_hook(self, active: bool) -> str | None:
        """Run Stop hooks; a block's reason becomes the next user message (the model goes on)."""
        hooks = self._hooks()
        if hooks is None:
            return None
        outcome = await hooks.run("Stop", {"hook_event_name": "Stop", "stop_hook_active": active})
        if outcome.block and not outcome.stop:
            return outcome.block_reason or "Continue."
        return None

    def _client_tools(self) -> list[dict[str, Any]]:
        """The tools offered to the model: the tool host's, and StructuredOutput with output_format."""
        tools = self.tools.client_tools()
        if self.options.output_format:
            tools = [*tools, structured.tool_spec(self.options.output_format)]
        return tools

    def _server_answer(self, block: Block) -> UserMessage:
        """The result of a call the server answered itself; a refused one as the CLI answers it."""
        content, shown = block.server_return or "", block.server_return  # shown: tool_use_result
        shown_any: Any
        if block.refused_by_server:  # the model saw the server's words (see MIGRATING.md)
            offered = [t["name"] for t in self._client_tools()]
            content, shown = unoffered.no_such_tool(block.tool_name, offered)
        elif block.server_error:
            shown = f"Error: {content}"
        shown_any = shown
        return UserMessage(
            content=[
                ToolResultBlock(
                    tool_use_id=block.tool_call_id,
                    content=content,
                    is_error=_result_flag(block.tool_name, block.server_error),
                )
            ],
            uuid=str(uuid.uuid4()),
            tool_use_result=shown_any,
        )

    def _limit_reached(self, state: TurnState) -> str:
        """The stop reason when max_turns or max_budget_usd forbid another model call, else ""."""
        max_turns = self.options.max_turns
        if max_turns is not None and state.num_turns >= max_turns:
            return "max_steps"
        return "max_budget" if self._budget_spent() else ""

    def _budget_spent(self) -> bool:
        """Whether the session's cost has reached max_budget_usd."""
        budget = self.options.max_budget_usd
        return budget is not None and self.total_cost_usd >= budget

    def _informational(self, text: str, *, level: str) -> SystemMessage:
        """The CLI's ``system``/``informational`` notice."""
        return self._system("informational", content=text, level=level)

    def _system(self, subtype: str, **fields: Any) -> SystemMessage:
        """A CLI ``system`` message of this session: its fields, then a new uuid and the session id."""
        data = {"type": "system", "subtype": subtype, **fields}
        return SystemMessage(
            subtype=subtype, data=data | {"uuid": str(uuid.uuid4()), "session_id": self.session_id}
        )

    def _env(self) -> dict[str, str]:
        """The session's environment as the CLI reads it: the process's, with ``options.env`` over it."""
        return {**os.environ, **self.options.env}

    def _user_uuid_fields(self) -> dict[str, Any]:
        """The running turn's user-message uuids as the CLI echoes them on its messages."""
        return {
            "user_message_uuid": self._user_uuids[-1] if self._user_uuids else None,
            "user_message_uuids": list(self._user_uuids) or None,
        }

    def thinking_tokens(self, total: int, delta: int) -> SystemMessage:
        """The CLI's progress notice while the model thinks (one before each thinking block)."""
        return SystemMessage(
            subtype="thinking_tokens",
            data={
                "type": "system",
                "subtype": "thinking_tokens",
                "estimated_tokens": total,
                "estimated_tokens_delta": delta,
                "session_id": self.session_id,
                "uuid": str(uuid.uuid4()),
            },
        )

    def assistant_message(self, block: Block, usage: Usage | None) -> AssistantMessage | None:
        """The AssistantMessage of one finished block (None for an empty text block)."""
        content: ContentBlock
        if block.kind == "text":
            if not block.text:
                return None
            content = TextBlock(text=block.text)
        elif block.kind == "thinking":
            content = ThinkingBlock(thinking=block.text, signature=block.signature or _signature(block.text))
        else:
            parsed, _ = block.tool_input()
            shown = cli_facts.with_input_defaults(block.tool_name, parsed)
            content = ToolUseBlock(id=block.tool_call_id, name=block.tool_name, input=shown)
        return AssistantMessage(
            content=[content],
            model=self.model,
            usage=usage.as_anthropic() if usage is not None else None,
            message_id=block.message_id,
            session_id=self.session_id,
            uuid=str(uuid.uuid4()),
            **self._user_uuid_fields(),
        )

    async def _bounded_tool(self, block: Block, state: TurnState) -> ToolOutcome:
        """Run one tool call within what is left of the turn's time limit."""
        left = math.inf if state.deadline is None else max(state.deadline - anyio.current_time(), 0.0)
        with anyio.move_on_after(left) as scope:
            return await self._run_tool(block, state)
        assert scope.cancelled_caught and self.backend is not None and self.session is not None
        raise self.backend.turn_timed_out(
            self.session, f"the tool call {block.tool_name} ({block.tool_call_id})"
        )

    async def _run_tool(self, block: Block, state: TurnState) -> ToolOutcome:
        parsed, error = block.tool_input()
        if error is not None:
            return ToolOutcome(f"Error: {error}", is_error=True, structured=f"Error: {error}")
        call = ToolCall(
            block.tool_call_id, block.tool_name, cli_facts.with_input_defaults(block.tool_name, parsed)
        )
        if state.structured is not None and call.name == cli_facts.STRUCTURED_OUTPUT_TOOL:
            text, failed = state.structured.answer(call.input)
            outcome = ToolOutcome(text, is_error=failed, structured=f"Error: {text}" if failed else text)
        else:
            outcome = await self.tools.run(call)
        if not outcome.denied and self.backend is not None and self.session is not None:
            # what really happened, kept locally before the server hears it: a turn that dies
            # before sending it is reconciled with it on resume (the backend's journal)
            self.backend.journal_done(self.session, call.id, call.name, _for_model(outcome), outcome.is_error)
        if outcome.denied:
            state.permission_denials.append(
                {
                    "tool_name": call.name,
                    "tool_use_id": call.id,
                    "tool_input": call.input if outcome.denied_input is None else outcome.denied_input,
                }
            )
        return outcome

    def _add_cost(self, usage: Usage) -> None:
        if usage == Usage() and self.model not in self.model_usage:
            return  # no model answered (an API error): Claude lists no model then
        cost = self._prices.cost(self.model, usage)
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
                "thinkingTokens": 0,
                "cacheCreationEphemeral5mInputTokens": 0,
                "cacheCreationEphemeral1hInputTokens": 0,
                "canonicalModel": self.model.rsplit("/", 1)[-1],
                "provider": mapping.provider_type(self.model),
            },
        )
        entry["thinkingTokens"] += usage.reasoning_tokens
        entry["inputTokens"] += usage.input_tokens
        entry["outputTokens"] += usage.output_tokens
        entry["cacheReadInputTokens"] += usage.cache_read_input_tokens
        entry["cacheCreationInputTokens"] += usage.cache_creation_input_tokens
        entry["costUSD"] += cost.usd
        entry["costBasis"] = cost.basis  # the CLI's: the latest request's
        self.total_cost_usd += cost.usd

    def _api_error_text(self, failure: StreamFailure) -> str:
        """The CLI's words for a failed model call; its "gateway" is the Letta server."""
        detail = failure.provider_message or failure.detail or failure.message
        gateway = ""
        if self.backend is not None:
            gateway = str(self.backend.base_url).split("://", 1)[-1].split("/", 1)[0]
        named = self._model_choice or self.options.model or self.model  # the model as the program named it
        return cli_facts.api_error_text(failure.http_status, detail, gateway, named)

    def _retry(self, run: RunResult, state: TurnState) -> SystemMessage | None:
        """An ``api_retry`` notice when the failed model call is one the CLI tries again, else None."""
        failure = run.failure
        if failure is None or run.blocks or self._interrupted:
            state.retries = 0
            return None
        status = failure.http_status
        limit = cli_facts.max_retries(self._env())
        if status is None or not cli_facts.api_error_fact(status).retry or state.retries >= limit:
            return None
        state.retries += 1
        state.num_turns = max(0, state.num_turns - 1)  # the CLI counts the call once, however tried
        return self._retry_notice(failure, state.retries, limit, cli_facts.retry_delay_ms(state.retries))

    def _retry_notice(self, failure: StreamFailure, attempt: int, limit: int, delay_ms: int) -> SystemMessage:
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
            "session_id": self.session_id,
            "uuid": str(uuid.uuid4()),
        }
        return SystemMessage(subtype="api_retry", data=data)

    def _api_error_message(self, failure: StreamFailure) -> AssistantMessage:
        return AssistantMessage(
            content=[TextBlock(text=self._api_error_text(failure))],
            model="<synthetic>",
            error=mapping.assistant_error(failure.error_type, failure.http_status),  # type: ignore[arg-type]
            usage=Usage().as_result_usage(),  # the CLI's synthetic messages carry its own usage shape
            message_id=f"msg_{uuid.uuid4().hex[:24]}",
            stop_reason="stop_sequence",
            session_id=self.session_id,
            uuid=str(uuid.uuid4()),
        )

    def _result(
        self, reason: str, failure: StreamFailure | None, state: TurnState, note: str | None = None
    ) -> ResultMessage:
        stop = stop_mapping(reason)
        if failure is not None and not stop.is_error:
            stop = mapping.UNKNOWN_STOP
        errors: list[str] | None = None
        turns_reported = state.num_turns + state.parallel_calls
        result_text: str | None = None
        api_status: int | None = None
        if stop.api_error and failure is not None:
            result_text = self._api_error_text(failure)
            api_status = failure.http_status or 500
        elif stop.subtype == "error_max_turns":
            errors = [f"Reached maximum number of turns ({self.options.max_turns})"]
            turns_reported += 1  # Claude counts the turn it refused to start
        elif stop.subtype == "error_max_budget_usd":
            errors = [f"Reached maximum budget (${self.options.max_budget_usd})"]
        elif stop.subtype == "error_max_structured_output_retries" and state.structured is not None:
            errors = [state.structured.exhausted_error()]
        elif stop.is_error:
            errors = [failure.message if failure is not None else f"Letta run stopped: {reason}"]
        else:
            result_text = note if note is not None else (state.last_text or "")
        output: Any = None
        if reason == "structured_output" and state.structured is not None:
            output = state.structured.value
            result_text = structured.as_result_text(output)
        return ResultMessage(
            subtype=stop.subtype,
            duration_ms=int((time.monotonic() - state.started) * 1000),
            duration_api_ms=int(state.api_seconds * 1000),
            is_error=stop.is_error,
            num_turns=turns_reported,
            session_id=self.session_id,
            stop_reason=stop.stop_reason,
            total_cost_usd=self.total_cost_usd,
            usage=state.usage.as_result_usage(),
            result=result_text,
            structured_output=output,
            model_usage=dict(self.model_usage),  # type: ignore[arg-type]
            permission_denials=list(state.permission_denials),
            errors=errors,
            api_error_status=api_status,
            uuid=str(uuid.uuid4()),
            terminal_reason=stop.terminal_reason,
            origin=self._origin,  # type: ignore[arg-type]
            **self._user_uuid_fields(),
        )


def _deadline(turn_timeout: float | None) -> float | None:
    """When a turn starting now must end, in the event loop's clock (None: never)."""
    return None if turn_timeout is None else anyio.current_time() + turn_timeout


_BLOCK_START: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "text": ""},
    "thinking": {"type": "thinking", "thinking": "", "signature": ""},
}
_DELTA_KEYS: dict[str, tuple[str, str]] = {
    "text": ("text_delta", "text"),
    "thinking": ("thinking_delta", "thinking"),
    "tool_use": ("input_json_delta", "partial_json"),
}


class _PartialStream:
    """Anthropic-style raw stream events for ``include_partial_messages``, built from Letta token deltas.

    Each block's text arrives once as deltas; its complete AssistantMessage comes before its
    ``content_block_stop``, as the Claude SDK orders them.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.started = False
        self.indexes: dict[int, int] = {}
        self.thinking_total = 0

    def _event(self, event: dict[str, Any]) -> StreamEvent:
        return StreamEvent(uuid=str(uuid.uuid4()), session_id=self.engine.session_id, event=event)

    def _start(self, message_id: str) -> list[Message]:
        if self.started:
            return []
        self.started = True
        return [
            self._event(
                {
                    "type": "message_start",
                    "message": {
                        "id": message_id,
                        "type": "message",
                        "role": "assistant",
                        "model": self.engine.model,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": Usage().as_anthropic(),
                    },
                }
            )
        ]

    def feed(self, event: object) -> list[Message]:
        out: list[Message] = []
        if isinstance(event, BlockStarted):
            out += self._start(event.block.message_id)
            index = self.indexes[event.index] = len(self.indexes)
            block = event.block
            start = _BLOCK_START.get(block.kind) or {
                "type": "tool_use",
                "id": block.tool_call_id,
                "name": block.tool_name,
                "input": {},
            }
            out.append(
                self._event({"type": "content_block_start", "index": index, "content_block": dict(start)})
            )
        elif isinstance(event, BlockDelta):
            kind, key = _DELTA_KEYS[event.block.kind]
            if event.block.kind == "thinking":
                delta = _estimate_tokens(event.delta)
                self.thinking_total += delta
                out.append(self.engine.thinking_tokens(self.thinking_total, delta))
            out.append(
                self._event(
                    {
                        "type": "content_block_delta",
                        "index": self.indexes[event.index],
                        "delta": {"type": kind, key: event.delta},
                    }
                )
            )
        elif isinstance(event, BlockFinished):
            if event.block.kind == "thinking":  # as the Anthropic stream: the signature ends the block
                signature = event.block.signature or _signature(event.block.text)
                ended = {"type": "signature_delta", "signature": signature}
                index = self.indexes[event.index]
                out.append(self._event({"type": "content_block_delta", "index": index, "delta": ended}))
            # as the CLI: a block's message carries the usage its message_start announced
            message = self.engine.assistant_message(event.block, Usage())
            if message is not None:
                out.append(message)
            out.append(self._event({"type": "content_block_stop", "index": self.indexes[event.index]}))
        return out

    def close(self, run: RunResult) -> list[Message]:
        out = self._start("")
        stop = "tool_use" if run.reason == "requires_approval" else "end_turn"
        out.append(
            self._event(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": run.usage.output_tokens},
                }
            )
        )
        out.append(self._event({"type": "message_stop"}))
        return out


def _result_flag(tool_name: str, is_error: bool) -> bool | None:
    """``ToolResultBlock.is_error`` as the Claude CLI sets it: True, or False/None on success by tool."""
    if is_error:
        return True
    return False if tool_name in mapping.TOOLS_MARKING_SUCCESS else None


def _estimate_tokens(text: str) -> int:
    """A rough token count (four characters a token), as the CLI's thinking estimate."""
    return max(1, len(text) // 4)


def _signature(thinking: str) -> str:
    """A stable stand-in signature when the provider sent none (Claude's blocks always carry one)."""
    import hashlib

    return "letta_" + hashlib.sha256(thinking.encode()).hexdigest()[:32]


def _for_model(outcome: ToolOutcome) -> str:
    """The tool result the model reads: the content, then any note for the model (hook context)."""
    return "\n\n".join(t for t in (_as_text(outcome.content), outcome.model_note) if t)


def _in_front(note: str, content: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """A prompt with ``note`` (reminders) in front of it."""
    if not note:
        return content
    if isinstance(content, str):
        return f"{note}\n\n{content}"
    return [{"type": "text", "text": note}, *content]


def _as_text(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    parts = [str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text"]
    return "\n".join(parts)


def result_error(result: ResultMessage) -> ResultError:
    """The ResultError the Claude SDK raises after yielding an error result from query()."""
    data: dict[str, Any] = {"type": "result"}
    for wire, attribute in cli_facts.RESULT_PAYLOAD_FIELDS.items():
        value = getattr(result, attribute, None)
        if value is not None:
            data[wire] = value
    text = "; ".join(result.errors or []) or (result.result or "").strip() or result.subtype
    return ResultError(f"Claude Code returned an error result: {text}", data=data, exit_code=1)
