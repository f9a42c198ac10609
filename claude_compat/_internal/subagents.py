"""Subagents: the ``Agent`` tool (alias ``Task``) runs a child session with its own prompt, tools and model.

The child is a separate Letta conversation driven by its own Engine; its tool calls go through the
same permission gate rules and hooks. Its messages are forwarded with ``parent_tool_use_id`` set
(text and thinking only with ``forward_subagent_text``, as in the Claude SDK).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

from ..types import (
    AgentDefinition,
    AssistantMessage,
    ClaudeAgentOptions,
    Message,
    ResultMessage,
    TaskNotificationMessage,
    TaskProgressMessage,
    TaskStartedMessage,
    TaskUpdatedMessage,
    TaskUsage,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    UserMessage,
)
from . import cli_facts, messages, setting_sources
from .cli_request import AGENT_TYPES_HEADER, CliReminders

#: The ``task_type`` the CLI gives a subagent task.
TASK_TYPE = "local_agent"

#: What the built-in subagents may not use: they report back, they do not change files or delegate.
_READ_ONLY = ["Agent", "Task", "Edit", "Write", "NotebookEdit", "ExitPlanMode"]

#: The subagents the CLI always offers besides the program's (names as the CLI lists them; the
#: descriptions and prompts are the project's own words for what each is for).
#: The advice after the agent types when the CLI's own is not at hand (the project's words).
LAUNCH_ADVICE = (
    "Launch independent agents together, in one message with several Agent calls, so they run at once."
)

BUILTIN_AGENTS: dict[str, AgentDefinition] = {
    "claude": AgentDefinition(
        description="Catch-all agent for any task that does not fit a more specific agent.",
        prompt=(
            "You are an agent for a larger task. Given the user's message, use the tools available "
            "to complete the task fully, then answer with a concise report of what you did."
        ),
    ),
    "Explore": AgentDefinition(
        description=(
            "Read-only search agent: finds files, code and facts across a project and reports the "
            "conclusion. Say how thorough it should be."
        ),
        prompt=(
            "You are a read-only search agent. Find what the user's message asks for by reading and "
            "searching; change nothing. Answer with the conclusion and where you found it."
        ),
        disallowedTools=_READ_ONLY,
    ),
    "general-purpose": AgentDefinition(
        description=(
            "General-purpose agent for researching complex questions, searching for code and "
            "executing multi-step tasks."
        ),
        prompt=(
            "You are an agent for a larger task. Given the user's message, use the tools available to "
            "complete the task fully, then answer with a concise report of what you found or did."
        ),
    ),
    "Plan": AgentDefinition(
        description=(
            "Software architect agent: designs an implementation plan, names the critical files "
            "and weighs the trade-offs."
        ),
        prompt=(
            "You are a software architect. Read what you need, change nothing, and answer with a "
            "step-by-step implementation plan naming the files involved and the trade-offs."
        ),
        disallowedTools=_READ_ONLY,
    ),
    "statusline-setup": AgentDefinition(
        description="Configures the user's status line setting.",
        prompt="You configure the user's status line setting. Read the settings, then edit them as asked.",
        tools=["Read", "Edit"],
    ),
}

#: The subagent type a call without ``subagent_type`` runs.
DEFAULT_AGENT = "general-purpose"


def available_agents(options: ClaudeAgentOptions, cwd: str) -> dict[str, AgentDefinition]:
    """Every subagent a session offers: the built-in ones, the setting sources' agent files, then
    the program's ``agents`` (a later definition of a name wins), as the CLI assembles them."""
    return {
        **BUILTIN_AGENTS,
        **setting_sources.file_agents(cwd, options.setting_sources),
        **(options.agents or {}),
    }


def listed_names(agents: dict[str, AgentDefinition]) -> list[str]:
    """Agent names in the CLI's order (init message, tool schema): alphabetical, ignoring case."""
    return sorted(agents, key=str.lower)


#: Claude model aliases a subagent definition may use; "inherit" keeps the parent's.
INHERIT = "inherit"


def agent_types_reminder(agents: dict[str, AgentDefinition], cli: CliReminders | None) -> str:
    """The CLI's reminder listing the agent types: one line per agent in the CLI's order, then its
    advice on launching several. A built-in agent the program did not redefine keeps the CLI's own
    line (read from the installed CLI); any other agent reads ``- name: description (Tools: …)``."""
    cli_lines = cli.agent_lines if cli is not None else {}
    lines = [
        cli_lines[name]
        if name in cli_lines and agents[name] is BUILTIN_AGENTS.get(name)
        else f"- {name}: {agents[name].description} (Tools: {tools_label(agents[name])})"
        for name in listed_names(agents)
    ]
    footer = cli.agents_footer if cli is not None and cli.agents_footer else LAUNCH_ADVICE
    return "\n".join([AGENT_TYPES_HEADER, *lines]) + f"\n\n{footer}"


