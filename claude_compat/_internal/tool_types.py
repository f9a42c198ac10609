"""The tool types the engine and every tool host share: a call, its outcome, the host's interface.

A leaf of the engine's package (it imports no engine module), so the engine, the tool host and the
built-in tools all import it at module level, with no import cycle to dodge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..types import ClaudeAgentOptions, Message, SystemMessage
from . import unoffered
from .cli_request import CliReminders

__all__ = ["Background", "ToolCall", "ToolHost", "ToolHostFactory", "ToolOutcome"]


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model made, as the engine hands it to the tool host."""

    id: str
    name: str
    input: dict[str, Any]
    input_error: str | None = None


@dataclass
class Background:
    """Work a tool launched that goes on after its result (a background subagent).

    The engine runs it right after showing the result, before the model's next request, and
    yields its messages; what it ``tells`` the model (its task notification) reaches the model as
    the CLI's does, after that request: with the next tool result, or as the prompt of a turn of
    its own when the model ends the turn first.
    """

    run: Callable[[Background], AsyncIterator[Message]]
    tells: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ToolOutcome:
    """What running (or refusing) a tool call produced."""

    content: str | list[dict[str, Any]]
    is_error: bool = False
    structured: Any = None  # UserMessage.tool_use_result
    denied: bool = False
    denied_input: dict[str, Any] | None = None  # the input the denial lists, when not the call's
    model_note: str = ""  # hooks' context: the model reads it after the result; the program does not see it
    notices: tuple[SystemMessage, ...] = ()  # system messages shown before the result (permission_denied)
    after: tuple[Message, ...] = ()  # shown after the result (a hook's systemMessage, a skill's text)
    stop: bool = False  # a PostToolUse hook answered continue_=False: the turn ends on this result
    interrupt: bool = False  # stop the turn after this result (PermissionResultDeny(interrupt=True))
    messages: tuple[Message, ...] = ()  # a subagent's forwarded messages, shown before the result
    background: Background | None = None  # runs after the result is shown (see Background)


class ToolHost:
    """The tools a session offers the model. The base offers none: every call is an error result."""

    #: Called by a host right before a permitted call starts to run (the engine journals it, so a
    #: turn that dies mid-tool is later reported as "may have run", not "never ran").
    on_start: Callable[[ToolCall], None] | None = None

    def client_tools(self) -> list[dict[str, Any]]:
        """Letta client-tool specs (name, description, JSON-schema parameters)."""
        return []

    def tool_names(self) -> list[str]:
        """Names listed in the init message."""
        return self.offered_names()

    def offered_names(self) -> list[str]:
        """Names of the tools the model can call."""
        return [t["name"] for t in self.client_tools()]

    async def routed(self) -> list[str]:
        """Tools the model may call before they are offered (deferred MCP tools): the session routes
        their calls to the client. Known before the session opens (the MCP servers are listed)."""
        return []

    async def open(
        self, session_id: str, model_handle: str | None = None, *, claude_model: str | None = None
    ) -> None:
        """Prepare the tools of a session on a model (list MCP tools, build the permission gate).

        ``claude_model``: the Claude model whose CLI texts the tools take (default: the handle's own)."""

    def mcp_servers_status(self) -> list[dict[str, Any]]:
        """The init message's ``mcp_servers`` entries."""
        return []

    def reminders(self, cli: CliReminders | None) -> list[str]:
        """``<system-reminder>`` blocks the model reads before a session's first prompt (the tools')."""
        return []

    def rebind(self, session_id: str) -> None:
        """The conversation was replaced (``/clear``): later calls and hooks belong to this session."""

    async def aclose(self) -> None:
        """Stop what the tools started (external MCP servers, background shells)."""

    def set_permission_mode(self, mode: str) -> None:
        """Change the permission mode of the following calls."""

    async def run(self, call: ToolCall) -> ToolOutcome:
        """Run one call; never raises (failures become error outcomes)."""
        content, shown = unoffered.no_such_tool(call.name, self.offered_names())
        return ToolOutcome(content, is_error=True, structured=shown)


class ToolHostFactory(Protocol):
    """Makes the tool host of a session from its options (``ClaudeToolHost`` is one).

    Whoever starts an engine passes it in (the public entry points, and the tool host for the
    subagents it starts), so the engine imports no tool host and a tool host may start engines.
    """

    def __call__(
        self, options: ClaudeAgentOptions, *, cwd: str, ask_rules: Sequence[str] = ()
    ) -> ToolHost: ...
