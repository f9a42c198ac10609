"""The turn engine: one Claude-style session driven on a backend (a Letta conversation, by default).

A turn sends the user's message, folds the backend's run into Claude messages (one AssistantMessage
per content block), answers client-tool calls locally until the run ends, and closes with a
ResultMessage whose fields follow the Claude SDK (see letta_backend.mapping.STOP_REASONS). The
backend is reached only through the protocol of :mod:`claude_compat._backend`; the messages' shapes
live in :mod:`.messages`, the session's spend and the turn's limits in :mod:`.accounting`, and the
tool host comes from whoever starts the engine (a :class:`~.tool_types.ToolHostFactory`).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from letta_backend.text import well_formed

from .._backend import (
    Backend,
    BackendSession,
    Block,
    BlockFinished,
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
from ..errors import ClaudeSDKError, InvalidOptionError, LettaTimeoutError, UnknownModelError
from ..types import (
    ClaudeAgentOptions,
    ContextUsageResponse,
    McpStatusResponse,
    Message,
    ResultMessage,
    SystemMessage,
    TaskNotificationMessage,
)
from . import (
    accounting,
    backends,
    cli_facts,
    cli_request,
    environment,
    messages,
    prices,
    setting_sources,
    structured,
    subagents,
)
from . import options as _options
from .accounting import TurnState
from .builtins import search_tools_named
from .environment import Environment, TokensLeft, usd_budget_reminder
from .mirror import TranscriptMirror
from .permission_modes import PERMISSION_MODES
from .plan_reminders import PlanReminders, plan_file
from .prompts import BLANK_PROMPT, is_blank, prompt_content
from .store_keys import project_key_for_directory
from .tool_types import ToolCall, ToolHost, ToolHostFactory, ToolOutcome

__all__ = ["Engine"]


@dataclass
class RunResult:
    """What one backend run (one model request) produced."""

    blocks: list[Block] = field(default_factory=list)
    reason: str = ""
    failure: StreamFailure | None = None
    usage: Usage = field(default_factory=Usage)
    steps: int = 0  # the model calls the run made (the CLI counts each a turn)

    def fold(self, event: object) -> None:
        """Keep what one of the run's events says about its outcome."""
        if isinstance(event, BlockFinished):
            self.blocks.append(event.block)
        elif isinstance(event, RunStopped):
            self.reason = event.reason
        elif isinstance(event, RunUsage):
            self.usage = event.usage
            self.steps += event.steps or 1
        elif isinstance(event, StreamFailure):
            self.failure = event

    def settle(self, interrupted: bool) -> None:
        """The run's stop reason once its stream ended: cancelled when the program interrupted it
        (unless it stopped for tool calls), an error or the end of the turn when the stream named none."""
        if interrupted and self.reason != "requires_approval":
            self.reason = "cancelled"
        if not self.reason:
            self.reason = "error" if self.failure is not None else "end_turn"
        if self.failure is not None and self.failure.error_type == "llm_error" and self.reason == "error":
            self.reason = "llm_api_error"


@dataclass
class _Turn:
    """The running turn between its steps: its counters, the next request, and how it ends.

    ``final`` are the messages the turn ends with, yielded after the session's lease is released;
    once ``done`` no further model call is made.
    """

    state: TurnState
    request: list[RequestItem] = field(default_factory=list)
    final: list[Message] = field(default_factory=list)
    done: bool = False
    stop_hook_active: bool = False  # a Stop hook already sent the model on once
    hook_stopped: bool = False  # a PostToolUse hook ended the turn on the current reply's results

    def finish(self, *ending: Message) -> None:
        """End the turn with these messages (the result last)."""
        self.final += ending
        self.done = True


