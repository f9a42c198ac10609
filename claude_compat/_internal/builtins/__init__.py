"""Claude Code's built-in tools, run on the user's machine: the registry and the ``tools=`` choice.

The Letta server runs the model loop and sees every tool here as a client tool; when the model calls
one, the engine runs it through :attr:`BuiltinTool.run` with the session's :class:`ToolContext`.
Result texts and ``tool_use_result`` shapes follow what the Claude CLI returns.
"""

from __future__ import annotations

import warnings
from typing import Any

from ...errors import InvalidOptionError
from .. import cli_facts
from ._base import BuiltinTool, ToolContext, scratch_dir
from .bash import BASH, TASK_STOP, shell_cwd, stop_background_tasks
from .files import EDIT, READ, WRITE
from .interactive import ASK_USER_QUESTION, ENTER_PLAN_MODE, EXIT_PLAN_MODE
from .notebook import NOTEBOOK_EDIT
from .search import GLOB, GREP
from .skill import SKILL
from .todo import TODO_WRITE
from .web import WEB_FETCH, WEB_SEARCH

__all__ = [
    "BUILTIN_TOOLS",
    "RUN_HERE",
    "BuiltinTool",
    "ToolContext",
    "cli_tool_set",
    "search_tools_named",
    "client_tool_spec",
    "scratch_dir",
    "shell_cwd",
    "shown_name",
    "shutdown",
]

BUILTIN_TOOLS: dict[str, BuiltinTool] = {
    t.name: t
    for t in (
        ASK_USER_QUESTION,
        BASH,
        EDIT,
        ENTER_PLAN_MODE,
        EXIT_PLAN_MODE,
        GLOB,
        GREP,
        NOTEBOOK_EDIT,
        READ,
        SKILL,
        TASK_STOP,
        TODO_WRITE,
        WEB_FETCH,
        WEB_SEARCH,
        WRITE,
    )
}

#: Tools of the CLI that claude-compat runs: the built-ins here, the subagent tools and the tool that
#: loads deferred tools (the tool host answers those).
RUN_HERE: frozenset[str] = frozenset({*BUILTIN_TOOLS, "Agent", "SendMessage", cli_facts.TOOL_SEARCH})

_CLI_TOOLS = {t.name: t for t in cli_facts.CLI_TOOLS}


def _canonical(name: str) -> str:
    return cli_facts.LEGACY_TOOL_NAMES.get(name, name)


def _cli_order(name: str) -> tuple[bool, str]:
    """The CLI's order of a session's tools: the subagent tool first, then by name."""
    return (name != "Agent", name)


def shown_name(name: str) -> str:
    """The name the init message gives a tool (the CLI lists the subagent tool as ``Task``)."""
    tool = _CLI_TOOLS.get(name)
    return tool.shown_as or name if tool is not None else name


def cli_tool_set(
    tools: list[str] | dict[str, Any] | None,
    *,
    allowed: list[str],
    disallowed: list[str],
    interactive: bool,
    env: dict[str, str],
) -> list[str]:
    """The pinned CLI's tools a session has, by the names the model calls, in the CLI's order.

    ``None`` or the ``claude_code`` preset gives the CLI's default set (see :data:`cli_facts.CLI_TOOLS`:
    Glob and Grep only without Bash or when :func:`search_tools_named`, the interactive tools only when
    ``interactive``); a list gives the CLI tools it names (legacy names resolved; MCP names are the MCP
    servers' business; a name the CLI does not know is dropped with a warning, as the CLI drops it).
    Bare names in ``disallowed`` remove tools; patterns such as ``Bash(rm:*)`` are per-call rules.
    """
    tasks = cli_facts.tasks_enabled(env)
    exists = {n for n, t in _CLI_TOOLS.items() if t.tasks is None or t.tasks == tasks}
    removed = {_canonical(d.strip()) for d in disallowed if "(" not in d}
    if tools is None or isinstance(tools, dict):
        if isinstance(tools, dict) and (
            tools.get("type") != "preset" or tools.get("preset") != "claude_code"
        ):
            raise InvalidOptionError(
                f"tools={tools!r} is not a known preset: use a list of tool names or "
                '{"type": "preset", "preset": "claude_code"}'
            )
        named = search_tools_named(tools, allowed)
        base = {
            n
            for n in exists - removed
            if _CLI_TOOLS[n].default
            and not _CLI_TOOLS[n].unless
            and (interactive or not _CLI_TOOLS[n].interactive)
        }
        names = {n for n in base if not _CLI_TOOLS[n].needs or _CLI_TOOLS[n].needs in base}
        for n in exists - removed:  # the search tools: where there is no shell, or when allowed by name
            unless = _CLI_TOOLS[n].unless
            if unless and (unless not in base or named):
                names.add(n)
    elif isinstance(tools, (list, tuple)):
        names = set()
        dropped: list[str] = []
        for raw in tools:
            name = _canonical(str(raw))
            if name in exists:
                names.add(name)
            elif not name.startswith("mcp__"):
                dropped.append(str(raw))
        if dropped:
            warnings.warn(
                f"tools= names {', '.join(dropped)}, which the Claude CLI does not offer: it "
                "leaves them out, and so does claude-compat. Its tools: " + ", ".join(sorted(exists)),
                UserWarning,
                stacklevel=2,
            )
        names -= removed
    else:
        raise InvalidOptionError(
            f"tools= must be a list of tool names, a preset dict or None, not {type(tools).__name__}"
        )
    return sorted(names, key=_cli_order)


def search_tools_named(tools: list[str] | dict[str, Any] | None, allowed: list[str]) -> bool:
    """Whether ``tools=`` (a list) or ``allowed`` names one of the CLI's search tools (a rule's tool
    counts): the CLI then offers both beside Bash, and words its Bash text for them
    (:data:`cli_facts.SEARCH_TOOLS`)."""
    listed = [str(t) for t in tools] if isinstance(tools, (list, tuple)) else []
    names = {_canonical(n.split("(", 1)[0].strip()) for n in [*listed, *allowed]}
    return bool(names & cli_facts.SEARCH_TOOLS)


def client_tool_spec(tool: BuiltinTool) -> dict[str, Any]:
    """The tool as a Letta client-tool spec (name, description, JSON-schema parameters)."""
    return {"name": tool.name, "description": tool.description, "parameters": tool.input_schema}


def shutdown(state: dict[str, Any]) -> None:
    """Stop what a session's tools left running (background Bash tasks); call when the session closes."""
    stop_background_tasks(state)