def tools_label(definition: AgentDefinition) -> str:
    """An agent's tools as the CLI lists them: its tools less the disallowed ones, else all tools
    (except the disallowed ones)."""
    denied = definition.disallowedTools or []
    if definition.tools:
        return ", ".join(t for t in definition.tools if t not in denied)
    return f"All tools except {', '.join(denied)}" if denied else "All tools"


def agent_tool_spec(agents: dict[str, AgentDefinition]) -> dict[str, Any]:
    """The client-tool spec of ``Agent`` with the Claude input schema."""
    names = listed_names(agents)
    listing = "\n".join(f"- {n}: {agents[n].description}" for n in names)
    return {
        "name": "Agent",
        "description": (
            "Launch a subagent to handle a task on its own. Subagents run in the background by "
            "default: you are notified with the report when one finishes (set run_in_background to "
            "false only when your very next step needs it). Continue a finished subagent with "
            "SendMessage. Available agent types:\n" + listing
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "description": {
                    "type": "string",
                    "description": "A short (3-5 word) description of the task",
                },
                "prompt": {"type": "string", "description": "The task for the agent to perform"},
                "subagent_type": {"type": "string", "enum": names, "description": "The type of agent"},
                "model": {"type": "string", "enum": ["sonnet", "opus", "haiku"]},
                "effort": {
                    "type": "string",
                    "enum": ["low", "medium", "high", "xhigh", "max"],
                    "description": "Reasoning effort for this agent, only when asked for explicitly",
                },
                "run_in_background": {
                    "type": "boolean",
                    "description": (
                        "Agents run in the background by default and you are notified when one "
                        "finishes; false only when your next step needs its result"
                    ),
                },
                "isolation": {
                    "type": "string",
                    "enum": ["worktree", "remote"],
                    "description": "Run the agent in an isolated copy of the repository",
                },
            },
            "required": ["description", "prompt"],
            "additionalProperties": False,
        },
    }


def send_message_tool_spec() -> dict[str, Any]:
    """The client-tool spec of ``SendMessage``: the CLI's input fields, the project's descriptions."""
    return {
        "name": cli_facts.SEND_MESSAGE_TOOL,
        "description": (
            "Send a message to a subagent this session started, by the agentId its Agent result "
            "gave: the subagent continues its own conversation with it in the background and you "
            "are notified when it finishes."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "to": {"type": "string", "description": "The subagent's agentId"},
                "summary": {
                    "type": "string",
                    "maxLength": 200,
                    "description": "A 5-10 word label for this message in your own transcript",
                },
                "message": {"type": "string", "default": "", "description": "The message to send"},
                "notify_when_idle": {
                    "type": "boolean",
                    "description": "Ask another local session for a notice when it goes idle",
                },
            },
            "required": ["to", "message"],
            "additionalProperties": False,
        },
    }


