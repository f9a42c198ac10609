"""Subagents: the ``Agent`` tool (alias ``Task``) runs a child session with its own prompt, tools and model.

The child is a separate Letta conversation driven by its own Engine; its tool calls go through the
same permission gate rules and hooks. Its messages are forwarded with ``parent_tool_use_id`` set
(text and thinking only with ``forward_subagent_text``, as in the Claude SDK).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..types import (
    AgentDefinition,
    AssistantMessage,
    ClaudeAgentOptions,
    Message,
    ResultMessage,
    TextBlock,
    ThinkingBlock,
    UserMessage,
)

#: The subagent Claude offers when the program defines none of that name.
GENERAL_PURPOSE = AgentDefinition(
    description="General-purpose agent for researching complex questions and executing multi-step tasks.",
    prompt=(
        "You are an agent for a larger task. Given the user's message, use the tools available to "
        "complete the task fully, then answer with a concise report of what you found or did."
    ),
)

#: Claude model aliases a subagent definition may use; "inherit" keeps the parent's.
INHERIT = "inherit"


def agent_tool_spec(agents: dict[str, AgentDefinition]) -> dict[str, Any]:
    """The client-tool spec of ``Agent`` with the Claude input schema."""
    names = sorted({*agents, "general-purpose"})
    listing = "\n".join(f"- {n}: {(agents.get(n) or GENERAL_PURPOSE).description}" for n in names)
    return {
        "name": "Agent",
        "description": "Launch a subagent to handle a task on its own. Available agent types:\n" + listing,
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
            },
            "required": ["description", "prompt"],
        },
    }


def child_options(
    parent: ClaudeAgentOptions, definition: AgentDefinition, model: str | None
) -> ClaudeAgentOptions:
    """The options of a subagent session: its prompt, tools and model; the parent's policy and place."""
    chosen = model or definition.model
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


def forwarded(message: Message, tool_use_id: str, *, text: bool) -> Message | None:
    """A child message as the parent stream shows it, or None when Claude would not forward it."""
    if isinstance(message, AssistantMessage):
        if not text and all(isinstance(b, (TextBlock, ThinkingBlock)) for b in message.content):
            return None
        return dataclasses.replace(message, parent_tool_use_id=tool_use_id)
    if isinstance(message, UserMessage):
        return dataclasses.replace(message, parent_tool_use_id=tool_use_id)
    return None


def final_text(messages: list[Message]) -> tuple[str, bool]:
    """The child's answer and whether it ended in error."""
    result = next((m for m in reversed(messages) if isinstance(m, ResultMessage)), None)
    if result is None:
        return "The subagent ended without a result.", True
    if result.is_error:
        detail = "; ".join(result.errors or []) or result.result or result.subtype
        return f"The subagent failed: {detail}", True
    return result.result or "", False
