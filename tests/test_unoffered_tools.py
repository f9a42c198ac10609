"""Calls to tools the session does not offer: shown, answered with the CLI's error, and the model goes on.

The texts asserted here were recorded from the real claude_agent_sdk 0.2.188 (bundled CLI) against
the scripted Anthropic API, for the same model output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    query,
)
from claude_compat._internal.unoffered import no_such_tool, routed_names
from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn


def label(m: Any) -> str:
    if isinstance(m, SystemMessage):
        return f"Sys:{m.subtype}"
    if isinstance(m, AssistantMessage):
        block = m.content[0]
        return f"A[{block.name}]" if isinstance(block, ToolUseBlock) else "A[Text]"
    if isinstance(m, UserMessage):
        block = m.content[0]
        assert isinstance(block, ToolResultBlock)
        return "U[ToolResult" + ("!" if block.is_error else "") + "]"
    if isinstance(m, ResultMessage):
        return f"Result:{m.subtype}"
    return type(m).__name__


async def run(prompt: str, options: ClaudeAgentOptions) -> list[Any]:
    return [m async for m in query(prompt=prompt, options=options)]


def then_say(model: ScriptedModel, text: str) -> None:
    model.add_rule(Rule(last_tool=".", reply=Turn(text=text), times=1))


def results(messages: list[Any]) -> list[tuple[Any, Any, Any]]:
    return [
        (m.content[0].content, m.content[0].is_error, m.tool_use_result)
        for m in messages
        if isinstance(m, UserMessage)
    ]


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_call_to_an_unknown_tool_is_shown_and_answered_with_the_cli_error(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(Turn(tool_calls=[ToolCall("Teleport", {"where": "moon"}, id="c1")]))
    then_say(scripted_model, "could not teleport")

    messages = await run("teleport", ClaudeAgentOptions(cwd=tmp_path))

    assert [label(m) for m in messages] == [
        "Sys:init",
        "A[Teleport]",
        "U[ToolResult!]",
        "A[Text]",
        "Result:success",
    ]
    assert messages[1].content[0] == ToolUseBlock(id="c1", name="Teleport", input={"where": "moon"})
    assert results(messages) == [
        (
            "<tool_use_error>Error: No such tool available: Teleport</tool_use_error>",
            True,
            "Error: No such tool available: Teleport",
        )
    ]
    assert messages[-1].result == "could not teleport" and messages[-1].num_turns == 2


@pytest.mark.anyio
@pytest.mark.letta
async def test_with_partial_messages_the_error_result_follows_the_call(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(Turn(tool_calls=[ToolCall("Teleport", {"where": "moon"}, id="c1")]))
    then_say(scripted_model, "could not teleport")

    messages = await run("teleport", ClaudeAgentOptions(cwd=tmp_path, include_partial_messages=True))

    # the order of the call, its error and the answer (request announcements: test_partial_messages)
    shown = [label(m) for m in messages if not isinstance(m, StreamEvent) and label(m) != "Sys:status"]
    assert shown == ["Sys:init", "A[Teleport]", "U[ToolResult!]", "A[Text]", "Result:success"]


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_disallowed_tool_never_runs_and_the_model_gets_the_cli_words(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(Turn(tool_calls=[ToolCall("Bash", {"command": "touch made.txt"}, id="c1")]))
    then_say(scripted_model, "Bash is off")
    text = (
        "<tool_use_error>Error: No such tool available: Bash. Bash is disabled for this session, in "
        "subagents as well as here.</tool_use_error>"
    )

    messages = await run(
        "make a file",
        ClaudeAgentOptions(cwd=tmp_path, disallowed_tools=["Bash"], permission_mode="bypassPermissions"),
    )

    assert [label(m) for m in messages] == [
        "Sys:init",
        "A[Bash]",
        "U[ToolResult!]",
        "A[Text]",
        "Result:success",
    ]
    assert results(messages) == [
        (text, True, text.removeprefix("<tool_use_error>").removesuffix("</tool_use_error>"))
    ]
    assert not (tmp_path / "made.txt").exists()
    assert "Bash" not in messages[0].data["tools"]
    assert "Bash is disabled for this session" in str(scripted_model.completions[-1].messages)


@pytest.mark.anyio
@pytest.mark.letta
async def test_the_legacy_task_name_is_disabled_with_agent(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(Turn(tool_calls=[ToolCall("Task", {"prompt": "x", "description": "d"}, id="c1")]))
    then_say(scripted_model, "no subagents")

    messages = await run("delegate", ClaudeAgentOptions(cwd=tmp_path, disallowed_tools=["Agent"]))

    assert results(messages)[0][0] == (
        "<tool_use_error>Error: No such tool available: Task. Task is disabled for this session, in "
        "subagents as well as here.</tool_use_error>"
    )
    assert "Task is disabled" in str(scripted_model.completions[-1].messages)


# --- the CLI's words for each kind of name (pure) -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "offered", "detail"),
    [
        ("FooTool", ["Read"], ""),
        ("mcp__nope__t", ["Read"], ""),
        ("TodoWrite", ["Read"], ". TodoWrite is disabled for this session, in subagents as well as here."),
        ("Write", ["Read", "Grep"], ". Write is disabled for this session, in subagents as well as here."),
        (
            "Glob",
            ["Bash", "Read"],
            ". Glob is not available in this session \u2014 find files with `find` via the Bash tool "
            "instead.",
        ),
        ("bash", ["Bash", "Read"], ". Tool names are case-sensitive: call Bash instead."),
    ],
)
def test_no_such_tool_names_what_the_cli_names(name: str, offered: list[str], detail: str) -> None:
    content, shown = no_such_tool(name, offered)
    assert content == f"<tool_use_error>Error: No such tool available: {name}{detail}</tool_use_error>"
    assert shown == f"Error: No such tool available: {name}{detail}"


def test_only_whole_tool_names_are_routed_to_the_client_with_their_legacy_names() -> None:
    assert routed_names(["Bash", "Bash(rm:*)", "mcp__srv", "mcp__srv__tool", "Agent"]) == [
        "Bash",
        "mcp__srv__tool",
        "Agent",
        "Task",
    ]


def test_letta_s_refusal_of_an_unoffered_call_becomes_a_call_and_its_answer() -> None:
    """What Letta 0.16.8 streams for a call to a tool it was not offered (recorded)."""
    from letta_backend.translate import BlockFinished, RunTranslator, ToolAnswered

    refusal = "[ToolConstraintError] Cannot call FooTool, valid tools include: ['Read']."
    events = [
        {
            "id": "message-1",
            "message_type": "tool_call_message",
            "otid": "o1",
            "tool_calls": [{"arguments": '{"x": 1}', "name": "FooTool", "tool_call_id": "call_foo"}],
        },
        {
            "id": "message-2",
            "message_type": "tool_return_message",
            "status": "error",
            "tool_call_id": "call_foo",
            "tool_return": refusal,
            "tool_returns": [{"status": "error", "tool_call_id": "call_foo", "tool_return": refusal}],
        },
        {"id": "message-3", "message_type": "assistant_message", "otid": "o3", "content": "after foo"},
    ]
    translator = RunTranslator()
    out = [e for event in events for e in translator.feed(event)]

    finished = [e for e in out if isinstance(e, (BlockFinished, ToolAnswered))]
    assert [type(e).__name__ for e in finished] == ["BlockFinished", "ToolAnswered"]
    block = finished[1].block
    assert (block.tool_name, block.tool_input()[0], block.refused_by_server) == ("FooTool", {"x": 1}, True)
    assert [b.kind for b in translator.blocks] == ["tool_use", "text"]
