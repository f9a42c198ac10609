"""Deferred tools and ToolSearch: the model gets the CLI's deferred tools only after loading them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    SystemMessage,
    ToolResultBlock,
    UserMessage,
    query,
)
from claude_compat._internal import cli_facts, tool_search
from claude_compat._internal.builtins import BUILTIN_TOOLS, cli_tool_set
from claude_compat._internal.options import deferred_tools
from claude_compat.testing import ScriptedModel, ToolCall, Turn

if TYPE_CHECKING:
    from conftest import RealCli

_SPECS = [
    {"name": n, "description": BUILTIN_TOOLS[n].description, "parameters": BUILTIN_TOOLS[n].input_schema}
    for n in ("NotebookEdit", "TaskStop", "WebFetch", "WebSearch")
]
#: What the CLI counts in ``total_deferred_tools`` for its default set: Cron*, worktrees, Monitor,
#: NotebookEdit, SendMessage, the task list, TaskStop, WebFetch, WebSearch (measured: 15).
_CLI_DEFERRED = 15
_READ = {"name": "Read", "description": BUILTIN_TOOLS["Read"].description, "parameters": {}}


def test_the_default_set_defers_the_tools_the_cli_defers_and_an_explicit_set_without_toolsearch_none() -> (
    None
):
    default = cli_tool_set(None, allowed=[], disallowed=[], interactive=False, env={})
    assert tool_search.deferred_of(default, runnable=BUILTIN_TOOLS) == [
        "NotebookEdit",
        "TaskStop",
        "WebFetch",
        "WebSearch",
    ]
    assert deferred_tools(ClaudeAgentOptions()) == [
        "NotebookEdit",
        "SendMessage",
        "TaskStop",
        "WebFetch",
        "WebSearch",
    ]
    assert deferred_tools(ClaudeAgentOptions(tools=["Read", "WebFetch"])) == []  # offered directly
    assert deferred_tools(ClaudeAgentOptions(tools=["ToolSearch", "WebFetch"])) == ["WebFetch"]
    assert deferred_tools(ClaudeAgentOptions(disallowed_tools=["ToolSearch"])) == []


def test_toolsearch_has_the_clis_texts_when_recorded_and_the_projects_own_without_them() -> None:
    own = tool_search.tool_spec({})
    assert own["name"] == "ToolSearch" and own["description"] == tool_search.DESCRIPTION
    assert own["parameters"]["required"] == ["query"] and own["parameters"]["additionalProperties"] is False
    recorded = {"ToolSearch": {"description": "the CLI's words", "parameters": {"type": "object"}}}
    assert tool_search.tool_spec(recorded) == {
        "name": "ToolSearch",
        "description": "the CLI's words",
        "parameters": {"type": "object"},
    }
    assert tool_search.reminder([]) == ""
    told = tool_search.reminder(["WebFetch", "NotebookEdit"])
    assert told.startswith("<system-reminder>\n") and told.endswith(
        "\nNotebookEdit\nWebFetch\n</system-reminder>"
    )


def test_select_names_tools_exactly_and_drops_unknown_names() -> None:
    assert tool_search.search("select:WebFetch,NotebookEdit", 5, _SPECS, [_READ]) == [
        "WebFetch",
        "NotebookEdit",
    ]
    assert tool_search.search("select:Read,Nope", 5, _SPECS, [_READ]) == ["Read"]
    assert tool_search.search("select:KillShell", 5, _SPECS, []) == ["TaskStop"]  # the legacy name


def test_keywords_rank_the_deferred_tools_by_name_and_description() -> None:
    assert tool_search.search("notebook jupyter", 5, _SPECS, [_READ]) == ["NotebookEdit"]
    assert set(tool_search.search("web", 5, _SPECS, [])) == {"WebFetch", "WebSearch"}
    assert len(tool_search.search("web", 1, _SPECS, [])) == 1
    assert tool_search.search("+web search", 5, _SPECS, [])[0] == "WebSearch"
    assert tool_search.search("zzzqqq", 5, _SPECS, []) == []
    assert tool_search.search("webfetch", 5, _SPECS, []) == ["WebFetch"]  # a tool's own name


def test_the_program_sees_the_clis_result_and_the_model_the_definitions() -> None:
    specs = {str(s["name"]): s for s in _SPECS}
    found = tool_search.search_outcome("select:WebFetch", ["WebFetch"], specs, 4)
    assert found.content == [{"type": "tool_reference", "tool_name": "WebFetch"}]
    assert found.structured == {
        "matches": ["WebFetch"],
        "query": "select:WebFetch",
        "total_deferred_tools": 4,
    }
    assert found.model_note.startswith("<functions>\n<function>{")
    assert json.loads(found.model_note.split("<function>")[1].split("</function>")[0])["name"] == "WebFetch"
    none = tool_search.search_outcome("zzz", [], specs, 4)
    assert none.content == cli_facts.TOOL_SEARCH_NO_MATCH and not none.is_error


def _tool_names(request: Any) -> list[str]:
    return [t["function"]["name"] for t in request.tools]


def _notebook(path: Path) -> None:
    cell = {
        "cell_type": "code",
        "id": "c1",
        "source": "print(1)",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
    }
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


@pytest.mark.anyio
@pytest.mark.letta
async def test_the_model_loads_a_deferred_tool_with_toolsearch_and_then_calls_it(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    notebook = tmp_path / "nb.ipynb"
    _notebook(notebook)
    edit = {"notebook_path": str(notebook), "cell_id": "c1", "new_source": "print(2)"}
    scripted_model.push(
        Turn(
            tool_calls=[ToolCall("ToolSearch", {"query": "select:NotebookEdit", "max_results": 5}, "call_ts")]
        ),
        Turn(tool_calls=[ToolCall("NotebookEdit", edit, "call_nb")]),
        "edited",
    )
    options = ClaudeAgentOptions(cwd=str(tmp_path), permission_mode="bypassPermissions")
    messages = [m async for m in query(prompt="change the cell", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error, messages[-1]
    init = messages[0]
    assert isinstance(init, SystemMessage) and {"ToolSearch", "NotebookEdit"} <= set(init.data["tools"])
    results = {
        b.tool_use_id: (b, m.tool_use_result)
        for m in messages
        if isinstance(m, UserMessage) and isinstance(m.content, list)
        for b in m.content
        if isinstance(b, ToolResultBlock)
    }
    block, shown = results["call_ts"]
    assert block.content == [{"type": "tool_reference", "tool_name": "NotebookEdit"}]
    assert shown == {
        "matches": ["NotebookEdit"],
        "query": "select:NotebookEdit",
        "total_deferred_tools": _CLI_DEFERRED,
    }
    assert not results["call_nb"][0].is_error, results["call_nb"]
    assert json.loads(notebook.read_text())["cells"][0]["source"] in ("print(2)", ["print(2)"])
    first, second, third = scripted_model.completions[:3]
    assert "ToolSearch" in _tool_names(first) and "NotebookEdit" not in _tool_names(first)
    assert not {"WebFetch", "WebSearch", "TaskStop"} & set(_tool_names(first))
    told = json.dumps([m for m in first.messages if m.get("role") == "user"])
    assert "deferred tools are now available via ToolSearch" in told and "\\nNotebookEdit\\n" in told
    assert "NotebookEdit" in _tool_names(second) and "WebFetch" not in _tool_names(second)
    answer = [m for m in second.messages if m.get("role") == "tool"][-1]
    assert answer["content"].startswith("<functions>\n") and '"name": "NotebookEdit"' in answer["content"]
    assert "NotebookEdit" in _tool_names(third)
    assert not any(isinstance(m, AssistantMessage) and m.error for m in messages)


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_deferred_tool_called_before_it_is_loaded_runs_as_in_the_cli(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    notebook = tmp_path / "nb.ipynb"
    _notebook(notebook)
    edit = {"notebook_path": str(notebook), "cell_id": "c1", "new_source": "print(3)"}
    scripted_model.push(Turn(tool_calls=[ToolCall("NotebookEdit", edit, "call_nb")]), "edited")
    options = ClaudeAgentOptions(cwd=str(tmp_path), permission_mode="bypassPermissions")
    messages = [m async for m in query(prompt="change the cell", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error, messages[-1]
    results = [
        b for m in messages if isinstance(m, UserMessage) and isinstance(m.content, list) for b in m.content
    ]
    assert [type(b) for b in results] == [ToolResultBlock] and not results[0].is_error, results
    assert json.loads(notebook.read_text())["cells"][0]["source"] in ("print(3)", ["print(3)"])
    assert "NotebookEdit" not in _tool_names(scripted_model.completions[0])


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_keyword_search_needs_no_permission_and_an_unmatched_one_loads_nothing(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(
        Turn(tool_calls=[ToolCall("ToolSearch", {"query": "zzzqqq", "max_results": 5}, "call_none")]),
        Turn(tool_calls=[ToolCall("ToolSearch", {"query": "jupyter notebook", "max_results": 5}, "call_kw")]),
        "found it",
    )
    messages = [m async for m in query(prompt="find a tool", options=ClaudeAgentOptions(cwd=str(tmp_path)))]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error, messages[-1]
    shown = {
        b.tool_use_id: (b.content, b.is_error, m.tool_use_result)
        for m in messages
        if isinstance(m, UserMessage) and isinstance(m.content, list)
        for b in m.content
        if isinstance(b, ToolResultBlock)
    }
    assert shown["call_none"] == (
        cli_facts.TOOL_SEARCH_NO_MATCH,
        None,
        {"matches": [], "query": "zzzqqq", "total_deferred_tools": _CLI_DEFERRED},
    )
    assert shown["call_kw"][0] == [{"type": "tool_reference", "tool_name": "NotebookEdit"}]
    _, second, third = scripted_model.completions[:3]
    assert "NotebookEdit" not in _tool_names(second) and "NotebookEdit" in _tool_names(third)


@pytest.mark.parametrize(
    ("env", "model", "kind"),
    [
        ({}, None, "on"),
        ({"ENABLE_TOOL_SEARCH": "true"}, None, "on"),
        ({"ENABLE_TOOL_SEARCH": "auto:0"}, None, "on"),
        ({"ENABLE_TOOL_SEARCH": "false"}, None, "off"),
        ({"ENABLE_TOOL_SEARCH": "0"}, None, "off"),
        ({"ENABLE_TOOL_SEARCH": "auto:100"}, None, "off"),
        ({"ENABLE_TOOL_SEARCH": "auto"}, None, "auto"),
        ({"ENABLE_TOOL_SEARCH": "auto:25"}, None, "auto"),
        ({"CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS": "1"}, None, "off"),
        ({}, "claude-3-5-haiku-20241022", "off"),
        ({}, "claude-sonnet-4-5", "on"),
    ],
)
def test_the_search_mode_follows_the_clis_variable_and_model(
    env: dict[str, str], model: str | None, kind: str
) -> None:
    assert tool_search.search_mode(env, model).kind == kind


def test_auto_defers_only_when_the_tools_take_their_share_of_the_context_window() -> None:
    small = [{"name": "mcp__s__t", "description": "d" * 100, "parameters": {}}]
    big = [{"name": "mcp__s__t", "description": "d" * 60_000, "parameters": {}}]
    auto = tool_search.search_mode({"ENABLE_TOOL_SEARCH": "auto"}, None)
    assert auto.percent == cli_facts.TOOL_SEARCH_AUTO_PERCENT
    assert not tool_search.defers(auto, small, 200_000)
    assert tool_search.defers(auto, big, 200_000)  # 20,000 tokens = 50,000 characters
    assert tool_search.defers(tool_search.search_mode({"ENABLE_TOOL_SEARCH": "auto:1"}, None), small, 1_000)


def _mcp_server(always_load: bool = False) -> dict[str, Any]:
    from claude_compat import create_sdk_mcp_server, tool

    @tool("add", "Add two numbers", {"a": float, "b": float})
    async def add(args: dict[str, Any]) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}

    server: dict[str, Any] = dict(create_sdk_mcp_server("calc", tools=[add]))
    if always_load:
        server["alwaysLoad"] = True
    return server


@pytest.mark.anyio
@pytest.mark.letta
@pytest.mark.parametrize(
    ("env", "always_load", "deferred"),
    [({}, False, True), ({"ENABLE_TOOL_SEARCH": "false"}, False, False), ({}, True, False)],
)
async def test_mcp_tools_wait_for_toolsearch_as_in_the_cli_and_a_direct_call_still_runs(
    scripted_model: ScriptedModel, tmp_path: Path, env: dict[str, str], always_load: bool, deferred: bool
) -> None:
    call = ToolCall("mcp__calc__add", {"a": 2, "b": 3}, "call_add")
    scripted_model.push(Turn(tool_calls=[call]), "five")
    options = ClaudeAgentOptions(
        cwd=str(tmp_path),
        env=env,
        mcp_servers={"calc": _mcp_server(always_load)},
        allowed_tools=["mcp__calc__add"],
    )
    messages = [m async for m in query(prompt="add", options=options)]
    assert isinstance(messages[-1], ResultMessage) and not messages[-1].is_error, messages[-1]
    init = messages[0]
    assert isinstance(init, SystemMessage) and "mcp__calc__add" in init.data["tools"]
    assert ("ToolSearch" in init.data["tools"]) is (env == {})  # the CLI drops it when turned off
    result = next(
        b
        for m in messages
        if isinstance(m, UserMessage) and isinstance(m.content, list)
        for b in m.content
        if isinstance(b, ToolResultBlock)
    )
    assert not result.is_error and result.content == [{"type": "text", "text": "5"}]
    first = scripted_model.completions[0]
    told = json.dumps([m for m in first.messages if m.get("role") == "user"])
    assert ("mcp__calc__add" not in _tool_names(first)) is deferred
    assert ("\\nmcp__calc__add\\n" in told) is deferred
    assert ("ToolSearch" in _tool_names(first)) is (env == {})
    assert ("deferred tools are now available" in told) is (env == {})


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the real SDK's side: one loop is enough
async def test_the_deferred_tools_reminder_lists_mcp_tools_as_the_cli_does(
    real_cli: RealCli, tmp_path: Path
) -> None:
    """Differential: the real CLI's first request for the same MCP server, against what claude-compat
    tells the model, with tool search on (default) and off."""
    from claude_compat._internal.toolhost import ClaudeToolHost

    sdk = real_cli.sdk

    @sdk.tool("add", "Add two numbers", {"a": float, "b": float})
    async def add(args: dict[str, Any]) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": "x"}]}

    for index, env in enumerate(({}, {"ENABLE_TOOL_SEARCH": "false"})):
        model = ScriptedModel("claude-sonnet-4-5").push("ok")
        work = tmp_path / f"work{index}"
        work.mkdir()
        await real_cli.query(
            "hi",
            model,
            home=tmp_path / f"home{index}",
            cwd=str(work),
            env=env,
            model="claude-sonnet-4-5",
            mcp_servers={"calc": sdk.create_sdk_mcp_server("calc", tools=[add])},
        )
        first = next(r.body for r in model.requests if r.body.get("tools") and r.body.get("system"))
        content = first["messages"][0]["content"]
        sent = [b["text"] for b in content if "deferred tools" in b.get("text", "")]
        host = ClaudeToolHost(ClaudeAgentOptions(env=env, mcp_servers={"calc": _mcp_server()}), cwd=str(work))
        await host.open("s", "anthropic/claude-sonnet-4-5")
        try:
            ours = [n for n in host.reminders(None) if "deferred tools" in n]
            # the CLI's list, less the CLI tools claude-compat does not run (see MIGRATING.md)
            names = [n for s in sent for n in s.split(":\n", 1)[1].split("\n")[:-1]]
            assert [n for n in names if n.startswith("mcp__")] == ([] if env else ["mcp__calc__add"])
            assert ours == ([tool_search.reminder([n for n in names if n in host.deferred])] if sent else [])
            cli_tools = {t["name"] for t in first["tools"]}
            assert ({"ToolSearch", "mcp__calc__add"} & cli_tools) == (
                {"ToolSearch", "mcp__calc__add"} & set(host.offered_names()) - set(host.deferred)
            )
        finally:
            await host.aclose()
