"""Tools through the real local Letta server: the model calls, the engine decides and runs locally."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookMatcher,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultError,
    ResultMessage,
    SystemMessage,
    TaskStartedMessage,
    TextBlock,
    ToolPermissionContext,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    create_sdk_mcp_server,
    query,
    tool,
)
from claude_compat.testing import Rule, ScriptedModel, ToolCall, Turn
from claude_compat.testing._script import last_tool_text

pytestmark = [pytest.mark.anyio, pytest.mark.letta]

SHOUT_SERVER = Path(__file__).parent / "mcp_servers" / "shout_server.py"


def label(m: Any) -> str:
    if isinstance(m, SystemMessage):
        return f"Sys:{m.subtype}"
    if isinstance(m, AssistantMessage):
        return "A[" + type(m.content[0]).__name__.replace("Block", "") + "]"
    if isinstance(m, UserMessage):
        block = m.content[0]
        assert isinstance(block, ToolResultBlock)
        return "U[ToolResult" + ("!" if block.is_error else "") + "]"
    if isinstance(m, ResultMessage):
        return f"Result:{m.subtype}"
    return type(m).__name__


async def run(prompt: str, options: ClaudeAgentOptions) -> list[Any]:
    return [m async for m in query(prompt=prompt, options=options)]


def tool_result(messages: list[Any]) -> ToolResultBlock:
    block = next(m for m in messages if isinstance(m, UserMessage)).content[0]
    assert isinstance(block, ToolResultBlock)
    return block


def then_say(model: ScriptedModel, text: str = "done") -> None:
    model.add_rule(Rule(last_tool=".", reply=Turn(text=text), times=1))


async def test_read_runs_locally_and_the_model_gets_cat_n_text(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("alpha\nbeta\n")
    scripted_model.push(
        Turn(
            text="Let me read it.",
            tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "notes.txt")}, id="call_r")],
        )
    )
    then_say(scripted_model, "It says alpha and beta.")

    messages = await run("What is in notes.txt?", ClaudeAgentOptions(cwd=tmp_path))

    assert [label(m) for m in messages] == [
        "Sys:init",
        "A[Text]",
        "A[ToolUse]",
        "U[ToolResult]",
        "A[Text]",
        "Result:success",
    ]
    use = messages[2].content[0]
    assert isinstance(use, ToolUseBlock) and use.id == "call_r" and use.name == "Read"
    result = tool_result(messages)
    assert result.tool_use_id == "call_r" and "1\talpha" in str(result.content)
    user = messages[3]
    assert isinstance(user.tool_use_result, dict) and user.tool_use_result["type"] == "text"
    assert messages[-1].num_turns == 2 and messages[-1].result == "It says alpha and beta."
    assert "Read" in messages[0].data["tools"]
    assert "alpha" in str(scripted_model.completions[-1].messages[-1]["content"])


async def test_a_mutating_bash_call_is_denied_headless_and_never_runs(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(Turn(tool_calls=[ToolCall("Bash", {"command": "touch created.txt"}, id="call_b")]))
    then_say(scripted_model)

    messages = await run("make a file", ClaudeAgentOptions(cwd=tmp_path))

    assert [label(m) for m in messages] == [
        "Sys:init",
        "A[ToolUse]",
        "Sys:permission_denied",
        "U[ToolResult!]",
        "A[Text]",
        "Result:success",
    ]
    assert not (tmp_path / "created.txt").exists()
    assert messages[-1].permission_denials == [
        {"tool_name": "Bash", "tool_use_id": "call_b", "tool_input": {"command": "touch created.txt"}}
    ]


async def test_bypass_permissions_runs_bash_with_the_options_env(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(
        Turn(tool_calls=[ToolCall("Bash", {"command": "echo $GREETING > out.txt"}, id="call_b")])
    )
    then_say(scripted_model)

    messages = await run(
        "write it",
        ClaudeAgentOptions(cwd=tmp_path, permission_mode="bypassPermissions", env={"GREETING": "hello-env"}),
    )

    assert messages[-1].subtype == "success"
    assert (tmp_path / "out.txt").read_text().strip() == "hello-env"


async def test_a_bash_command_running_past_the_clis_threshold_is_shown_as_a_task_as_the_cli(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    slow = {"command": "sleep 3.5; echo slow", "description": "Wait, then say slow"}
    scripted_model.push(
        Turn(tool_calls=[ToolCall("Bash", slow, id="call_slow")]),
        Turn(tool_calls=[ToolCall("Bash", {"command": "echo quick"}, id="call_quick")]),
        Turn(text="done"),
    )

    messages = await run("slow, then quick", ClaudeAgentOptions(cwd=tmp_path, allowed_tools=["Bash"]))

    assert [label(m) for m in messages] == [
        "Sys:init",
        "A[ToolUse]",
        "Sys:task_started",
        "Sys:task_notification",
        "U[ToolResult]",
        "A[ToolUse]",
        "U[ToolResult]",  # a quick command is no task
        "A[Text]",
        "Result:success",
    ]
    started, note = messages[2], messages[3]
    assert isinstance(started, TaskStartedMessage)
    assert (started.tool_use_id, started.description, started.task_type) == (
        "call_slow",
        "Wait, then say slow",
        "local_bash",
    )
    assert started.data["is_backgrounded"] is False and started.task_id.startswith("b")
    assert (note.data["task_id"], note.data["status"], note.data["summary"]) == (
        started.task_id,
        "completed",
        "Wait, then say slow",
    )


async def test_can_use_tool_deny_and_allow_with_updated_input(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    seen: list[tuple[str, str | None]] = []

    async def decide(name: str, tool_input: dict[str, Any], ctx: ToolPermissionContext) -> Any:
        seen.append((name, ctx.tool_use_id))
        if "forbidden" in tool_input.get("file_path", ""):
            return PermissionResultDeny(message="not that one")
        return PermissionResultAllow(updated_input={**tool_input, "content": "rewritten"})

    scripted_model.push(
        Turn(
            tool_calls=[
                ToolCall(
                    "Write", {"file_path": str(tmp_path / "forbidden.txt"), "content": "x"}, id="call_1"
                ),
                ToolCall(
                    "Write", {"file_path": str(tmp_path / "ok.txt"), "content": "original"}, id="call_2"
                ),
            ]
        )
    )
    then_say(scripted_model)

    messages = await run("write two files", ClaudeAgentOptions(cwd=tmp_path, can_use_tool=decide))

    labels = [label(m) for m in messages]
    assert "Sys:permission_denied" not in labels  # a callback's deny emits no system message
    assert labels.count("U[ToolResult!]") == 1 and labels.count("U[ToolResult]") == 1
    assert not (tmp_path / "forbidden.txt").exists()
    assert (tmp_path / "ok.txt").read_text() == "rewritten"
    assert [d["tool_use_id"] for d in messages[-1].permission_denials] == ["call_1"]
    assert seen == [("Write", "call_1"), ("Write", "call_2")]


async def test_an_sdk_mcp_tool_runs_in_process(scripted_model: ScriptedModel) -> None:
    @tool("add", "Add two numbers", {"a": float, "b": float})
    async def add(args: dict[str, Any]) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}

    @tool("explode", "Always fails", {})
    async def explode(args: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("kaboom")

    calc = create_sdk_mcp_server("calc", tools=[add, explode])
    scripted_model.push(
        Turn(
            tool_calls=[
                ToolCall("mcp__calc__add", {"a": 2, "b": 3}, id="c1"),
                ToolCall("mcp__calc__explode", {}, id="c2"),
            ]
        )
    )
    then_say(scripted_model, "5, and one failure")

    messages = await run(
        "add",
        ClaudeAgentOptions(mcp_servers={"calc": calc}, allowed_tools=["mcp__calc"]),
    )

    results = [m.content[0] for m in messages if isinstance(m, UserMessage)]
    assert [r.is_error for r in results] == [None, True]  # Claude leaves is_error unset on success
    assert "5" in str(results[0].content) and "kaboom" in str(results[1].content)
    assert messages[-1].subtype == "success" and messages[-1].result == "5, and one failure"
    assert {"name": "calc", "status": "connected"} in messages[0].data["mcp_servers"]
    offered = {t["function"]["name"] for t in scripted_model.completions[0].tools}
    assert not {"mcp__calc__add", "mcp__calc__explode"} & offered  # deferred, as the CLI defers them
    told = json.dumps([m for m in scripted_model.completions[0].messages if m.get("role") == "user"])
    assert "\\nmcp__calc__add\\nmcp__calc__explode\\n" in told  # named in the deferred-tools reminder


async def test_an_sdk_mcp_tools_errors_read_as_the_clis(scripted_model: ScriptedModel) -> None:
    @tool("divide", "Divide", {"a": float, "b": float})
    async def divide(args: dict[str, Any]) -> dict[str, Any]:
        if args["b"] == 0:
            lines = [{"type": "text", "text": "no"}, {"type": "text", "text": "zero"}]
            return {"content": lines, "is_error": True}
        return {"content": [{"type": "text", "text": str(args["a"] / args["b"])}]}

    @tool("mute", "Fails silently", {})
    async def mute(args: dict[str, Any]) -> dict[str, Any]:
        return {"content": [], "is_error": True}

    calc = create_sdk_mcp_server("calc", tools=[divide, mute])
    calls = [
        ToolCall("mcp__calc__divide", {"a": 1, "b": 2}, id="c1"),  # a success changes nothing
        ToolCall("mcp__calc__divide", {"a": 1, "b": 0}, id="c2"),  # the tool's first error: the note
        ToolCall("mcp__calc__divide", {"a": 2, "b": 0}, id="c3"),  # its second: the text alone
        ToolCall("mcp__calc__mute", {}, id="c4"),
    ]
    scripted_model.push(*(Turn(tool_calls=[call]) for call in calls), Turn(text="done"))

    options = ClaudeAgentOptions(mcp_servers={"calc": calc}, allowed_tools=["mcp__calc"])
    messages = await run("divide", options)

    answers = [m for m in messages if isinstance(m, UserMessage)]
    blocks = [m.content[0] for m in answers]
    assert [b.is_error for b in blocks] == [None, True, True, True]
    note = (
        "\n\nThis tool's input schema was not in your prompt when you called it. The input schema is: "
        '{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}\n'
    )
    assert isinstance(blocks[1].content, str) and blocks[1].content.startswith("no\nzero" + note)
    assert blocks[1].content.endswith('"select:mcp__calc__divide" to load the tool, then call it again.')
    assert blocks[2].content == "no\nzero"
    assert isinstance(blocks[3].content, str) and blocks[3].content.startswith("Unknown error\n\nThis tool's")
    assert [m.tool_use_result for m in answers[1:]] == ["Error: no\nzero"] * 2 + ["Error: Unknown error"]
    assert "This tool's input schema" in (last_tool_text(scripted_model.completions[2].messages) or "")


async def test_external_stdio_mcp_server_and_a_failed_one(scripted_model: ScriptedModel) -> None:
    scripted_model.push(Turn(tool_calls=[ToolCall("mcp__shout__shout", {"text": "hi"}, id="c1")]))
    then_say(scripted_model)
    servers: dict[str, Any] = {
        "shout": {"type": "stdio", "command": sys.executable, "args": [str(SHOUT_SERVER)]},
        "broken": {"type": "stdio", "command": "/nonexistent/mcp-server"},
    }

    messages = await run("shout", ClaudeAgentOptions(mcp_servers=servers, allowed_tools=["mcp__shout"]))

    status = {s["name"]: s["status"] for s in messages[0].data["mcp_servers"]}
    assert status == {"shout": "connected", "broken": "failed"}
    assert tool_result(messages).content == [{"type": "text", "text": "HI"}]


async def test_a_pre_tool_use_hook_denies_and_the_tool_never_runs(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    async def block_bash(hook_input: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        return {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": "blocked by hook",
            }
        }

    scripted_model.push(Turn(tool_calls=[ToolCall("Bash", {"command": "touch hooked.txt"}, id="c1")]))
    then_say(scripted_model)

    messages = await run(
        "go",
        ClaudeAgentOptions(
            cwd=tmp_path,
            permission_mode="bypassPermissions",
            hooks={"PreToolUse": [HookMatcher(matcher="Bash", hooks=[block_bash])]},
        ),
    )

    result = tool_result(messages)
    assert result.is_error and "blocked by hook" in str(result.content)
    assert not (tmp_path / "hooked.txt").exists()


async def test_max_turns_ends_with_error_max_turns_and_the_session_resumes(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("x\n")
    scripted_model.push(Turn(tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "a.txt")}, id="c1")]))
    seen: list[Any] = []

    with pytest.raises(ResultError) as info:
        async for m in query(prompt="read", options=ClaudeAgentOptions(cwd=tmp_path, max_turns=1)):
            seen.append(m)

    assert [label(m) for m in seen] == ["Sys:init", "A[ToolUse]", "U[ToolResult]", "Result:error_max_turns"]
    assert info.value.subtype == "error_max_turns"
    scripted_model.push("resumed fine")
    again = await run("continue", ClaudeAgentOptions(cwd=tmp_path, resume=seen[-1].session_id))
    assert again[-1].result == "resumed fine"


async def test_a_call_to_an_unknown_tool_gets_an_error_result_and_the_turn_goes_on(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(Turn(tool_calls=[ToolCall("Teleport", {"where": "moon"}, id="c1")]))
    then_say(scripted_model, "could not teleport")

    messages = await run("teleport", ClaudeAgentOptions(cwd=tmp_path))

    assert messages[-1].subtype == "success"
    errors = [m.content[0] for m in messages if isinstance(m, UserMessage)]
    assert [(e.content, e.is_error) for e in errors] == [
        ("<tool_use_error>Error: No such tool available: Teleport</tool_use_error>", True)
    ]


async def test_a_subagent_runs_as_a_child_session_with_its_own_prompt(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    from claude_compat import AgentDefinition

    (tmp_path / "data.txt").write_text("42\n")
    scripted_model.push(
        Turn(
            tool_calls=[
                ToolCall(
                    "Agent",
                    {
                        "description": "read data",
                        "prompt": "Read data.txt",
                        "subagent_type": "reader",
                        "run_in_background": False,
                    },
                    id="parent_call",
                )
            ]
        )
    )
    scripted_model.add_rule(
        Rule(
            last_user="Read data.txt",
            reply=Turn(
                tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "data.txt")}, id="child_call")]
            ),
            times=1,
        )
    )
    scripted_model.add_rule(Rule(last_tool="42", reply=Turn(text="The file holds 42."), times=1))
    scripted_model.add_rule(
        Rule(last_tool="The file holds 42", reply=Turn(text="The subagent says 42."), times=1)
    )

    messages = await run(
        "what is in data.txt?",
        ClaudeAgentOptions(
            cwd=tmp_path,
            agents={
                "reader": AgentDefinition(
                    description="Reads files", prompt="You are the reader subagent.", tools=["Read"]
                )
            },
        ),
    )

    # as the CLI shows a foreground task: started, the prompt, progress per tool call, the child's
    # messages, updated and notification, then the Agent call's result
    start = next(i for i, m in enumerate(messages) if isinstance(m, TaskStartedMessage))
    shown = messages[start : start + 8]
    assert [type(m).__name__ for m in shown] == [
        "TaskStartedMessage",
        "UserMessage",
        "TaskProgressMessage",
        "AssistantMessage",
        "UserMessage",
        "TaskUpdatedMessage",
        "TaskNotificationMessage",
        "UserMessage",
    ]
    started, prompt, progress, _, _, updated, note, _ = shown
    assert started.data["tool_use_id"] == "parent_call" and started.data["subagent_type"] == "reader"
    assert started.data["prompt"] == "Read data.txt" and started.data["is_backgrounded"] is False
    assert started.description == "read data" and started.task_type == "local_agent"
    assert prompt.content == [TextBlock(text="Read data.txt")] and prompt.parent_tool_use_id == "parent_call"
    assert progress.last_tool_name == "Read" and progress.usage["tool_uses"] == 1
    assert progress.description == "Reading data.txt"  # as the CLI words a Read
    assert updated.status == "completed" and updated.patch["status"] == "completed"
    assert note.status == "completed" and note.summary == "The file holds 42."
    assert note.output_file.endswith(f"/tasks/{started.task_id}.output")
    assert len({started.task_id, progress.task_id, updated.task_id, note.task_id}) == 1
    child = [m for m in messages if getattr(m, "parent_tool_use_id", None) == "parent_call"][1:]
    assert [label(m) for m in child] == ["A[ToolUse]", "U[ToolResult]"]
    parent_result = next(m for m in messages if isinstance(m, UserMessage) and m.parent_tool_use_id is None)
    assert "The file holds 42." in str(parent_result.content[0].content)
    assert messages[-1].result == "The subagent says 42."
    child_system = [
        r.messages[0]["content"]
        for r in scripted_model.completions
        if "subagent" in str(r.messages[0]["content"])
    ]
    assert child_system and "You are the reader subagent." in child_system[0]
    assert "Task" in messages[0].data["tools"]  # the CLI lists the subagent tool as Task
    assert "Agent" in [t["function"]["name"] for t in scripted_model.completions[0].tools]  # model: Agent


async def test_a_finished_subagent_is_handed_back_as_the_cli_hands_it_back(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    import hashlib
    import re

    from claude_compat import AgentDefinition
    from claude_compat.testing import Usage

    (tmp_path / "data.txt").write_text("42\n")
    scripted_model.push(
        Turn(
            tool_calls=[
                ToolCall(
                    "Agent",
                    {
                        "description": "read data",
                        "prompt": "Read data.txt",
                        "subagent_type": "reader",
                        "run_in_background": False,
                    },
                    id="parent_call",
                )
            ]
        )
    )
    scripted_model.add_rule(
        Rule(
            last_user="Read data.txt",
            reply=Turn(
                tool_calls=[ToolCall("Read", {"file_path": str(tmp_path / "data.txt")}, id="child_call")]
            ),
            times=1,
        )
    )
    report = "The file holds 42.\nNothing else."
    scripted_model.add_rule(
        Rule(last_tool="42", reply=Turn(text=report, usage=Usage(input_tokens=70, output_tokens=11)), times=1)
    )
    scripted_model.add_rule(Rule(last_tool="Subagent hand-back", reply=Turn(text="It is 42."), times=1))
    hook_inputs: list[dict[str, Any]] = []

    async def record(hook_input: Any, tool_use_id: Any, context: Any) -> dict[str, Any]:
        hook_inputs.append(dict(hook_input))
        return {}

    messages = await run(
        "what is in data.txt?",
        ClaudeAgentOptions(
            cwd=tmp_path,
            agents={"reader": AgentDefinition(description="Reads files", prompt="You read.", tools=["Read"])},
            hooks={
                "SubagentStart": [HookMatcher(hooks=[record])],
                "SubagentStop": [HookMatcher(hooks=[record])],
            },
        ),
    )

    started = next(m for m in messages if isinstance(m, TaskStartedMessage))
    agent_id = started.task_id
    assert re.fullmatch(r"a[0-9a-f]{16}", agent_id)
    child_reply = [
        m for m in messages if isinstance(m, AssistantMessage) and m.parent_tool_use_id == "parent_call"
    ]
    handed = next(m for m in messages if isinstance(m, UserMessage) and m.parent_tool_use_id is None)
    result = handed.tool_use_result
    assert isinstance(result, dict)
    # the CLI's fields, in its order; the notes above the report name the tools the subagent used
    assert list(result) == [
        "status", "prompt", "agentId", "agentType", "toolsUsed", "harnessNoteCount", "harnessTailCount",
        "harnessSectionHash", "content", "resolvedModel", "totalDurationMs", "totalTokens",
        "totalToolUseCount", "usage", "toolStats", "canContinueAgent",
    ]  # fmt: skip
    note = "<tools-used-before-summary>Read</tools-used-before-summary>\n"
    assert result["content"] == [{"type": "text", "text": note}, {"type": "text", "text": report}]
    assert (result["status"], result["prompt"], result["agentId"], result["agentType"]) == (
        "completed", "Read data.txt", agent_id, "reader"
    )  # fmt: skip
    assert (result["toolsUsed"], result["harnessNoteCount"], result["harnessTailCount"]) == (["Read"], 1, 0)
    fingerprint = hashlib.sha256(f"2:{len(note)}:{note}:{len(report)}:{report}".encode()).hexdigest()[:16]
    assert result["harnessSectionHash"] == fingerprint
    assert (
        result["resolvedModel"] == child_reply[-1].model
    )  # the model the subagent ran, as its messages name it
    # totals: the subagent's last reply's tokens, its tool calls; usage in the CLI's shape
    assert (result["totalTokens"], result["totalToolUseCount"]) == (81, 1)
    assert (result["usage"]["input_tokens"], result["usage"]["output_tokens"]) == (70, 11)
    assert {"server_tool_use", "output_tokens_details", "iterations", "speed"} <= set(result["usage"])
    assert result["toolStats"] == {
        "readCount": 1, "searchCount": 0, "bashCount": 0, "editFileCount": 0, "linesAdded": 0,
        "linesRemoved": 0, "otherToolCount": 0,
    }  # fmt: skip
    assert isinstance(result["totalDurationMs"], int) and result["totalDurationMs"] >= 0
    assert result["canContinueAgent"] is True  # SendMessage can continue it
    # the subagent's own tool result is shown without its tool_use_result, as the CLI shows it
    child_results = [
        m for m in messages if isinstance(m, UserMessage) and m.parent_tool_use_id == "parent_call"
    ]
    shown_results = [m for m in child_results if isinstance(m.content[0], ToolResultBlock)]
    assert [m.tool_use_result for m in shown_results] == [None]
    # the text: notes and report indented under the CLI's frame, then the trailer with the SendMessage hint
    block = handed.content[0]
    assert isinstance(block, ToolResultBlock) and isinstance(block.content, list)
    text = block.content[0]["text"]
    head, trailer = text.split("\nagentId: ")
    lines = head.split("\n")
    assert lines[:2] == ["  <tools-used-before-summary>Read</tools-used-before-summary>", "  "]
    assert lines[2].startswith("[Subagent hand-back] The text below is the final report of a subagent")
    assert lines[2].endswith("The report follows:")
    assert lines[3:] == ["  The file holds 42.", "  Nothing else."]
    assert trailer == (
        f"{agent_id} (use SendMessage with to: '{agent_id}', summary: '<5-10 word recap>' to continue "
        f"this agent)\n<usage>subagent_tokens: 81\ntool_uses: 1\n"
        f"duration_ms: {result['totalDurationMs']}</usage>"
    )
    # the parent's model reads the same text
    returns = [last_tool_text(r.messages) for r in scripted_model.completions]
    assert text in returns  # as plain text, as the CLI sends it
    # the hooks name the subagent by the same id; SubagentStop carries its last text
    start, stop = hook_inputs
    assert (start["hook_event_name"], start["agent_id"], start["agent_type"]) == (
        "SubagentStart", agent_id, "reader"
    )  # fmt: skip
    assert (stop["hook_event_name"], stop["agent_id"], stop["last_assistant_message"]) == (
        "SubagentStop", agent_id, report
    )  # fmt: skip
    assert stop["stop_hook_active"] is False and "agent_transcript_path" in stop
    assert "permission_mode" not in start and "permission_mode" in stop  # as the CLI sends them
    assert messages[-1].result == "It is 42."


async def test_ask_user_question_is_answered_through_can_use_tool(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    question = {
        "question": "Which colour?",
        "header": "Colour",
        "options": [{"label": "Red", "description": "warm"}, {"label": "Blue", "description": "cool"}],
        "multiSelect": False,
    }

    async def answer(name: str, tool_input: dict[str, Any], ctx: ToolPermissionContext) -> Any:
        if name == "AskUserQuestion":
            return PermissionResultAllow(updated_input={**tool_input, "answers": {"Which colour?": "Blue"}})
        return PermissionResultDeny(message="no")

    scripted_model.push(Turn(tool_calls=[ToolCall("AskUserQuestion", {"questions": [question]}, id="q1")]))
    then_say(scripted_model, "Blue it is.")

    messages = await run("pick a colour", ClaudeAgentOptions(cwd=tmp_path, can_use_tool=answer))

    assert "AskUserQuestion" in messages[0].data["tools"]
    result = tool_result(messages)
    assert not result.is_error and "Blue" in str(result.content)
    assert messages[-1].result == "Blue it is."


async def test_ask_user_question_is_refused_headless(scripted_model: ScriptedModel, tmp_path: Path) -> None:
    question = {
        "question": "Q?",
        "header": "H",
        "options": [{"label": "A", "description": "a"}, {"label": "B", "description": "b"}],
        "multiSelect": False,
    }
    scripted_model.push(Turn(tool_calls=[ToolCall("AskUserQuestion", {"questions": [question]}, id="q1")]))
    then_say(scripted_model)

    messages = await run("ask me", ClaudeAgentOptions(cwd=tmp_path))

    assert "AskUserQuestion" not in messages[0].data["tools"]  # not offered without someone to answer
    results = [m.content[0] for m in messages if isinstance(m, UserMessage)]
    assert not results or results[0].is_error  # a call anyway is refused, never answered
    assert messages[-1].subtype == "success"


async def test_parallel_tool_calls_count_one_turn_each_as_the_cli_reports_them(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "b.txt").write_text("beta\n")
    scripted_model.push(
        Turn(
            tool_calls=[
                ToolCall("Read", {"file_path": str(tmp_path / "a.txt")}, id="call_a"),
                ToolCall("Read", {"file_path": str(tmp_path / "b.txt")}, id="call_b"),
            ]
        )
    )
    then_say(scripted_model, "alpha and beta")

    messages = await run("Read both", ClaudeAgentOptions(cwd=tmp_path))

    assert [label(m) for m in messages] == [
        "Sys:init",
        "A[ToolUse]",
        "A[ToolUse]",
        "U[ToolResult]",
        "U[ToolResult]",
        "A[Text]",
        "Result:success",
    ]
    assert messages[-1].num_turns == 3  # the CLI: two tool calls in one reply, then the answer


async def test_an_edit_call_shows_the_clis_schema_defaults_in_its_input(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    target = tmp_path / "a.txt"
    target.write_text("alpha\n")
    given = {"file_path": str(target), "old_string": "alpha", "new_string": "beta"}
    read = ToolCall("Read", {"file_path": str(target)}, id="call_r")  # the CLI edits only what was read
    scripted_model.push(
        Turn(tool_calls=[read]), Turn(tool_calls=[ToolCall("Edit", given, id="call_e")]), "done"
    )

    messages = await run("Edit it", ClaudeAgentOptions(cwd=tmp_path, permission_mode="acceptEdits"))

    use = messages[3].content[0]
    assert isinstance(use, ToolUseBlock) and use.input == {**given, "replace_all": False}
    assert target.read_text() == "beta\n"


NOT_READ = "File has not been read yet. Read it first before writing to it."
MODIFIED = (
    "File has been modified since read, either by the user or by a linter. Read it again before "
    "attempting to write it."
)


async def test_an_edit_of_a_file_not_read_in_the_session_is_refused_until_the_model_reads_it(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    target = tmp_path / "README.md"
    target.write_text("# Demo\n")
    edit = {"file_path": str(target), "old_string": "# Demo\n", "new_string": "# Demo\n\nMore.\n"}
    scripted_model.push(
        Turn(tool_calls=[ToolCall("Edit", edit, id="call_e1")]),
        Turn(tool_calls=[ToolCall("Read", {"file_path": str(target)}, id="call_r")]),
        Turn(tool_calls=[ToolCall("Edit", edit, id="call_e2")]),
        "added",
    )

    messages = await run("Add a line", ClaudeAgentOptions(cwd=tmp_path, permission_mode="acceptEdits"))

    assert [label(m) for m in messages] == [
        "Sys:init",
        "A[ToolUse]",
        "U[ToolResult!]",
        "A[ToolUse]",
        "U[ToolResult]",
        "A[ToolUse]",
        "U[ToolResult]",
        "A[Text]",
        "Result:success",
    ]
    refused = messages[2]
    assert refused.content[0].content == f"<tool_use_error>{NOT_READ}</tool_use_error>"
    assert refused.tool_use_result == f"Error: {NOT_READ}"
    assert messages[-1].permission_denials == []  # a tool error, not a permission denial
    assert NOT_READ in str(scripted_model.completions[1].messages[-1]["content"])  # the model saw why
    assert messages[6].tool_use_result["originalFile"] == "# Demo\n"
    assert target.read_text() == "# Demo\n\nMore.\n"


async def test_a_write_over_a_file_changed_since_the_session_read_it_is_refused(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("first\n")
    write = ToolCall("Write", {"file_path": str(target), "content": "mine\n"}, id="call_w")
    scripted_model.push(Turn(tool_calls=[ToolCall("Read", {"file_path": str(target)})]), "read it")
    scripted_model.push(Turn(tool_calls=[write]), "could not")

    options = ClaudeAgentOptions(cwd=tmp_path, permission_mode="acceptEdits")
    async with ClaudeSDKClient(options) as client:
        await client.query("Read notes.txt")
        first = [m async for m in client.receive_response()]
        target.write_text("someone else's\n")  # changed on disk between the turns
        await client.query("Replace it")
        second = [m async for m in client.receive_response()]

    assert label(first[-1]) == "Result:success"
    refused = next(m for m in second if isinstance(m, UserMessage))
    assert refused.content[0].is_error and refused.content[0].content == (
        f"<tool_use_error>{MODIFIED}</tool_use_error>"
    )
    assert target.read_text() == "someone else's\n"
