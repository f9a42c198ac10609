"""Claude Code's built-in tools, run on the user's machine: the registry and the ``tools=`` choice.

The Letta server runs the model loop and sees every tool here as a client tool; when the model calls
one, the engine runs it through :attr:`BuiltinTool.run` with the session's :class:`ToolContext`.
Result texts and ``tool_use_result`` shapes follow what the Claude CLI returns.
"""

from __future__ import annotations

from typing import Any

from ...errors import InvalidOptionError
from ._base import BuiltinTool, ToolContext, scratch_dir
from .bash import BASH, TASK_OUTPUT, TASK_STOP, shell_cwd, stop_background_tasks
from .files import EDIT, READ, WRITE
from .interactive import ASK_USER_QUESTION, ENTER_PLAN_MODE, EXIT_PLAN_MODE
from .notebook import NOTEBOOK_EDIT
from .search import GLOB, GREP
from .todo import TODO_WRITE
from .web import WEB_FETCH, WEB_SEARCH

__all__ = [
    "BUILTIN_TOOLS",
    "DEFAULT_TOOL_NAMES",
    "INTERACTIVE_TOOL_NAMES",
    "OTHER_TOOL_NAMES",
    "TOOL_ALIASES",
    "BuiltinTool",
    "ToolContext",
    "available_tools",
    "client_tool_spec",
    "scratch_dir",
    "shell_cwd",
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
        TASK_OUTPUT,
        TASK_STOP,
        TODO_WRITE,
        WEB_FETCH,
        WEB_SEARCH,
        WRITE,
    )
}

#: The ``claude_code`` preset: every built-in tool here (the subagent tool ``Agent`` is added by its runner).
DEFAULT_TOOL_NAMES: tuple[str, ...] = tuple(BUILTIN_TOOLS)

#: Tools that need someone to answer; the Claude SDK lists them only when ``can_use_tool`` is set.
INTERACTIVE_TOOL_NAMES: tuple[str, ...] = ("AskUserQuestion", "EnterPlanMode", "ExitPlanMode")

#: Claude tool names that are valid in ``tools=`` but implemented outside this package.
OTHER_TOOL_NAMES: tuple[str, ...] = ("Agent",)

#: Old or alternative names the Claude SDK still accepts, mapped to the current ones.
TOOL_ALIASES: dict[str, str] = {"Task": "Agent", "BashOutput": "TaskOutput", "KillShell": "TaskStop"}

#: Claude CLI tools with no local implementation yet (named in the error instead of "unknown").
_NOT_YET = frozenset(
    {
        "Skill",
        "SlashCommand",
        "ListMcpResourcesTool",
        "ReadMcpResourceTool",
        "TaskCreate",
        "TaskGet",
        "TaskUpdate",
        "TaskList",
        "EnterWorktree",
        "ExitWorktree",
        "MultiEdit",
        "LSP",
        "ToolSearch",
    }
)


def _canonical(name: str) -> str:
    return TOOL_ALIASES.get(name, name)


def _cli_order(name: str) -> tuple[bool, bool, str]:
    """The CLI's order of a ``tools=`` list: the subagent tool, built-ins by name, MCP tools as given."""
    mcp = name.startswith("mcp__")
    return (name != "Agent", mcp, "" if mcp else name)


def available_tools(tools: list[str] | dict[str, Any] | None, disallowed: list[str]) -> list[str]:
    """The tool names a session offers, from ``options.tools`` minus bare names in ``disallowed_tools``.

    ``None`` or the ``claude_code`` preset gives :data:`DEFAULT_TOOL_NAMES`; ``[]`` gives none; a list
    gives those tools in the CLI's order (aliases such as ``Task`` or ``BashOutput`` resolved). Rules
    with a pattern, such as ``Bash(rm:*)``, do not remove a tool: the permission gate applies them per
    call.
    """
    if tools is None:
        names = list(DEFAULT_TOOL_NAMES)
    elif isinstance(tools, dict):
        if tools.get("type") != "preset" or tools.get("preset") != "claude_code":
            raise InvalidOptionError(
                f"tools={tools!r} is not a known preset: use a list of tool names or "
                '{"type": "preset", "preset": "claude_code"}'
            )
        names = list(DEFAULT_TOOL_NAMES)
    elif isinstance(tools, (list, tuple)):
        names = []
        unknown: list[str] = []
        for raw in tools:
            name = _canonical(str(raw))
            if name in BUILTIN_TOOLS or name in OTHER_TOOL_NAMES or name.startswith("mcp__"):
                if name not in names:
                    names.append(name)
            else:
                unknown.append(str(raw))
        if unknown:
            valid = ", ".join(sorted([*BUILTIN_TOOLS, *OTHER_TOOL_NAMES, *TOOL_ALIASES]))
            not_yet = [n for n in unknown if n in _NOT_YET]
            detail = (
                f"{', '.join(not_yet)} {'is' if len(not_yet) == 1 else 'are'} not available on Letta yet"
                if not_yet
                else f"unknown tool name(s): {', '.join(unknown)}"
            )
            raise InvalidOptionError(
                f"tools= has {detail}. Remove them from tools=; valid built-in tool names: {valid}"
            )
        names.sort(key=_cli_order)  # as the CLI: its own order, whatever the program's
    else:
        raise InvalidOptionError(
            f"tools= must be a list of tool names, a preset dict or None, not {type(tools).__name__}"
        )
    removed = {_canonical(d.strip()) for d in disallowed if "(" not in d}
    return [n for n in names if n not in removed]


def client_tool_spec(tool: BuiltinTool) -> dict[str, Any]:
    """The tool as a Letta client-tool spec (name, description, JSON-schema parameters)."""
    return {"name": tool.name, "description": tool.description, "parameters": tool.input_schema}


def shutdown(state: dict[str, Any]) -> None:
    """Stop what a session's tools left running (background Bash tasks); call when the session closes."""
    stop_background_tasks(state)
