"""The Claude-side tools of a session: built-ins, in-process SDK MCP tools, behind the permission gate.

Every tool is offered to Letta as a client tool; when the model calls one, :meth:`ClaudeToolHost.run`
asks the permission gate (rules, hooks, mode, ``can_use_tool``), runs the tool locally, fires the
PostToolUse hooks and returns the outcome the engine sends back to the model.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from letta_backend import mapping

from ..types import (
    AgentDefinition,
    ClaudeAgentOptions,
    HookEventMessage,
    McpSdkServerConfig,
    Message,
    SystemMessage,
    TaskNotificationMessage,
    TaskStartedMessage,
)
from . import cli_facts, cli_request, sdk_mcp, subagents, task_output, tool_search, unoffered, worktrees
from .bash_judge import Shell
from .builtins import (
    BUILTIN_TOOLS,
    RUN_HERE,
    ToolContext,
    cli_tool_set,
    search_tools_named,
    shell_cwd,
    shown_name,
    shutdown,
)
from .builtins.skill import skills_reminder
from .cli_request import CliReminders
from .engine import Engine
from .hooks import HookRunner
from .mcp_bridge import McpConnection
from .permissions import Decision, PermissionGate, ToolFacts
from .plan_reminders import plan_file
from .tool_types import Background, ToolCall, ToolHost, ToolOutcome


class ClaudeToolHost(ToolHost):
    """Tools of one session, configured from ClaudeAgentOptions."""

    def __init__(self, options: ClaudeAgentOptions, *, cwd: str, ask_rules: Sequence[str] = ()) -> None:
        self.options = options
        self._ask_rules = list(ask_rules)  # from the settings files: calls that always ask
        self.cwd = Path(cwd)
        self.add_dirs = [Path(d).resolve() for d in options.add_dirs]
        self.session_id = ""
        #: the pinned CLI's tool set for these options (what the init message lists)
        self._cli_tools = cli_tool_set(
            options.tools,  # type: ignore[arg-type]
            allowed=list(options.allowed_tools),
            disallowed=list(options.disallowed_tools),
            interactive=options.can_use_tool is not None,
            env={**os.environ, **options.env},
        )
        #: those claude-compat runs, offered to the model (the others are listed only: see MIGRATING.md)
        self._builtin = [n for n in self._cli_tools if n in BUILTIN_TOOLS]
        #: those kept out of the model's tools until ToolSearch loads them (a call runs them anyway):
        #: the deferred built-ins and MCP tools, decided in open()
        self.deferred: list[str] = []
        self._always_loaded: set[str] = set()  # MCP servers whose tools are never deferred
        self._connected = False  # the MCP servers listed (and the external ones started)
        self._loaded: set[str] = set()
        #: every subagent the session has (built-in, agent files, the program's), as the init lists them
        self.agents = subagents.available_agents(options, cwd)
        self._agents: dict[str, AgentDefinition] | None = self.agents if "Agent" in self._cli_tools else None
        self._sdk: dict[str, tuple[McpSdkServerConfig, sdk_mcp.SdkToolSpec]] = {}
        self._specs: list[dict[str, Any]] = []
        self._state: dict[str, Any] = {}
        self._external: list[McpConnection] = []
        self._ext_tools: dict[str, tuple[McpConnection, sdk_mcp.SdkToolSpec]] = {}
        self._status: list[dict[str, Any]] = []
        self._schema_noted: set[str] = set()  # MCP tools whose error already carried the schema note
        self._subagents: dict[str, _Subagent] = {}  # by agentId: those SendMessage can continue
        self._claude_model: str | None = None  # the Claude model this session runs (set by open)
        self._fork: cli_request.ForkTexts | None = None  # the CLI's fork texts, when forks are offered
        self.hooks: HookRunner | None = None
        self.gate: PermissionGate | None = None

    def rebind(self, session_id: str) -> None:
        """The conversation was replaced (``/clear``): later calls and hooks belong to this session."""
        self.session_id = session_id
        self._loaded.clear()  # a new conversation: its model has loaded no deferred tool yet
        if self.hooks is not None:
            self.hooks.session_id = session_id

    async def routed(self) -> list[str]:
        """The MCP tools (listed once): deferred ones are called before they are offered."""
        await self._connect_servers()
        return sorted([*self._sdk, *self._ext_tools])

    async def open(
        self, session_id: str, model_handle: str | None = None, *, claude_model: str | None = None
    ) -> None:
        """List the MCP servers' tools and build the gate for this session (on ``model_handle``; the
        CLI's texts for ``claude_model``, by default the handle's own model)."""
        self.session_id = session_id
        claude_model = claude_model or cli_request.claude_model_of(model_handle)
        self._claude_model = claude_model
        await self._connect_servers()
        await self._build_specs(claude_model)
        self._decide_deferred(model_handle, claude_model)
        self._build_gate(session_id)

    async def _connect_servers(self) -> None:
        """List the SDK MCP servers' tools and start the external ones (once)."""
        if self._connected:
            return
        self._connected = True
        for server_name, config in _servers(self.options.mcp_servers).items():
            if config.get(cli_facts.MCP_ALWAYS_LOAD) is True:
                self._always_loaded.add(server_name)
            if config.get("type") == "sdk":
                sdk_config: McpSdkServerConfig = config  # type: ignore[assignment]
                for spec in await sdk_mcp.list_sdk_tools(sdk_config):
                    self._sdk[f"mcp__{server_name}__{spec.name}"] = (sdk_config, spec)
                self._status.append({"name": server_name, "status": "connected"})
            else:
                conn = McpConnection(server_name, dict(config), environ={**os.environ, **self.options.env})
                await conn.start(str(self.cwd))
                self._external.append(conn)
                self._status.append(conn.status_entry())
                for spec in conn.tools:
                    self._ext_tools[f"mcp__{server_name}__{spec.name}"] = (conn, spec)

    async def _build_specs(self, claude_model: str | None) -> None:
        """The tools the model may be offered: Agent (and SendMessage), the CLI's built-ins with its
        texts, ToolSearch, then the MCP tools by full name as the CLI lists them."""
        disallowed = {d for d in self.options.disallowed_tools if "(" not in d}
        agent_spec = [subagents.agent_tool_spec(self._agents)] if self._agents is not None else []
        if self._agents is not None and cli_facts.SEND_MESSAGE_TOOL in self._cli_tools:
            agent_spec.append(subagents.send_message_tool_spec())  # continues a subagent
        mcp_tools = sorted([*self._sdk.items(), *self._ext_tools.items()], key=lambda item: item[0])
        cli_texts = await cli_request.cli_tool_texts(
            {**os.environ, **self.options.env}, claude_model, **self._text_choices()
        )
        if agent_spec and "Agent" in cli_texts:  # the CLI's Agent text offers forks: with them only
            env = {**os.environ, **self.options.env}
            self._fork = await cli_request.fork_texts(env, claude_model)
            if self._fork is not None:
                agent_spec[0] = {**agent_spec[0], **cli_texts["Agent"]}
        builtins = [
            tool_search.tool_spec(cli_texts)
            if name == cli_facts.TOOL_SEARCH
            else {
                "name": name,
                "description": BUILTIN_TOOLS[name].description,
                "parameters": BUILTIN_TOOLS[name].input_schema,
                **(cli_texts.get(name, {}) if name in cli_facts.CLI_TEXT_TOOLS else {}),
            }
            for name in self._cli_tools
            if name in BUILTIN_TOOLS or name == cli_facts.TOOL_SEARCH
        ]
        mcp = [
            {"name": name, "description": spec.description, "parameters": spec.input_schema}
            for name, (_, spec) in mcp_tools
            if name not in disallowed and f"mcp__{name.split('__')[1]}" not in disallowed
        ]
        self._specs = agent_spec + builtins + mcp

    def _text_choices(self) -> dict[str, bool]:
        """The session's choices the CLI's tool texts depend on (see :func:`cli_request.cli_tool_texts`):
        its search tools offered or named, its tools that ask the user offered."""
        named = search_tools_named(self.options.tools, list(self.options.allowed_tools))  # type: ignore[arg-type]
        return {
            "search": named or bool(cli_facts.SEARCH_TOOLS & set(self._cli_tools)),
            "asking": bool(cli_facts.ASKING_TOOLS & set(self._cli_tools)),
        }

    def _decide_deferred(self, model_handle: str | None, claude_model: str | None) -> None:
        """Which tools wait for ToolSearch, as the CLI decides (see :func:`tool_search.search_mode`):
        the deferred built-ins and the MCP tools (but those of ``alwaysLoad`` servers), or none."""
        env = {**os.environ, **self.options.env}
        mode = tool_search.search_mode(env, claude_model)
        if mode.kind == "off" and cli_facts.TOOL_SEARCH in self._cli_tools:
            self._cli_tools.remove(cli_facts.TOOL_SEARCH)  # the CLI drops it from its set
        offered = {str(t["name"]) for t in self._specs}
        builtin = [n for n in tool_search.deferred_of(self._cli_tools, runnable=RUN_HERE) if n in offered]
        mcp = [
            str(t["name"])
            for t in self._specs
            if t["name"] not in RUN_HERE and str(t["name"]).split("__")[1] not in self._always_loaded
        ]
        deferrable = [t for t in self._specs if t["name"] in {*builtin, *mcp}]
        window = mapping.context_window_for(model_handle or "")
        searchable = cli_facts.TOOL_SEARCH in self._cli_tools and bool(deferrable)
        self.deferred = (
            [*builtin, *mcp] if searchable and tool_search.defers(mode, deferrable, window) else []
        )
        if not self.deferred:  # nothing to load: ToolSearch is not offered (the CLI may still list it)
            self._specs = [t for t in self._specs if t["name"] != cli_facts.TOOL_SEARCH]

    def _build_gate(self, session_id: str) -> None:
        """The session's hooks and permission gate."""
        self.hooks = HookRunner(
            self.options.hooks,  # type: ignore[arg-type]
            session_id=session_id,
            cwd=str(self.cwd),
            permission_mode=lambda: self.mode,
        )
        self._state["permission_mode"] = self.options.permission_mode or "default"
        self.gate = PermissionGate(
            allowed_tools=list(self.options.allowed_tools),
            disallowed_tools=list(self.options.disallowed_tools),
            ask_rules=self._ask_rules,
            mode=self.options.permission_mode,
            can_use_tool=self.options.can_use_tool,
            hooks=self.hooks,
            cwd=self.cwd,
            add_dirs=self.add_dirs,
            shell=self._shell,
            plan_file=plan_file({**os.environ, **self.options.env}, session_id),
        )

    @property
    def mode(self) -> str:
        """The permission mode in force (ExitPlanMode / set_permission_mode change it)."""
        if self.gate is not None:
            return self.gate.mode
        return self.options.permission_mode or "default"

    def client_tools(self) -> list[dict[str, Any]]:
        """The tools the model is offered now: deferred ones only once ToolSearch has loaded them."""
        return [t for t in self._specs if t["name"] not in self.deferred or t["name"] in self._loaded]

    def reminders(self, cli: CliReminders | None) -> list[str]:
        """What the model is told at the start of a session, in the CLI's order: the deferred tools
        ToolSearch loads, the agent types the Agent tool takes, the skills the Skill tool loads."""
        deferred = tool_search.reminder(self.deferred)
        agents = subagents.agent_types_reminder(self._agents, cli) if self._agents is not None else ""
        skills = ""
        if "Skill" in self.offered_names():
            skills = skills_reminder(self.cwd, {**os.environ, **self.options.env}, cli)
        return [
            note
            for note in (
                deferred,
                f"<system-reminder>\n{agents}\n</system-reminder>" if agents else "",
                skills,
            )
            if note
        ]

    def tool_names(self) -> list[str]:
        """The init message's list: the CLI's tool set by its shown names, then the MCP tools."""
        mcp = [t["name"] for t in self._specs if t["name"] not in RUN_HERE]
        return [shown_name(n) for n in self._cli_tools] + mcp

    def offered_names(self) -> list[str]:
        """The tools the model can call."""
        return [t["name"] for t in self._specs]

    def mcp_servers_status(self) -> list[dict[str, Any]]:
        return list(self._status)

    def set_permission_mode(self, mode: str) -> None:
        if self.gate is not None:
            self.gate.set_permission_mode(mode)
        self._state["permission_mode"] = self.mode

    async def aclose(self) -> None:
        shutdown(self._state)
        for sub in list(self._subagents.values()):
            await self._forget(sub)
        for conn in reversed(self._external):
            await conn.aclose()
        self._external.clear()

    def context(self) -> ToolContext:
        """What built-in tools need from the session."""
        env = {**os.environ, **self.options.env}
        return ToolContext(
            cwd=self.cwd,
            add_dirs=self.add_dirs,
            env=env,
            session_id=self.session_id,
            state=self._state,
        )

    def _shell(self) -> Shell:
        """Where the Bash tool's next command starts (its cwd persists between calls) and its env."""
        ctx = self.context()
        return Shell(Path(shell_cwd(ctx)), ctx.env)

    def _facts(self, name: str, tool_input: dict[str, Any]) -> ToolFacts:
        if name in (
            "Agent",
            cli_facts.SEND_MESSAGE_TOOL,
            cli_facts.TOOL_SEARCH,
        ):  # calls gated inside, or none
            return ToolFacts(read_only=True, edits_files=False, paths=[])
        tool = BUILTIN_TOOLS.get(name)
        if tool is None or name not in self._builtin:
            return ToolFacts(read_only=False, edits_files=False, paths=[])
        try:
            paths = tool.paths(tool_input, self.context())
        except Exception:
            paths = []
        return ToolFacts(read_only=tool.read_only, edits_files=tool.edits_files, paths=paths)

    async def run(self, call: ToolCall) -> ToolOutcome:
        if call.name == "Task" and self._agents is not None:
            call = ToolCall(call.id, "Agent", call.input, call.input_error)
        # a disallowed tool routed here, or one never offered; a deferred one runs as in the CLI
        if call.name not in self.offered_names() and call.name not in self.deferred:
            content, shown = unoffered.no_such_tool(call.name, self.offered_names())
            return ToolOutcome(content, is_error=True, structured=shown)
        assert self.gate is not None, "ClaudeToolHost.open() first"
        decision = await self.gate.decide(call.name, call.input, call.id, self._facts(call.name, call.input))
        pre_events = self._hook_messages(decision.hook_events) + self._said(
            "PreToolUse", call.name, decision.system_messages
        )
        if not decision.allow:
            return self._denied(call, decision, pre_events)
        tool_input = decision.tool_input
        if self.on_start is not None:
            self.on_start(call)
        started = time.monotonic()
        outcome = await self._dispatch(call, tool_input, started)
        return await self._after(call, tool_input, outcome, decision, pre_events, started)

    def _denied(
        self, call: ToolCall, decision: Decision, pre_events: tuple[SystemMessage, ...]
    ) -> ToolOutcome:
        """A call the gate refused: the error result, and the CLI's ``permission_denied`` notice."""
        notices: tuple[SystemMessage, ...] = pre_events
        if decision.emit_denied_system_message:
            shown_reason = decision.reason_type in cli_facts.DENIED_REASON_TYPES_SHOWN
            data = {
                "type": "system",
                "subtype": "permission_denied",
                "tool_name": call.name,
                "tool_use_id": call.id,
                **({"decision_reason_type": decision.reason_type} if shown_reason else {}),
                "message": decision.message,
                "session_id": self.session_id,
                "uuid": str(uuid.uuid4()),
            }
            notices += (SystemMessage(subtype="permission_denied", data=data),)
        text = f"Error: {decision.message}" if not decision.message.startswith("Error") else decision.message
        return ToolOutcome(
            decision.message,
            is_error=True,
            structured=text,
            denied=True,
            denied_input=(decision.denial_record or {}).get("tool_input"),
            notices=notices,
            interrupt=decision.interrupt,
        )

    async def _dispatch(self, call: ToolCall, tool_input: dict[str, Any], started: float) -> ToolOutcome:
        """Run a permitted call: a subagent, SendMessage, ToolSearch, or a built-in or MCP tool (a
        long Bash command also shows as a finished shell task, as the CLI)."""
        if call.name == "Agent":
            return await self._run_subagent(call.id, tool_input)
        if call.name == cli_facts.SEND_MESSAGE_TOOL:
            return await self._send_message(call.id, tool_input)
        if call.name == cli_facts.TOOL_SEARCH:
            return self._tool_search(tool_input)
        outcome = await self._execute(call.name, tool_input)
        if call.name == "Bash" and time.monotonic() - started >= cli_facts.SHELL_TASK_AFTER_S:
            as_task = self._shell_task(call.id, tool_input, failed=outcome.is_error)
            outcome = dataclasses.replace(outcome, messages=(*as_task, *outcome.messages))
        return outcome

    async def _after(
        self,
        call: ToolCall,
        tool_input: dict[str, Any],
        outcome: ToolOutcome,
        decision: Decision,
        pre_events: tuple[SystemMessage, ...],
        started: float,
    ) -> ToolOutcome:
        """The PostToolUse (or PostToolUseFailure) hooks on a call's outcome: their context for the
        model, their events and notices, and whether they end the turn."""
        assert self.hooks is not None
        event = "PostToolUseFailure" if outcome.is_error else "PostToolUse"
        hook_input: dict[str, Any] = {
            "hook_event_name": event,
            "tool_name": call.name,
            "tool_input": tool_input,
            "tool_use_id": call.id,
        }
        if outcome.is_error:
            hook_input["error"] = (
                outcome.content if isinstance(outcome.content, str) else str(outcome.content)
            )
        else:
            hook_input["tool_response"] = (
                outcome.structured if outcome.structured is not None else outcome.content
            )
            hook_input["duration_ms"] = int((time.monotonic() - started) * 1000)
        post = await self.hooks.run(event, hook_input, tool_name=call.name, tool_use_id=call.id)
        extra = [
            cli_facts.HOOK_ADDITIONAL_CONTEXT.format(event=named, tool=call.name, context="\n".join(context))
            for named, context in (("PreToolUse", decision.hook_context), (event, post.additional_context))
            if context
        ]
        if post.block and post.block_reason:
            extra.append(post.block_reason)
        if extra:  # the model reads it; the CLI does not show it in the program's ToolResultBlock
            note = "\n\n".join(extra)
            if outcome.model_note:  # the tool's own words for the model come first
                note = f"{outcome.model_note}\n\n{note}"
            outcome = dataclasses.replace(outcome, model_note=note)
        events = (*pre_events, *self._hook_messages(post.events))
        if events:
            outcome = dataclasses.replace(outcome, notices=(*events, *outcome.notices))
        if post.stop:  # as the CLI: the turn ends on this result, and the hook's systemMessage is not shown
            outcome = dataclasses.replace(outcome, stop=True)
        elif post.system_messages:
            outcome = dataclasses.replace(outcome, after=self._said(event, call.name, post.system_messages))
        return outcome

    def _tool_search(self, tool_input: dict[str, Any]) -> ToolOutcome:
        """Answer a ToolSearch query and offer the deferred tools it matched from the next request on."""
        query = str(tool_input.get("query") or "")
        try:
            limit = int(tool_input.get("max_results") or cli_facts.TOOL_SEARCH_MAX_RESULTS)
        except (TypeError, ValueError):
            limit = cli_facts.TOOL_SEARCH_MAX_RESULTS
        specs = {str(t["name"]): t for t in self._specs}
        deferred = [specs[n] for n in self.deferred]
        others = [t for t in self._specs if t["name"] not in self.deferred]
        matches = tool_search.search(query, limit, deferred, others)
        self._loaded.update(n for n in matches if n in self.deferred)
        # the count the CLI gives: its deferred tools of this set, those it does not run included, and MCP's
        mcp = [n for n in self.deferred if n not in RUN_HERE]
        total = len(tool_search.deferred_of(self._cli_tools, runnable=cli_facts.DEFERRED_TOOLS)) + len(mcp)
        return tool_search.search_outcome(query, matches, specs, total)

    def _shell_task(
        self, tool_use_id: str, tool_input: dict[str, Any], *, failed: bool
    ) -> tuple[Message, ...]:
        """A long foreground Bash command as the CLI shows it: ``task_started``, ``task_notification``."""
        if tool_input.get("run_in_background"):
            return ()
        alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
        task_id = cli_facts.SHELL_TASK_ID_PREFIX + "".join(alphabet[b % 36] for b in os.urandom(8))
        run_id = uuid.uuid4().hex[:18]
        description = str(tool_input.get("description") or tool_input.get("command") or "")
        status: Any = "failed" if failed else "completed"
        common = {"task_id": task_id, "run_id": run_id, "tool_use_id": tool_use_id}
        started_uuid, note_uuid = str(uuid.uuid4()), str(uuid.uuid4())
        started = {
            "type": "system",
            "subtype": "task_started",
            **common,
            "description": description,
            "is_backgrounded": False,
            "task_type": cli_facts.SHELL_TASK_TYPE,
            "uuid": started_uuid,
            "session_id": self.session_id,
        }
        note = {
            "type": "system",
            "subtype": "task_notification",
            **common,
            "status": status,
            "output_file": "",
            "summary": description,
            "uuid": note_uuid,
            "session_id": self.session_id,
        }
        return (
            TaskStartedMessage(
                subtype="task_started",
                data=started,
                task_id=task_id,
                description=description,
                uuid=started_uuid,
                session_id=self.session_id,
                tool_use_id=tool_use_id,
                task_type=cli_facts.SHELL_TASK_TYPE,
            ),
            TaskNotificationMessage(
                subtype="task_notification",
                data=note,
                task_id=task_id,
                status=status,
                output_file="",
                summary=description,
                uuid=note_uuid,
                session_id=self.session_id,
                tool_use_id=tool_use_id,
            ),
        )

    def _said(self, event: str, tool: str, texts: list[str]) -> tuple[SystemMessage, ...]:
        """Hooks' ``systemMessage`` texts as the CLI shows them: informational notices."""
        return tuple(
            SystemMessage(
                subtype="informational",
                data={
                    "type": "system",
                    "subtype": "informational",
                    "content": cli_facts.HOOK_SYSTEM_MESSAGE.format(event=event, tool=tool, message=text),
                    "level": cli_facts.HOOK_SYSTEM_MESSAGE_LEVEL,
                    "uuid": str(uuid.uuid4()),
                    "session_id": self.session_id,
                },
            )
            for text in texts
        )

    def _hook_messages(self, events: list[dict[str, Any]]) -> tuple[SystemMessage, ...]:
        """hook_started / hook_response payloads as HookEventMessages (only with include_hook_events)."""
        if not self.options.include_hook_events:
            return ()
        return tuple(
            HookEventMessage(
                subtype=str(e.get("subtype", "")),
                data=e,
                hook_event_name=str(e.get("hook_event", "")),
                session_id=self.session_id,
                uuid=str(e.get("uuid", "")) or None,
            )
            for e in events
        )

    async def _run_subagent(self, tool_use_id: str, tool_input: dict[str, Any]) -> ToolOutcome:
        """Run a child session for the Agent tool and forward its messages: in the foreground (its
        hand-back is the result), or launched in the background as the CLI does by default."""
        assert self._agents is not None
        kind = str(tool_input.get("subagent_type") or subagents.DEFAULT_AGENT)
        if kind == cli_facts.FORK_AGENT and self._fork is not None:
            return await self._run_fork(tool_use_id, tool_input, self._fork)
        definition = self._agents.get(kind)
        if definition is None:
            names = ", ".join(subagents.listed_names(self._agents))
            return ToolOutcome(f"Error: unknown subagent_type {kind!r}; available: {names}", is_error=True)
        prompt = str(tool_input.get("prompt") or "")
        started = await self._start_subagent(tool_use_id, tool_input, kind, definition)
        if isinstance(started, ToolOutcome):
            return started
        sub = started
        forwarded: list[Message] = sub.task.started_messages(prompt)
        try:
            await sub.engine.open(first_prompt=prompt)
        except Exception as exc:  # a failing child is the Agent tool's error result, not the parent's crash
            return await self._subagent_failed(sub, exc, forwarded)
        meta = subagents.task_meta(
            kind,
            definition,
            tool_input,
            tool_use_id=tool_use_id,
            model=sub.engine.model,
            builtin=definition is subagents.BUILTIN_AGENTS.get(kind),
            background=sub.task.background,
            worktree=(str(sub.worktree.path), sub.worktree.branch) if sub.worktree is not None else None,
        )
        sub.output.start(prompt, meta)
        self._subagents[sub.task.task_id] = sub
        if sub.task.background:
            return self._launched(sub, prompt, forwarded)
        return await self._in_foreground(sub, prompt, forwarded)

    async def _start_subagent(
        self, tool_use_id: str, tool_input: dict[str, Any], kind: str, definition: AgentDefinition
    ) -> _Subagent | ToolOutcome:
        """The subagent's task, its worktree when the call asks for one (or the CLI's error result),
        the SubagentStart hooks, its engine and its output file (started with the prompt)."""
        assert self.hooks is not None
        env = self.context().env
        background = subagents.runs_in_background(definition, tool_input, env)
        task = subagents.TaskMessages(
            self.session_id,
            tool_use_id,
            str(tool_input.get("description") or ""),
            kind,
            str(task_output.task_output_dir(self.cwd, self.session_id)),
            background=background,
            cwd=self.cwd,
        )
        agent_id = task.task_id  # as the CLI: the subagent's id is its task's
        worktree: worktrees.Worktree | None = None
        if tool_input.get("isolation") == "worktree":
            try:
                worktree = await worktrees.create(self.cwd, agent_id)
            except worktrees.WorktreeError as exc:
                return ToolOutcome(str(exc), is_error=True, structured=f"Error: {exc}")
        await self.hooks.run(
            "SubagentStart", {"hook_event_name": "SubagentStart", "agent_id": agent_id, "agent_type": kind}
        )
        effort = tool_input.get("effort")
        options = subagents.child_options(
            self.options,
            definition,
            tool_input.get("model"),
            effort if isinstance(effort, str) else None,
            parent_model=self._claude_model,
        )
        if worktree is not None:  # the CLI also lists the worktree as an additional working directory
            add_dirs = [*options.add_dirs, str(worktree.path)]
            options = dataclasses.replace(options, cwd=str(worktree.cwd), add_dirs=add_dirs)
        # the registry keys a subagent by its Agent call (the session functions read the call's id from it)
        child = Engine(options, ClaudeToolHost, subagent_of=(self.session_id, f"subagent-{tool_use_id}"))
        if options.model == self.options.model:  # on the parent's model
            child.parent_model = self._claude_model
        output = task_output.TaskOutput(env=env, cwd=self.cwd, session_id=self.session_id, agent_id=agent_id)
        sub = _Subagent(child, task, kind, tool_use_id, os.urandom(3).hex(), output, worktree)
        return sub

    def _launched(self, sub: _Subagent, prompt: str, forwarded: list[Message]) -> ToolOutcome:
        """The Agent result of a background subagent: launched; it runs while the parent goes on."""
        task = sub.task
        text = cli_facts.ASYNC_LAUNCHED.format(agent_id=task.task_id, output_file=task.output_file)
        launched = {
            "isAsync": True,
            "status": "async_launched",
            "agentId": task.task_id,
            "description": task.description,
            "resolvedModel": sub.engine.model,
            "prompt": prompt,
            "outputFile": task.output_file,
            "canReadOutputFile": True,
            "canContinueAgent": cli_facts.HANDBACK_CONTINUE_TOOL in self.offered_names(),
        }
        return ToolOutcome(
            [{"type": "text", "text": text}],
            structured=launched,
            messages=tuple(forwarded),
            background=Background(lambda work: self._in_background(sub, prompt, work)),
        )

    async def _in_foreground(self, sub: _Subagent, prompt: str, forwarded: list[Message]) -> ToolOutcome:
        """Run a foreground subagent to its end: its messages, then its hand-back as the result."""
        task = sub.task
        collected: list[Message] = []
        try:
            async for message in self._drive(sub, prompt, collected):
                forwarded.append(message)
        except Exception as exc:  # a failing child is the Agent tool's error result, not the parent's crash
            return await self._subagent_failed(sub, exc, forwarded)
        text, failed = subagents.final_text(collected)
        forwarded += task.finished_messages(text, failed=failed)
        kept = await self._finish_output(sub)
        await self._subagent_stop(sub, text, failed=failed)
        can_continue = cli_facts.HANDBACK_CONTINUE_TOOL in self.offered_names()
        if failed or not can_continue:
            await self._forget(sub)
        if failed:
            structured = {"status": "failed", "prompt": prompt, "content": [{"type": "text", "text": text}]}
            return ToolOutcome(
                [{"type": "text", "text": text}],
                is_error=True,
                structured=structured,
                messages=tuple(forwarded),
            )
        report = subagents.handback(
            collected,
            prompt=prompt,
            agent_id=task.task_id,
            agent_type=sub.kind,
            duration_ms=task.usage()["duration_ms"],
            can_continue=can_continue,
            worktree=kept,
        )
        return ToolOutcome(
            [{"type": "text", "text": report.text}],
            is_error=False,
            structured=report.structured,
            messages=tuple(forwarded),
        )

    async def _run_fork(
        self, tool_use_id: str, tool_input: dict[str, Any], texts: cli_request.ForkTexts
    ) -> ToolOutcome:
        """The CLI's fork: a background subagent on a copy of this conversation, taken while this
        Agent call waits, on the session's own options (model, effort, tools); in the copy the call
        is answered with the CLI's words and the fork reads its instructions and the directive."""
        assert self.hooks is not None
        directive = str(tool_input.get("prompt") or "")
        env = self.context().env
        task = subagents.TaskMessages(
            self.session_id,
            tool_use_id,
            str(tool_input.get("description") or ""),
            cli_facts.FORK_AGENT,
            str(task_output.task_output_dir(self.cwd, self.session_id)),
            background=True,
            cwd=self.cwd,
        )
        agent_id = task.task_id
        await self.hooks.run(
            "SubagentStart",
            {"hook_event_name": "SubagentStart", "agent_id": agent_id, "agent_type": cli_facts.FORK_AGENT},
        )
        options = dataclasses.replace(
            self.options,
            resume=self.session_id,
            fork_session=True,
            continue_conversation=False,
            session_id=None,
            include_partial_messages=False,
            output_format=None,
        )
        child = Engine(options, ClaudeToolHost, subagent_of=(self.session_id, f"subagent-{tool_use_id}"))
        output = task_output.TaskOutput(env=env, cwd=self.cwd, session_id=self.session_id, agent_id=agent_id)
        sub = _Subagent(child, task, cli_facts.FORK_AGENT, tool_use_id, os.urandom(3).hex(), output)
        forwarded: list[Message] = task.started_messages(directive)
        try:
            await child.open(first_prompt=directive)
        except Exception as exc:  # a failing child is the Agent tool's error result, not the parent's crash
            return await self._subagent_failed(sub, exc, forwarded)
        child.start_forked(tool_use_id, texts.answer)
        meta = subagents.task_meta(
            cli_facts.FORK_AGENT,
            AgentDefinition(description=cli_facts.FORK_AGENT, prompt=""),
            tool_input,
            tool_use_id=tool_use_id,
            model=child.model,
            builtin=True,
            background=True,
            worktree=None,
        )
        sub.output.start(directive, meta)
        self._subagents[agent_id] = sub
        launched = self._launched(sub, directive, forwarded)
        prompt = texts.prompt_for(directive)  # what the fork reads: the CLI's instructions, the directive
        return dataclasses.replace(
            launched, background=Background(lambda work: self._in_background(sub, prompt, work))
        )

    async def _subagent_failed(self, sub: _Subagent, exc: Exception, forwarded: list[Message]) -> ToolOutcome:
        """A child that could not run: the task fails, and the Agent tool's result is the error."""
        problem = f"Error: the subagent could not run: {exc}"
        forwarded += sub.task.finished_messages(problem, failed=True)
        await self._finish_output(sub)
        await self._forget(sub)
        return ToolOutcome(problem, is_error=True, messages=tuple(forwarded))

    async def _finish_output(self, sub: _Subagent) -> tuple[str, str] | None:
        """The task's end in its output file, and its worktree released: (path, branch) when kept."""
        worktree, sub.worktree = sub.worktree, None
        if worktree is None:
            sub.output.finish()
            return None
        if await worktrees.release(worktree):
            sub.output.finish()
            return str(worktree.path), worktree.branch
        gone = dict.fromkeys(("worktreePath", "spawnedWithWorktree", "worktreeBranch", "isBuiltIn"))
        sub.output.finish(**gone, worktreeCleanlyRemoved=True)
        return None

    async def _drive(self, sub: _Subagent, prompt: str, collected: list[Message]) -> AsyncIterator[Message]:
        """One turn of a subagent: its messages as the parent stream shows them, with the task's
        progress (before a tool call in the foreground, after it in the background, as the CLI);
        each also goes to its output file."""
        task = sub.task
        async for message in sub.engine.turn(prompt):
            collected.append(message)
            sub.output.add(message, sub.tool_use_id)
            # the CLI shows a background subagent's text whether or not forward_subagent_text is set
            shown = subagents.forwarded(
                message,
                sub.tool_use_id,
                text=self.options.forward_subagent_text or task.background,
                session_id=self.session_id,
            )
            progress = task.progress(message)
            listed = [shown] if shown is not None else []
            for out in [*listed, *progress] if task.background else [*progress, *listed]:
                yield out

    async def _in_background(self, sub: _Subagent, prompt: str, work: Background) -> AsyncIterator[Message]:
        """A background subagent's run: its messages, the task's end, and its notification for the model."""
        collected: list[Message] = []
        try:
            async for message in self._drive(sub, prompt, collected):
                yield message
            text, failed = subagents.final_text(collected)
        except Exception as exc:  # the task fails; the parent's turn goes on
            text, failed = f"Error: the subagent could not run: {exc}", True
        for message in sub.task.finished_messages(text, failed=failed):
            yield message
        kept = await self._finish_output(sub)
        await self._subagent_stop(sub, text, failed=failed)
        used = list(dict.fromkeys(c.name for c in subagents.tool_calls(collected)))
        work.tells.append(sub.task.notification(text, failed=failed, tools_used=used, worktree=kept))
        if failed or cli_facts.SEND_MESSAGE_TOOL not in self.offered_names():
            await self._forget(sub)

    async def _send_message(self, tool_use_id: str, tool_input: dict[str, Any]) -> ToolOutcome:
        """SendMessage: continue a finished subagent's conversation in the background, as the CLI."""
        to = str(tool_input.get("to") or "")
        sub = self._subagents.get(to)
        if sub is None and cli_facts.SEND_MESSAGE_AGENT_ID.fullmatch(to):
            refused = {"success": False, "message": cli_facts.SEND_MESSAGE_NO_TRANSCRIPT.format(to=to)}
            return ToolOutcome([{"type": "text", "text": _compact(refused)}], structured=refused)
        if sub is None:
            refused = {"success": False, "message": cli_facts.SEND_MESSAGE_UNKNOWN.format(to=to)}
            shown = {**refused, "display": cli_facts.SEND_MESSAGE_UNKNOWN_DISPLAY.format(to=to)}
            return ToolOutcome([{"type": "text", "text": _compact(refused)}], structured=shown)
        agent_id = sub.task.task_id
        message = str(tool_input.get("message") or "")
        sub.task.restart(tool_use_id)
        sub.task.background = True
        said = cli_facts.SEND_MESSAGE_RESUMING.format(short_id=agent_id[: cli_facts.SEND_MESSAGE_SHORT_ID])
        pin = {"id": agent_id, "name": agent_id, "ref": sub.ref}
        answer = {"success": True, "message": said, "resumedAgentId": agent_id, "pin": pin}
        structured = {
            "success": True,
            "message": said,
            "resumedAgentId": agent_id,
            "revivedAgentId": agent_id,
            "pin": pin,
        }
        prompt = cli_facts.SEND_MESSAGE_PROMPT.format(message=message)
        return ToolOutcome(
            [{"type": "text", "text": _compact(answer)}],
            structured=structured,
            messages=tuple(sub.task.started_messages(message)),
            background=Background(lambda work: self._in_background(sub, prompt, work)),
        )

    async def _subagent_stop(self, sub: _Subagent, text: str, *, failed: bool) -> None:
        assert self.hooks is not None
        await self.hooks.run(
            "SubagentStop",
            {
                "hook_event_name": "SubagentStop",
                "stop_hook_active": False,
                "agent_id": sub.task.task_id,
                "agent_transcript_path": str(sub.output.transcript),
                "agent_type": sub.kind,
                **({"last_assistant_message": text} if not failed else {}),
                "session_crons": [],
            },
        )

    async def _forget(self, sub: _Subagent) -> None:
        """Close a subagent that cannot be continued."""
        self._subagents.pop(sub.task.task_id, None)
        await sub.engine.aclose()

    async def _execute(self, name: str, tool_input: dict[str, Any]) -> ToolOutcome:
        if name in self._sdk or name in self._ext_tools:
            tool = name.split("__", 2)[2]
            if name in self._sdk:
                result = await sdk_mcp.call_sdk_tool(self._sdk[name][0], tool, tool_input)
            else:
                result = await self._ext_tools[name][0].call(tool, tool_input)
            if result.is_error:
                return self._mcp_error(name, result.content)
            # like the Claude SDK, an MCP tool's result is its list of content blocks
            return ToolOutcome(list(result.content), is_error=False, structured=result.content)
        self._state["permission_mode"] = self.mode
        outcome = await BUILTIN_TOOLS[name].run(tool_input, self.context())
        changed = self._state.get("permission_mode")
        if self.gate is not None and isinstance(changed, str) and changed != self.gate.mode:
            self.gate.set_permission_mode(changed)  # EnterPlanMode / ExitPlanMode
        return outcome

    def _mcp_error(self, name: str, blocks: list[dict[str, Any]]) -> ToolOutcome:
        """An MCP tool's error as the CLI shows it: its text, and on the tool's first error of the
        session the note with its input schema, when the tool was deferred and not loaded."""
        text = cli_facts.mcp_error_text(blocks)
        shown = cli_facts.MCP_ERROR_SHOWN.format(text=text)
        if name in self.deferred and name not in self._loaded and name not in self._schema_noted:
            self._schema_noted.add(name)
            spec = (self._sdk.get(name) or self._ext_tools[name])[1]
            schema = json.dumps(spec.input_schema, separators=(",", ":"), ensure_ascii=False)
            text = f"{text}\n\n{cli_facts.MCP_SCHEMA_NOTE.format(schema=schema, name=name)}"
        return ToolOutcome(text, is_error=True, structured=shown)


@dataclasses.dataclass
class _Subagent:
    """A subagent the session started, kept open while SendMessage can continue it."""

    engine: Engine
    task: subagents.TaskMessages
    kind: str
    tool_use_id: str  # the Agent call that started it: its forwarded messages name this call
    ref: str  # SendMessage's ``pin.ref``
    output: task_output.TaskOutput  # its transcript, where the task messages' output_file points
    worktree: worktrees.Worktree | None = None  # its own git worktree until released


def _compact(payload: dict[str, Any]) -> str:
    """A JSON result as the CLI writes it: no spaces."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _servers(value: Any) -> dict[str, dict[str, Any]]:
    """``mcp_servers`` as a dict: the option may also be a JSON string or a path to a JSON file."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if isinstance(v, dict)}
    if not value:
        return {}
    text = str(value)
    path = Path(text)
    raw = path.read_text(encoding="utf-8") if not text.lstrip().startswith("{") and path.exists() else text
    data = json.loads(raw)
    servers = data.get("mcpServers", data) if isinstance(data, dict) else {}
    return {k: v for k, v in servers.items() if isinstance(v, dict)}
