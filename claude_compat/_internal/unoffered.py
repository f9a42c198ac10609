"""Calls to tools the session does not offer: the CLI's error result, and which names to route to us.

The CLI shows such a call (its ToolUseBlock) and answers it with ``No such tool available: NAME``
plus a hint that depends on the name (a tool of the CLI that is disabled here, a search tool to
replace with the shell, a name that differs only in case); the model goes on. The words are in
:mod:`cli_facts`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from . import cli_facts

_TAG_OPEN, _TAG_CLOSE = "<tool_use_error>", "</tool_use_error>"


def no_such_tool(name: str, offered: Collection[str]) -> tuple[str, str]:
    """The CLI's error result for a call to ``name``: (tool result content, ``tool_use_result``)."""
    content = cli_facts.NO_SUCH_TOOL.format(name=name, detail=_detail(name, offered))
    return content, "Error: " + content.removeprefix(_TAG_OPEN + "Error: ").removesuffix(_TAG_CLOSE)


def _detail(name: str, offered: Collection[str]) -> str:
    if name in cli_facts.NO_SUCH_TOOL_SEARCH:
        if "Bash" in offered:
            return cli_facts.NO_SUCH_TOOL_SEARCH[name]
        return cli_facts.NO_SUCH_TOOL_SEARCH_NO_SHELL.format(name=name)
    if name in cli_facts.CLI_TOOL_NAMES:
        return cli_facts.NO_SUCH_TOOL_DISABLED.format(name=name)
    same = [o for o in offered if o.lower() == name.lower()]
    if len(same) == 1:
        return cli_facts.NO_SUCH_TOOL_CASE.format(offered=same[0])
    return ""


def routed_names(disallowed_tools: Iterable[str]) -> list[str]:
    """Tool names the program disallowed outright (no rule pattern): the session does not offer them.

    The server is told to hand a call to one of them to the client (a ``requires_approval`` rule),
    so the model gets the CLI's answer instead of the server's. A legacy name brings its new one
    and the other way round (``Task`` and ``Agent``).
    """
    names: list[str] = []
    for rule in disallowed_tools:
        if "(" in rule or not rule or (rule.startswith("mcp__") and rule.count("__") < 2):
            continue  # a pattern, or a whole MCP server: no single tool name to route
        for name in (rule, *_aliases(rule)):
            if name not in names:
                names.append(name)
    return names


def cli_names() -> list[str]:
    """The CLI's own tool names: a call to one the session does not offer goes to the client too.

    Models trained on the CLI call them (Glob and Grep above all) where they are not offered; routed,
    the call gets the CLI's answer instead of the server's own error. Any other unknown name the
    server answers itself (its rules name tools one by one).
    """
    return sorted(cli_facts.CLI_TOOL_NAMES | set(cli_facts.NO_SUCH_TOOL_SEARCH))


def _aliases(name: str) -> list[str]:
    legacy = cli_facts.LEGACY_TOOL_NAMES
    return [old for old, new in legacy.items() if new == name] + ([legacy[name]] if name in legacy else [])