class Engine:
    """One session: its backend connection, Letta conversation, tools and cumulative cost."""

    def __init__(
        self,
        options: ClaudeAgentOptions,
        tools: ToolHostFactory,
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
        self.tools: ToolHost = tools(options, cwd=_options.cwd_of(options), ask_rules=settings.ask)
        self.backend: Backend[Any] | None = None
        self.session: BackendSession | None = None
        self.ledger = accounting.Ledger(prices.PriceBook.from_env(self._env()))  # bad prices fail here
        self._deferred: list[RequestItem] = []
        self._tells: list[str] = []  # ended background tasks' notifications the model has not read yet
        self._told_run: str | None = None  # the run of the last of them
        self._notices: list[Message] = []  # what a control call shows, yielded first in the next turn
        self._interrupted = False
        self._model_choice: str | None = None  # set_model's name; the CLI's words for a 404 use it
        self._interrupt_next = False  # interrupt() came before the next turn started (see interrupt_next)
        self._last_context_tokens = 0
        self._tokens_left = TokensLeft()  # the CLI's <total_tokens> countdown, for the models it sends one
        self._plan = PlanReminders()  # the CLI's plan-mode reminders sent so far
        self._plan_texts: cli_request.PlanTexts | None = None  # their texts (None: not at hand)
        self._plan_read = False  # whether they were read (once plan mode is first used)
        self._forked = False  # a fork of the parent's conversation, not prompted yet (see start_forked)
        self._session_started = False
        self._current_run: str | None = None
        self._cancelled_run: str | None = None
        self._told_environment: tuple[str, tuple[str, ...], str, str] | None = None
        self._told: Environment | None = None  # the environment as the model was last told it
        self._in_system = False  # the CLI tells this model its reminders in system-role messages
        self._named_model: str | None = None  # see _cli_model_named
        self._claude_model: str | None = None  # the Claude model whose CLI request the session follows
        #: a subagent on its parent's model: the Claude model the parent runs (set before open)
        self.parent_model: str | None = None
        self._tokens_in_system = False  # a subagent's system text names the tokens left, as the CLI's
        self._user_uuids: list[str] = []  # the running turn's user messages, as stamped
        self._origin: dict[str, Any] | None = None  # the running turn's ResultMessage.origin
        self._mirror_to: TranscriptMirror | None = None  # the session_store mirror, made on first use

    async def open(self, first_prompt: str | None = None) -> None:
        """Connect to the backend (Letta, see backends.connect) and create or resume the session."""
        spec = await self._session_spec(self.options, well_formed(first_prompt))
        routed = await self.tools.routed()  # a call to a deferred MCP tool must reach the tool host
        spec = dataclasses.replace(spec, routed_tools=(*spec.routed_tools, *routed))
        self.backend = await backends.connect(self.options)
        self._bind(await self.backend.open_session(spec))
        assert self.session is not None
        self._claude_model = self._followed_model()
        await self.tools.open(
            self.session.session_id, self.session.model_handle, claude_model=self._claude_model
        )

    def _bind(self, session: BackendSession) -> None:
        """Make ``session`` the engine's; the tool host journals each call's start in it."""
        assert self.backend is not None
        backend = self.backend
        self.session = session
        self.tools.on_start = lambda call: backend.journal_start(session, call.id, call.name)

    def start_forked(self, call_id: str, answer: str) -> None:
        """This session is a copy of its parent's, taken while the parent's ``call_id`` waits for its
        result (the CLI's fork): the first prompt goes with ``answer`` to that call, without the
        environment reminders (the copied history has the parent's)."""
        self._deferred = [ToolAnswers((ToolReturn(call_id, answer, False),))]
        self._forked = True

    async def _session_spec(self, options: ClaudeAgentOptions, first_prompt: str | None) -> SessionSpec:
        """The backend request for the session, with the CLI's ``claude_code`` preset text if asked for."""
        preset: str | None = None
        configured = options.letta_model_handle
        # as the CLI: the model option, else ANTHROPIC_MODEL in its environment
        asked = options.model or {**os.environ, **options.env}.get("ANTHROPIC_MODEL") or None
        self._named_model = await self._cli_model_named(asked, configured)
        if isinstance(options.system_prompt, dict) and options.system_prompt.get("type") == "preset":
            model = self._expected_claude_model(options)
            named = search_tools_named(options.tools, list(options.allowed_tools))  # type: ignore[arg-type]
            preset = await cli_request.preset_prompt(
                self._env(), model, cwd=_options.cwd_of(options), search=named
            )
        options = await self._with_subagent_notes(options)
        spec = _options.session_spec(
            options, first_prompt=first_prompt, subagent_of=self._subagent_of, preset_text=preset
        )
        return dataclasses.replace(spec, cli_model=self._named_model)

    async def _with_subagent_notes(self, options: ClaudeAgentOptions) -> ClaudeAgentOptions:
        """A subagent's options with the CLI's notes to subagents (and the tokens left) after its
        prompt, as the CLI's system text has them; as they were for any other session, a fork, or
        without the CLI's texts for its model."""
        if self._subagent_of is None or options.resume or not isinstance(options.system_prompt, str):
            return options
        model = self._expected_claude_model(options)
        notes = await cli_request.subagent_notes(self._env(), model)
        if notes is None:
            return options
        cli = await cli_request.cli_reminders(self._env(), model)
        budget = cli.tokens_budget if cli is not None else None
        tokens = TokensLeft.text(budget) if budget is not None else ""
        self._tokens_in_system = bool(tokens)
        text = (options.system_prompt + notes.replace(cli_request.TOKENS_NOTE, tokens)).rstrip()
        return dataclasses.replace(options, system_prompt=text)

    def _expected_claude_model(self, options: ClaudeAgentOptions) -> str | None:
        """The Claude model whose CLI texts the session will follow, known before it opens (the
        handle is the backend's choice): the one the program named, a subagent's parent's, the
        ``model`` option's, else that of the handle the user configured, which the backend takes
        first (``CLAUDE_COMPAT_MODEL``, else ``letta_model_handle``)."""
        configured = os.environ.get("CLAUDE_COMPAT_MODEL") or options.letta_model_handle
        return (
            self._named_model
            or self.parent_model
            or cli_request.claude_model_of(options.model)
            or cli_request.claude_model_of(configured)
        )

    async def _cli_model_named(self, model: str | None, handle: str | None) -> str | None:
        """The Claude model the CLI runs for the program's ``model`` (an alias as the CLI resolves
        it), when the user configured the Letta handle apart from it (``CLAUDE_COMPAT_MODEL``, the
        ``handle`` of ``letta_model_handle``): that model's CLI request then decides the reminders,
        tool texts and sampling, on the configured handle. None otherwise: the handle's own model decides."""
        if not model or not (os.environ.get("CLAUDE_COMPAT_MODEL") or handle):
            return None
        named = await cli_request.cli_model(self._env(), model)
        return named or cli_request.claude_model_of(model)

    def _followed_model(self) -> str | None:
        """The Claude model whose CLI request the session follows: the one the program named (see
        :meth:`_cli_model_named`) on a handle of a Claude model, else the handle's own, else None."""
        handle_model = cli_request.claude_model_of(self.model)
        return (self._named_model if handle_model else None) or handle_model

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

    @property
    def total_cost_usd(self) -> float:
        """The session's cost so far, as its next ResultMessage reports it."""
        return self.ledger.total_cost_usd

    def _stamp(self) -> messages.Stamp:
        """What the running turn's messages carry (see messages.Stamp)."""
        return messages.Stamp(self.session_id, self.model, tuple(self._user_uuids), self._origin)

    def init_message(self) -> SystemMessage:
        """The ``system``/``init`` message that starts every turn."""
        opts = self.options
        tools = self.tools.tool_names() + ([cli_facts.STRUCTURED_OUTPUT_TOOL] if opts.output_format else [])
        return messages.init_message(
            self._stamp(),
            cwd=_options.cwd_of(opts),
            tools=tools,
            mcp_servers=self.tools.mcp_servers_status(),
            permission_mode=getattr(self.tools, "mode", None) or opts.permission_mode or "default",
            output_style=self._output_style,
            agents=self._agent_names(),
            add_dirs=[str(d) for d in opts.add_dirs],
        )

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
        self._notices.append(messages.system(self.session_id, "status", status=None, permissionMode=mode))

    async def set_model(self, model: str | None) -> None:
        """Switch the conversation's model (None: the CLI's default model, or the session's default)."""
        assert self.backend is not None and self.session is not None, "Engine.open() first"
        handle = None if model else self.options.letta_model_handle
        asked = model or await cli_request.cli_default_model(self._env())
        named = await self._cli_model_named(model, None)
        try:
            await self.backend.set_model(self.session, asked, handle, cli_model=named)
        except UnknownModelError:
            if model or asked is None:
                raise
            asked = None  # no Letta handle serves the CLI's default model
            await self.backend.set_model(self.session, None, handle)
        self._model_choice = asked
        self._named_model = named  # the reminders follow the new model, as its sampling
        self._claude_model = self._followed_model()
        said = cli_facts.SET_MODEL_ECHO.format(model=asked or self.model)
        self._notices.append(messages.command_echo(said))  # as the CLI

    def mcp_status(self) -> McpStatusResponse:
        """The session's MCP servers and their state."""
        servers: list[Any] = self.tools.mcp_servers_status()
        return {"mcpServers": servers}

    def server_info(self, commands: list[dict[str, Any]]) -> dict[str, Any]:
        """What the session offers, shaped like the Claude CLI's initialize answer."""
        return messages.server_info(self._stamp(), commands, self._agent_names())

    async def context_usage(self) -> ContextUsageResponse:
        """Context-window usage: the tokens of the last request against the model's window."""
        return messages.context_usage(self.model, self._last_context_tokens)

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
            yield messages.conversation_reset(self.session_id)
            yield messages.system(self.session_id, "background_tasks_changed", tasks=[])
        fresh = dataclasses.replace(
            self.options, resume=None, continue_conversation=False, fork_session=False, session_id=None
        )
        self._bind(await self.backend.open_session(await self._session_spec(fresh, None)))
        self.tools.rebind(self.session_id)
        self.ledger.reset()
        self._deferred, self._told_environment, self._last_context_tokens = [], None, 0
        self._told = None  # a new conversation: told the whole environment again
        self._plan, self._plan_read = PlanReminders(), False  # a new session: a new plan file
        self._session_started = False
        self._user_uuids, self._origin = [], None
        yield self.init_message()
        state = TurnState(deadline=accounting.deadline(self.backend.turn_timeout), started=started)
        yield self._result("conversation_cleared", None, state, "")

    async def _turn(
        self,
        content: str | list[dict[str, Any]],
        *,
        user_uuids: Sequence[str],
        origin: dict[str, Any] | None,
    ) -> AsyncIterator[Message]:
        """The turn itself (see `turn`): under the session's lease, the notices control calls left,
        the prompt's way to the model, then one step per model call until a step ends the turn; the
        ending comes after the lease is released, as a caller may stop reading at the result."""
        assert self.backend is not None and self.session is not None, "Engine.open() first"
        self._interrupted = False
        self._user_uuids = list(user_uuids)
        self._origin = origin
        async with self.backend.turn_lease(self.session):
            if self._cancelled_run is not None:  # an interrupted run still finishing on the server
                cancelled, self._cancelled_run = self._cancelled_run, None
                await self.backend.settle(self.session, cancelled)
            for notice in self._notices:
                yield notice
            self._notices.clear()
            turn = _Turn(self._new_state())
            async for message in self._take_prompt(content, turn):
                yield message
            while not turn.done:
                async for message in self._step(turn):
                    yield message
        for out in turn.final:
            yield out

    def _new_state(self) -> TurnState:
        """A new turn's counters, with its time limit and, with output_format, its StructuredOutput rules."""
        assert self.backend is not None
        state = TurnState(deadline=accounting.deadline(self.backend.turn_timeout))
        if self.options.output_format:
            limit = cli_facts.structured_output_retries(self._env())
            state.structured = structured.StructuredTurn(self.options.output_format["schema"], limit)
        return state

    async def _take_prompt(self, content: str | list[dict[str, Any]], turn: _Turn) -> AsyncIterator[Message]:
        """The prompt's way to the model. As the CLI: a blank prompt ends the turn with a notice, a
        UserPromptSubmit hook may block it; else it becomes the first request, with the environment
        reminder and the answers an interrupted turn deferred, unless an early interrupt() ends the turn."""
        if is_blank(content):  # as the CLI: a notice and a result, no model call
            yield self.init_message()
            yield messages.informational(self.session_id, BLANK_PROMPT, level="warning")
            turn.finish(self._result("blank_prompt", None, turn.state, BLANK_PROMPT))
        else:
            content = await self._hooked_prompt(prompt_content(content), turn)
            if not self._hook_errors:  # as the CLI: a hook's invalid output shows the result alone
                yield self.init_message()
        if self._mirror_to is not None:  # the prompt as the model gets it (after the prompt hooks)
            await self._mirror_to.begin(content, self._user_uuids[0] if self._user_uuids else None)
        if turn.done:
            return
        sent = await self._with_environment(content)  # the program's prompt stays as it was
        turn.request = [*self._deferred, *sent]
        self._deferred = []
        if self._interrupt_next:  # interrupted before its model call
            self._interrupt_next, self._interrupted = False, True
            self._deferred = turn.request  # as in the CLI's history, the model reads the prompt later
            turn.state.num_turns += 1  # the model call the CLI had started
            turn.finish(*self._interrupted_end(turn.state))

    async def _hooked_prompt(
        self, content: str | list[dict[str, Any]], turn: _Turn
    ) -> str | list[dict[str, Any]]:
        """The prompt after the prompt hooks; a prompt they block ends the turn (its result waits
        in ``turn``)."""
        self._hook_errors = []
        content, blocked = await self._prompt_hooks(content)
        if blocked is None:
            return content
        if self._hook_errors:
            failed = self._result("hook_failed", None, turn.state)
            turn.finish(messages.with_errors(failed, self._hook_errors, num_turns=0))
        else:
            turn.finish(self._result("hook_stopped", None, turn.state, blocked))
        return content

    def _interrupted_end(self, state: TurnState) -> list[Message]:
        """The CLI's end of a turn whose model call the program interrupted: its notice, the result.
        The notice is in the session's history: the model reads it before the next prompt."""
        notice = messages.user_text(cli_facts.INTERRUPTED_BY_USER)
        self._deferred.append(
            {"role": "user", "content": [{"type": "text", "text": cli_facts.INTERRUPTED_BY_USER}]}
        )
        state.num_turns += 1  # the CLI counts the notice as a turn
        result = self._result("cancelled", None, state)
        return [notice, messages.with_errors(result, [cli_facts.INTERRUPTED_DIAGNOSTIC])]

    async def _step(self, turn: _Turn) -> AsyncIterator[Message]:
        """One model call and what follows from it: its messages, then either the next request (a
        retry, the answers to its tool calls, a reminder, a Stop hook's continuation) or the turn's end."""
        run = RunResult()
        async for message in self._run(turn.request, turn.state, run):
            yield message
        cut = self._interrupted and run.reason == "cancelled"  # interrupt() during the model call
        retry = accounting.retry(
            run.failure, gave_up=bool(run.blocks) or self._interrupted, state=turn.state, env=self._env
        )
        if retry is not None:  # as the CLI: a notice, a backoff, the same request again
            assert run.failure is not None
            yield messages.retry_notice(
                self.session_id, run.failure, retry.attempt, retry.limit, retry.delay_ms
            )
            await anyio.sleep(retry.delay_ms / 1000)
            return
        if not self.options.include_partial_messages:
            for message in messages.block_messages(self._stamp(), run.blocks, run.usage, self._offered):
                yield message
        texts = [b.text for b in run.blocks if b.kind == "text" and b.text]
        if texts:
            turn.state.last_text = texts[-1]
        if run.reason == "requires_approval" and run.failure is None:
            async for message in self._answer_tools(run, turn):
                yield message
            if run.reason == "requires_approval":  # the answers are the next request
                return
        if run.reason == "end_turn" and run.failure is None:
            async for message in self._follow_up(turn):
                yield message
            if turn.request:
                return
        self._end(turn, run, cut)

    async def _follow_up(self, turn: _Turn) -> AsyncIterator[Message]:
        """After a reply that ended the model's turn, what sends the model on (``turn.request``, else
        empty): with output_format, the CLI's one reminder to call StructuredOutput; then a Stop
        hook's block."""
        turn.request = []
        state = turn.state
        enforce = state.structured.enforce() if state.structured is not None else None
        if enforce is not None:  # as the CLI: told once to call StructuredOutput
            yield messages.user_text(enforce)
            turn.request = [{"role": "user", "content": enforce}]
            return
        keep_going = await self._stop_hook(turn.stop_hook_active)
        if keep_going is not None and state.num_turns < 50:
            turn.stop_hook_active = True
            turn.request = [{"role": "user", "content": keep_going}]

    def _end(self, turn: _Turn, run: RunResult, cut: bool) -> None:
        """End the turn on the run's stop reason: the CLI's interruption notice and result when the
        program cut the model call, else the result (after the CLI's synthetic message for a failed call)."""
        if cut and run.reason == "cancelled":
            turn.finish(*self._interrupted_end(turn.state))
            return
        result = self._result(run.reason, run.failure, turn.state)
        if run.failure is not None and messages.shows_api_error(run.reason, result):
            turn.final.append(
                messages.api_error_message(self._stamp(), run.failure, self._api_error_text(run.failure))
            )
        turn.finish(result)

    async def _answer_tools(self, run: RunResult, turn: _Turn) -> AsyncIterator[Message]:
        """Run the tool calls of a reply that asked for them (none once the budget is spent, as the
        CLI) and show each; their answers become the next request, or wait for the next prompt when
        the turn stops here, and then ``run.reason`` says why."""
        calls = [b for b in run.blocks if b.kind == "tool_use" and b.server_return is None]
        spent = self._budget_spent()
        results: list[ToolReturn | ToolDenial] = []
        if spent:
            results = [ToolDenial(b.tool_call_id, prices.BUDGET_SKIPPED_TOOL) for b in calls]
        turn.hook_stopped = False
        for block in [] if spent else calls:
            async for message in self._answer_call(block, turn, results):
                yield message
        turn.state.parallel_calls += max(0, len(calls) - 1)
        # as the CLI: the step's reminders (plan mode's, the tokens left, the USD budget) once per
        # reply's results, at the end of the last (or, to the models it tells them in a system-role
        # message, in one after the results)
        notes = await self._step_notes()
        if notes and not self._in_system and results and isinstance(last := results[-1], ToolReturn):
            results[-1] = dataclasses.replace(last, content=last.content + "".join(f"\n\n{n}" for n in notes))
        answer: list[RequestItem] = [ToolAnswers(tuple(results))]
        if notes and self._in_system:
            answer.append({"role": "system", "content": environment.system_message_text(notes)})
        stop_now = self._stop_after_tools(turn, spent)
        if self._interrupted or stop_now:
            self._deferred = answer  # delivered with the next user message
            run.reason = "cancelled" if self._interrupted else stop_now
        else:
            turn.request = answer

    def _stop_after_tools(self, turn: _Turn, spent: bool) -> str:
        """Why the turn ends on its tool results, with no further model call, else "": a spent budget,
        a turn limit, a PostToolUse hook, or a StructuredOutput call that finished the turn."""
        state = turn.state
        stop_now = "max_budget" if spent else self._limit_reached(state)
        if turn.hook_stopped:  # as the CLI: the turn ends on the tool result, no further model call
            state.num_turns += 1  # the CLI counts the turn it did not start
            stop_now = "tool_hook_stopped"
        if state.structured is not None and state.structured.finished:
            # as the CLI: the turn ends on the tool result, no further model call
            state.num_turns += structured.TURN_AFTER_RESULT
            stop_now = "structured_output" if state.structured.accepted else "structured_retries"
        return stop_now

    async def _answer_call(
        self, block: Block, turn: _Turn, results: list[ToolReturn | ToolDenial]
    ) -> AsyncIterator[Message]:
        """Run one tool call and show it as the CLI does: its notices and forwarded messages, its
        result, the notices after it, then any background work it launched; its answer joins
        ``results``, with the notifications of background tasks that ended since the last one."""
        outcome = await self._bounded_tool(block, turn.state)
        for notice in (*outcome.notices, *outcome.messages):
            yield notice
        if outcome.interrupt:
            self._interrupted = True
        yield messages.tool_result(
            block.tool_call_id, block.tool_name, outcome.content, outcome.is_error, outcome.structured
        )
        for notice in outcome.after:
            yield notice
        turn.hook_stopped = turn.hook_stopped or outcome.stop
        told, self._tells = "".join(f"\n\n{t}" for t in self._tells), []  # as the CLI: after
        if outcome.background is not None:  # it ended, with the next result or turn
            async for message in outcome.background.run(outcome.background):
                if isinstance(message, TaskNotificationMessage):
                    self._told_run = message.data.get("run_id")
                yield message
            self._tells += outcome.background.tells
        results.append(ToolReturn(block.tool_call_id, _for_model(outcome) + told, outcome.is_error))

    async def _step_notes(self) -> list[str]:
        """The reminders the CLI sends after a step's tool results: plan mode's, the tokens left, the
        USD budget."""
        notes = [
            await self._plan_note(prompt=False),
            self._tokens_left.after_result().strip(),
            self._usd_budget(),
        ]
        return [note for note in notes if note]

    async def _plan_note(self, *, prompt: bool) -> str:
        """The CLI's plan-mode reminder for the next request, if it sends one (see PlanReminders);
        a subagent's differs and is not sent."""
        rules = PERMISSION_MODES.get(getattr(self.tools, "mode", None) or self.options.permission_mode or "")
        in_plan = rules is not None and rules.claude_name == "plan"
        if self._subagent_of is not None or not (in_plan or self._plan.told):
            return ""
        if not self._plan_read:
            self._plan_read = True
            texts = await cli_request.plan_texts(self._env(), cli_request.claude_model_of(self.model))
            plan = plan_file(self._env(), self.session_id)
            self._plan_texts = texts.with_plan_file(plan) if texts is not None else None
        return self._plan.next(in_plan, self._plan_texts, prompt=prompt)

    def _usd_budget(self) -> str:
        """The CLI's reminder of the session's spend against max_budget_usd ("" without one; none to
        a subagent, as the CLI's)."""
        budget = None if self._subagent_of is not None else self.options.max_budget_usd
        return usd_budget_reminder(self.ledger.total_cost_usd, budget)

    async def _with_environment(self, content: str | list[dict[str, Any]]) -> list[RequestItem]:
        """The prompt as the model gets it: with the environment reminder on a session's first turn,
        with what changed since (the CLI's environment update) on a later one. In front of the prompt,
        or, for the models the CLI tells them in a system-role message, in one after it."""
        cwd = _options.cwd_of(self.options)
        pwd = str(self.options.cwd) if self.options.cwd is not None else self._env().get("PWD")
        # a subagent's directories are its parent's as listed (and its worktree), not the CLI's arguments
        dirs = tuple(str(d) for d in self.options.add_dirs)
        if self._subagent_of is None:
            dirs = environment.listed_directories(cwd, pwd, dirs)
        model = self._claude_model or self.model  # the model the CLI's request was for, else the handle
        key = (cwd, dirs, model, time.strftime("%Y-%m-%d"))
        if key == self._told_environment:
            again = [await self._plan_note(prompt=True), self._tokens_left.prompted(), self._usd_budget()]
            return self._prompt_with([r for r in again if r], [], content)
        told, self._told_environment = self._told, key
        env = await anyio.to_thread.run_sync(
            lambda: Environment.current(cwd, additional_directories=dirs, model=model)
        )
        self._told = env
        if self._forked:  # the copied history has the parent's
            self._forked = False
            return [{"role": "user", "content": content}]
        cli = await cli_request.cli_reminders(self._env(), self._claude_model)
        # as the CLI, where Letta can send such a message as one (else as reminders in the prompt)
        self._in_system = (
            cli is not None
            and cli.in_system_message
            and self.backend is not None
            and self.session is not None
            and self.backend.keeps_system_messages(self.session)
        )
        self._tokens_left.budget = cli.tokens_budget if cli is not None else None
        tokens = "" if self._tokens_in_system else self._tokens_left.prompted()
        plan = await self._plan_note(prompt=True)
        if told is not None:
            before_date = [b for b in (plan, tokens, self._usd_budget()) if b]
            return self._prompt_with(environment.environment_update(told, env, cli, before_date), [], content)
        # the deferred tools, the agent types and the skills, named once per conversation
        tools = [*self.tools.reminders(cli), *([plan] if plan else [])]
        blocks = environment.environment_blocks(
            env, cli, tools, self._usd_budget(), tokens_left=not self._tokens_in_system
        )
        attribution = environment.attribution_blocks(cli, self.tools.offered_names())
        return self._prompt_with(blocks, attribution, content)

    def _prompt_with(
        self, blocks: list[str], in_prompt: list[str], content: str | list[dict[str, Any]]
    ) -> list[RequestItem]:
        """The prompt's request: ``blocks`` then ``in_prompt`` in front of it; or, for the models the
        CLI tells them in a system-role message, ``in_prompt`` in front and ``blocks`` in one after it."""
        if self._in_system and blocks:
            user = {"role": "user", "content": _in_front("\n\n".join(in_prompt), content)}
            return [user, {"role": "system", "content": environment.system_message_text(blocks)}]
        return [{"role": "user", "content": _in_front("\n\n".join([*blocks, *in_prompt]), content)}]

    async def _run(
        self, request: list[RequestItem], state: TurnState, run: RunResult
    ) -> AsyncIterator[Message]:
        """Send one request; fill ``run``; yield StreamEvents and AssistantMessages in partial mode;
        count the call in the turn's state and its cost in the session's ledger."""
        assert self.backend is not None and self.session is not None
        partial = self.options.include_partial_messages
        stream = messages.PartialStream(self._stamp()) if partial else None
        if partial:  # as the CLI: each model request is announced in partial mode
            yield messages.system(self.session_id, "status", status="requesting")
        t0 = time.monotonic()
        try:
            events = self.backend.run(
                self.session,
                request,
                client_tools=self._client_tools(),
                stream_tokens=partial,
                deadline=state.deadline,
            )
            async for event in events:
                self._fold(event, run)
                if stream is not None:
                    for message in stream.feed(event):
                        yield message
                    if isinstance(event, ToolAnswered):
                        yield messages.server_answer(event.block, self._offered)
        except ClaudeSDKError as exc:
            if isinstance(exc, LettaTimeoutError):  # the run may still finish on the server
                self._cancelled_run = self._current_run
            if not self._interrupted:
                raise
            # interrupt() closed the stream under us: the turn ends as cancelled
        finally:
            state.api_seconds += time.monotonic() - t0
        run.settle(self._interrupted)
        if stream is not None:
            for message in stream.close(run.reason, run.usage):
                yield message
        state.num_turns += max(run.steps, 1)
        state.usage = state.usage + run.usage
        self.ledger.add(self.model, run.usage)

    def _fold(self, event: object, run: RunResult) -> None:
        """Keep what a run's event says: the run's outcome, the run's id (for interrupt()) and the
        context the last request used (for context_usage())."""
        run.fold(event)
        if isinstance(event, RunStarted):
            self._current_run = event.run_id
        elif isinstance(event, RunUsage):
            usage = event.usage
            self._last_context_tokens = usage.input_tokens + usage.cache_read_input_tokens
            cached = usage.cache_read_input_tokens + usage.cache_creation_input_tokens
            self._tokens_left.answered(usage.input_tokens, usage.output_tokens, cached)

    def _mirror(self) -> TranscriptMirror | None:
        """The session's ``options.session_store`` mirror (None without a store), made on first use."""
        if self.options.session_store is None:
            return None
        if self._mirror_to is None or self._mirror_to.session_id != self.session_id:
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

    def _offered(self) -> list[str]:
        """The names of the tools offered to the model (what the CLI names when refusing a call)."""
        return [t["name"] for t in self._client_tools()]

    def _limit_reached(self, state: TurnState) -> str:
        """The stop reason when max_turns or max_budget_usd forbid another model call, else ""."""
        return accounting.limit_reached(state, self.options.max_turns, self._budget_spent())

    def _budget_spent(self) -> bool:
        """Whether the session's cost has reached max_budget_usd."""
        return self.ledger.budget_spent(self.options.max_budget_usd)

    def _env(self) -> dict[str, str]:
        """The session's environment as the CLI reads it: the process's, with ``options.env`` over it."""
        return {**os.environ, **self.options.env}

    async def _bounded_tool(self, block: Block, state: TurnState) -> ToolOutcome:
        """Run one tool call within what is left of the turn's time limit."""
        with anyio.move_on_after(state.time_left()) as scope:
            return await self._run_tool(block, state)
        assert scope.cancelled_caught and self.backend is not None and self.session is not None
        raise self.backend.turn_timed_out(
            self.session, f"the tool call {block.tool_name} ({block.tool_call_id})"
        )

    async def _run_tool(self, block: Block, state: TurnState) -> ToolOutcome:
        """Run one tool call: StructuredOutput here, any other on the tool host; journal what happened
        and list a denial among the turn's permission denials."""
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

    def _api_error_text(self, failure: StreamFailure) -> str:
        """The CLI's words for a failed model call; its "gateway" is the Letta server."""
        detail = failure.provider_message or failure.detail or failure.message
        gateway = ""
        if self.backend is not None:
            gateway = str(self.backend.base_url).split("://", 1)[-1].split("/", 1)[0]
        named = self._model_choice or self.options.model or self.model  # the model as the program named it
        return cli_facts.api_error_text(failure.http_status, detail, gateway, named)

    def _result(
        self, reason: str, failure: StreamFailure | None, state: TurnState, note: str | None = None
    ) -> ResultMessage:
        """The turn's ResultMessage (see messages.result_message)."""
        return messages.result_message(
            self._stamp(),
            reason,
            failure,
            state,
            self.ledger,
            self.options,
            api_error_text=self._api_error_text(failure) if failure is not None else None,
            note=note,
        )


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