def runs_in_background(definition: AgentDefinition, tool_input: dict[str, Any], env: dict[str, str]) -> bool:
    """Whether the CLI launches this Agent call in the background (measured): never when background
    tasks are off; when the definition or the call asks for it (``background=True``,
    ``run_in_background: true``, either wins over the other's false); by default when neither says."""
    if env.get(cli_facts.DISABLE_BACKGROUND_TASKS_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    by_definition, by_call = definition.background, tool_input.get("run_in_background")
    if by_definition is True or by_call is True:
        return True
    return by_definition is None and by_call is None


def child_options(
    parent: ClaudeAgentOptions,
    definition: AgentDefinition,
    model: str | None,
    effort: str | None = None,
    *,
    parent_model: str | None = None,
) -> ClaudeAgentOptions:
    """The options of a subagent session: its prompt, tools, model and effort (the call's, else
    its definition's, else the parent's); the parent's policy and place. An alias naming the
    family of ``parent_model`` (the Claude model the parent runs) keeps the parent's, as the CLI."""
    chosen = model or definition.model
    if chosen in cli_facts.MODEL_FAMILY_ALIASES and parent_model and chosen in parent_model.lower():
        chosen = INHERIT
    by_definition = definition.effort if isinstance(definition.effort, str) else None
    chosen_effort: Any = effort or by_definition or parent.effort
    tools = definition.tools
    if tools is not None:
        tools = [t for t in tools if t not in ("Agent", "Task")]
    disallowed = [*parent.disallowed_tools, *(definition.disallowedTools or []), "Agent", "Task"]
    return dataclasses.replace(
        parent,
        system_prompt=definition.prompt,
        tools=tools,
        disallowed_tools=disallowed,
        model=parent.model if chosen in (None, INHERIT) else chosen,
        effort=chosen_effort,
        max_turns=definition.maxTurns or parent.max_turns,
        permission_mode=definition.permissionMode or parent.permission_mode,
        agents=None,
        resume=None,
        continue_conversation=False,
        fork_session=False,
        session_id=None,
        include_partial_messages=False,
        output_format=None,
        letta_agent_id=None,
        letta_agent_name=None,
    )


def forwarded(message: Message, tool_use_id: str, *, text: bool, session_id: str) -> Message | None:
    """A child message as the parent stream shows it (in the parent's session), or None when Claude
    would not forward it."""
    if isinstance(message, AssistantMessage):
        if not text and all(isinstance(b, (TextBlock, ThinkingBlock)) for b in message.content):
            return None
        return dataclasses.replace(message, parent_tool_use_id=tool_use_id, session_id=session_id)
    if isinstance(message, UserMessage):  # the CLI shows a subagent's tool results without tool_use_result
        return dataclasses.replace(message, parent_tool_use_id=tool_use_id, tool_use_result=None)
    return None


def activity(call: ToolUseBlock, cwd: str | Path = ".") -> str | None:
    """What a subagent's tool call is doing, as the CLI's task_progress says it (None: not said)."""
    fact = cli_facts.TASK_ACTIVITY.get(call.name)
    if fact is None or not isinstance(call.input, dict):
        return None
    text, fields, is_path = fact
    value = next((v for f in fields if isinstance(v := call.input.get(f), str) and v), None)
    if value is None:
        return None
    return text.format(shown_path(value, cwd) if is_path else value)


def shown_path(path: str, cwd: str | Path) -> str:
    """A path as the CLI shows it: relative inside the working directory, else ``~/…`` or whole."""
    where = Path(cwd).absolute()
    full = where / path  # an absolute path stays itself
    relative = os.path.relpath(full, where)
    if not relative.startswith(".."):
        return relative
    home = str(Path.home())
    return "~" + str(full)[len(home) :] if str(full).startswith(home + os.sep) else str(full)


def final_text(messages: list[Message]) -> tuple[str, bool]:
    """The child's answer and whether it ended in error."""
    result = next((m for m in reversed(messages) if isinstance(m, ResultMessage)), None)
    if result is None:
        return "The subagent ended without a result.", True
    if result.is_error:
        detail = "; ".join(result.errors or []) or result.result or result.subtype
        return f"The subagent failed: {detail}", True
    return result.result or "", False


def task_meta(
    kind: str,
    definition: AgentDefinition,
    tool_input: dict[str, Any],
    *,
    tool_use_id: str,
    model: str,
    builtin: bool,
    background: bool,
    worktree: tuple[str, str] | None,
) -> dict[str, Any]:
    """The task's ``agent-<id>.meta.json`` as the CLI writes it when the task starts (measured)."""
    meta: dict[str, Any] = {"agentType": kind}
    if builtin:
        meta["isBuiltIn"] = True
    if background and definition.background is None and tool_input.get("run_in_background") is None:
        meta["launchedWithDefaults"] = True
    if worktree is not None:
        meta.update(worktreePath=worktree[0], spawnedWithWorktree=True, worktreeBranch=worktree[1])
    meta.update(
        description=str(tool_input.get("description") or ""),
        toolUseId=tool_use_id,
        spawnDepth=1,
        requestShape="background" if background else "foreground",
        requestNonInteractive=True,
        model=model,
    )
    if not tool_input.get("model") and definition.model in (None, INHERIT):
        meta["modelNotNamed"] = True
    meta["pickedEffortModel"] = model
    return meta


class TaskMessages:
    """The CLI's system messages around a subagent task (recorded from the pinned CLI).

    Foreground: ``task_started``, the prompt as a UserMessage, ``task_progress`` before each tool
    call of the child, then ``task_updated`` (completed) and ``task_notification`` before the
    Agent result. Background: ``background_tasks_changed`` (the task listed) and ``task_started``
    before the launch result, no prompt, ``task_progress`` after each child message that calls a
    tool, then ``task_updated``, ``task_notification`` (the report) and ``background_tasks_changed``
    (none left)."""

    def __init__(
        self,
        session_id: str,
        tool_use_id: str,
        description: str,
        subagent_type: str,
        output_dir: str,
        *,
        background: bool = False,
        cwd: str | Path = ".",
    ) -> None:
        self.session_id = session_id
        self.cwd = cwd  # task_progress shows paths relative to it
        self.tool_use_id = tool_use_id
        self.description = description
        self.subagent_type = subagent_type
        self.background = background
        self.task_id = "a" + uuid.uuid4().hex[:16]
        self.output_file = f"{output_dir}/{self.task_id}.output"
        self.restart(tool_use_id)

    def restart(self, tool_use_id: str) -> None:
        """A new run of the task (SendMessage continues it): its own run id, call and counters."""
        self.tool_use_id = tool_use_id
        self.run_id = uuid.uuid4().hex[:18]
        self.started = time.monotonic()
        self.tokens = 0
        self.tool_uses = 0

    def _listed(self, running: bool) -> Message:
        """``background_tasks_changed``: the background tasks now running (this one, or none)."""
        entry = {
            "task_id": self.task_id,
            "run_id": self.run_id,
            "task_type": TASK_TYPE,
            "subagent_type": self.subagent_type,
            "description": self.description,
        }
        return messages.system(self.session_id, "background_tasks_changed", tasks=[entry] if running else [])

    def _data(self, subtype: str, **fields: Any) -> dict[str, Any]:
        """A task message's payload: the task's ids, its fields, a new uuid and the session id."""
        return messages.system_data(
            self.session_id, subtype, task_id=self.task_id, run_id=self.run_id, **fields
        )

    def usage(self) -> TaskUsage:
        return {
            "total_tokens": self.tokens,
            "tool_uses": self.tool_uses,
            "duration_ms": int((time.monotonic() - self.started) * 1000),
        }

    def started_messages(self, prompt: str) -> list[Message]:
        """``task_started`` and the subagent's prompt, shown with the Agent call's id."""
        data = self._data(
            "task_started",
            tool_use_id=self.tool_use_id,
            description=self.description,
            subagent_type=self.subagent_type,
            is_backgrounded=self.background,
            spawn_depth=1,
            task_type=TASK_TYPE,
            prompt=prompt,
        )
        started = TaskStartedMessage(
            subtype="task_started",
            data=data,
            task_id=self.task_id,
            description=self.description,
            uuid=data["uuid"],
            session_id=self.session_id,
            tool_use_id=self.tool_use_id,
            task_type=TASK_TYPE,
        )
        if self.background:
            return [self._listed(True), started]
        return [started, UserMessage(content=[TextBlock(text=prompt)], parent_tool_use_id=self.tool_use_id)]

    def progress(self, message: Message) -> list[Message]:
        """A ``task_progress`` message for each tool call in a child message (shown before it)."""
        if not isinstance(message, AssistantMessage):
            return []
        if isinstance(message.usage, dict):
            self.tokens += int(message.usage.get("input_tokens", 0)) + int(
                message.usage.get("output_tokens", 0)
            )
        out: list[Message] = []
        for block in message.content:
            if not isinstance(block, ToolUseBlock):
                continue
            self.tool_uses += 1
            description = activity(block, self.cwd) or self.description
            usage = self.usage()
            data = self._data(
                "task_progress",
                tool_use_id=self.tool_use_id,
                description=description,
                subagent_type=self.subagent_type,
                usage=dict(usage),
                last_tool_name=block.name,
            )
            out.append(
                TaskProgressMessage(
                    subtype="task_progress",
                    data=data,
                    task_id=self.task_id,
                    description=description,
                    usage=usage,
                    uuid=data["uuid"],
                    session_id=self.session_id,
                    tool_use_id=self.tool_use_id,
                    last_tool_name=block.name,
                )
            )
        return out

    def finished_messages(self, summary: str, *, failed: bool) -> list[Message]:
        """``task_updated`` (the task's new status) and ``task_notification`` (its report)."""
        status: Any = "failed" if failed else "completed"
        patch = {"status": status, "end_time": int(time.time() * 1000)}
        updated = self._data("task_updated", patch=patch)
        usage = self.usage()
        note = self._data(
            "task_notification",
            tool_use_id=self.tool_use_id,
            status=status,
            output_file=self.output_file,
            summary=summary,
            **({"summary_is_report": True} if self.background and not failed else {}),
            usage=dict(usage),
        )
        listed = [self._listed(False)] if self.background else []
        return [
            TaskUpdatedMessage(
                subtype="task_updated",
                data=updated,
                task_id=self.task_id,
                patch=patch,
                status=status,
                session_id=self.session_id,
                uuid=updated["uuid"],
            ),
            TaskNotificationMessage(
                subtype="task_notification",
                data=note,
                task_id=self.task_id,
                status=status,
                output_file=self.output_file,
                summary=summary,
                uuid=note["uuid"],
                session_id=self.session_id,
                tool_use_id=self.tool_use_id,
                usage=usage,
            ),
            *listed,
        ]

    def notification(
        self, result: str, *, failed: bool, tools_used: list[str], worktree: tuple[str, str] | None = None
    ) -> str:
        """What the model is told when the background task ended (see cli_facts.TASK_NOTIFICATION),
        naming the worktree it left as ``(path, branch)``."""
        status = "failed" if failed else "completed"
        usage = self.usage()
        note = cli_facts.TASK_NOTIFICATION.format(
            task_id=self.task_id,
            tool_use_id=self.tool_use_id,
            output_file=self.output_file,
            status=status,
            description=self.description,
            ended=cli_facts.TASK_ENDED[status],
            result=result,
            tokens=usage["total_tokens"],
            tool_uses=usage["tool_uses"],
            duration_ms=usage["duration_ms"],
            worktree=cli_facts.TASK_NOTIFICATION_WORKTREE.format(path=worktree[0], branch=worktree[1])
            if worktree
            else "",
        )
        if tools_used:
            return cli_facts.TASK_TOOLS_NOTE.format(tools=", ".join(tools_used)) + note
        return note


# --- the hand-back: the Agent tool's result when a foreground subagent finishes ----------------


def _last_reply(messages: list[Message]) -> list[AssistantMessage]:
    """The child's last model reply that has text: its AssistantMessages (one per block)."""
    replies: list[list[AssistantMessage]] = []
    for message in messages:
        if not isinstance(message, AssistantMessage):
            continue
        same = replies and message.message_id is not None and replies[-1][0].message_id == message.message_id
        if same:
            replies[-1].append(message)
        else:
            replies.append([message])
    for reply in reversed(replies):
        if any(isinstance(b, TextBlock) for m in reply for b in m.content):
            return reply
    return replies[-1] if replies else []


def tool_calls(messages: list[Message]) -> list[ToolUseBlock]:
    """The child's tool calls, in order."""
    return [
        b
        for m in messages
        if isinstance(m, AssistantMessage)
        for b in m.content
        if isinstance(b, ToolUseBlock)
    ]


def _lines(value: Any) -> int:
    return len(value.split("\n")) if isinstance(value, str) and value else 0


def tool_stats(calls: list[ToolUseBlock]) -> dict[str, int] | None:
    """``toolStats`` as the CLI counts a subagent's tool calls, or None when it called none."""
    stats = dict.fromkeys(
        (
            "readCount",
            "searchCount",
            "bashCount",
            "editFileCount",
            "linesAdded",
            "linesRemoved",
            "otherToolCount",
        ),
        0,
    )
    for call in calls:
        if call.name in cli_facts.SUBAGENT_TOOL_STAT_SKIPPED:
            continue
        stats[cli_facts.SUBAGENT_TOOL_STAT.get(call.name, "otherToolCount")] += 1
        added, removed = cli_facts.SUBAGENT_EDIT_LINES.get(call.name, (None, None))
        if added is not None and isinstance(call.input, dict):
            stats["linesAdded"] += _lines(call.input.get(added))
            stats["linesRemoved"] += _lines(call.input.get(removed)) if removed else 0
    counted = sum(v for k, v in stats.items() if not k.startswith("lines"))
    return stats if counted else None


def section_hash(blocks: list[dict[str, Any]]) -> str:
    """``harnessSectionHash``: the CLI's fingerprint of the result's text blocks (sha256 over the
    count and each text's length and text; lengths in UTF-16 units, as JavaScript counts them)."""
    digest = hashlib.sha256(str(len(blocks)).encode())
    for block in blocks:
        text = str(block.get("text", ""))
        digest.update(f":{len(text.encode('utf-16-le')) // 2}:".encode())
        digest.update(text.encode())
    return digest.hexdigest()[:16]


def _indented(text: str) -> str:
    lines = re.sub(r"\r\n?|[\u2028\u2029\u0085\v\f\x1c-\x1e]", "\n", text).split("\n")
    return cli_facts.HANDBACK_INDENT + ("\n" + cli_facts.HANDBACK_INDENT).join(lines)


@dataclasses.dataclass(frozen=True)
class Handback:
    """A finished foreground subagent as the CLI hands it back: the text the model (and the
    program's ToolResultBlock) gets, and the structured ``tool_use_result``."""

    text: str
    structured: dict[str, Any]


#: The usage fields the hand-back's ``totalTokens`` adds up.
_COUNTED_TOKENS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")


def handback(
    messages: list[Message],
    *,
    prompt: str,
    agent_id: str,
    agent_type: str,
    duration_ms: int,
    can_continue: bool,
    worktree: tuple[str, str] | None = None,
) -> Handback:
    """The Agent tool's result for a child that finished: its last reply's text under the CLI's
    frame, harness notes above it (the tools it used), and the trailer with its totals (and the
    worktree it left, as ``(path, branch)``)."""
    reply = _last_reply(messages)
    report = [{"type": "text", "text": b.text} for m in reply for b in m.content if isinstance(b, TextBlock)]
    calls = tool_calls(messages)
    used = list(dict.fromkeys(c.name for c in calls))
    notes = (
        [{"type": "text", "text": cli_facts.HANDBACK_TOOLS_USED.format(tools=", ".join(used))}]
        if used
        else []
    )
    content = [*notes, *report]
    usage = _last_usage(messages)
    tokens = sum(int(usage.get(k) or 0) for k in _COUNTED_TOKENS)
    model = next((m.model for m in reversed(messages) if isinstance(m, AssistantMessage) and m.model), "")
    structured: dict[str, Any] = {
        "status": "completed",
        "prompt": prompt,
        "agentId": agent_id,
        "agentType": agent_type,
        **({"toolsUsed": used} if used else {}),
        "harnessNoteCount": len(notes),
        "harnessTailCount": 0,
        "harnessSectionHash": section_hash(content),
        "content": content,
        "resolvedModel": model,
        "totalDurationMs": duration_ms,
        "totalTokens": tokens,
        "totalToolUseCount": len(calls),
        "usage": usage,
        **_stats_and_worktree(calls, worktree),
        "canContinueAgent": can_continue,
    }
    framed = _framed(content, len(notes))
    if agent_type in cli_facts.HANDBACK_REPORT_ONLY_AGENTS:
        return Handback(framed, structured)
    hint = cli_facts.HANDBACK_CONTINUE_HINT.format(agent_id=agent_id) if can_continue else ""
    kept = cli_facts.HANDBACK_WORKTREE.format(path=worktree[0], branch=worktree[1]) if worktree else ""
    trailer = cli_facts.HANDBACK_TRAILER.format(
        agent_id=agent_id,
        continue_hint=hint,
        worktree=kept,
        tokens=tokens,
        tool_uses=len(calls),
        duration_ms=duration_ms,
    )
    return Handback(framed + "\n" + trailer, structured)


def _stats_and_worktree(calls: list[ToolUseBlock], worktree: tuple[str, str] | None) -> dict[str, Any]:
    """The hand-back's ``toolStats`` (when it called tools) and the worktree it left, if any."""
    stats = tool_stats(calls)
    return {
        **({"toolStats": stats} if stats is not None else {}),
        **({"worktreePath": worktree[0], "worktreeBranch": worktree[1]} if worktree is not None else {}),
    }


def _last_usage(messages: list[Message]) -> dict[str, Any]:
    """The usage of the child's last model reply over the CLI's defaults (the hand-back's ``usage``)."""
    last = next(
        (
            m.usage
            for m in reversed(messages)
            if isinstance(m, AssistantMessage) and isinstance(m.usage, dict)
        ),
        {},
    )
    return {**copy.deepcopy(cli_facts.SUBAGENT_USAGE_DEFAULTS), **last}


def _framed(content: list[dict[str, Any]], note_count: int) -> str:
    """The report under the CLI's hand-back frame, the harness notes above it, all indented."""
    shown = content or [{"type": "text", "text": cli_facts.HANDBACK_NO_OUTPUT}]
    above = [_indented(n["text"]) for n in shown[: note_count if content else 0]]
    below = [b["text"] for b in shown[len(above) :]]
    if not below and above:  # notes only: the CLI shows them without the frame
        return "\n".join(above)
    body = "\n".join(below) or cli_facts.HANDBACK_NO_TEXT
    return "\n".join([*above, cli_facts.HANDBACK_FRAME + "\n" + _indented(body)])
