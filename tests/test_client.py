"""ClaudeSDKClient on Letta: multi-turn sessions with the Claude SDK's method surface."""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    CLIConnectionError,
    ResultMessage,
    SystemMessage,
    TextBlock,
    UserMessage,
)
from claude_compat._internal import cli_request
from claude_compat.testing import ScriptedModel
from claude_compat.testing._script import last_user_text

pytestmark = [pytest.mark.anyio, pytest.mark.letta]


async def test_each_turn_starts_with_init_and_keeps_the_session(scripted_model: ScriptedModel) -> None:
    scripted_model.push("one", "two")
    turns: list[list[Any]] = []

    async with ClaudeSDKClient(ClaudeAgentOptions(system_prompt="You are terse.")) as client:
        for prompt in ("first", "second"):
            await client.query(prompt)
            turns.append([m async for m in client.receive_response()])

    for messages, text in zip(turns, ("one", "two"), strict=True):
        assert isinstance(messages[0], SystemMessage) and messages[0].subtype == "init"
        assert isinstance(messages[1], AssistantMessage)
        assert isinstance(messages[-1], ResultMessage) and messages[-1].result == text
        assert messages[-1].num_turns == 1
    assert turns[0][-1].session_id == turns[1][-1].session_id == turns[1][0].data["session_id"]
    history = str(scripted_model.completions[-1].messages)
    assert "first" in history and "one" in history


async def test_connect_with_a_prompt_answers_it(scripted_model: ScriptedModel) -> None:
    scripted_model.push("hello back")
    client = ClaudeSDKClient()
    await client.connect("hello")
    try:
        messages = [m async for m in client.receive_response()]
    finally:
        await client.disconnect()
        await client.disconnect()  # idempotent

    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "hello back"


async def test_methods_before_connect_raise_not_connected() -> None:
    client = ClaudeSDKClient()

    with pytest.raises(CLIConnectionError, match="Not connected"):
        await client.query("hi")
    with pytest.raises(CLIConnectionError, match="Not connected"):
        await client.interrupt()
    assert await client.get_server_info() is None


async def test_server_info_context_usage_and_mcp_status(scripted_model: ScriptedModel) -> None:
    async with ClaudeSDKClient() as client:
        await client.query("measure me")
        [m async for m in client.receive_response()]
        info = await client.get_server_info()
        usage = await client.get_context_usage()
        status = await client.get_mcp_status()

    assert info is not None and info["models"][0]["value"] == f"openai-proxy/{scripted_model.model_id}"
    # the CLI's output styles and slash commands, in its order (descriptions from the real SDK's CLI)
    assert info["available_output_styles"] == ["default", "Proactive", "Concise", "Explanatory", "Learning"]
    assert [c["name"] for c in info["commands"]][:3] == ["deep-research", "dataviz", "update-config"]
    assert {"compact", "clear", "init", "model"} <= {c["name"] for c in info["commands"]}
    assert all(c["description"] for c in info["commands"])  # the test extra installs the real SDK
    assert usage["totalTokens"] > 0 and usage["maxTokens"] > usage["totalTokens"]
    assert status == {"mcpServers": []}


async def test_leaving_a_turn_early_does_not_block_the_next_turn(scripted_model: ScriptedModel) -> None:
    scripted_model.push("first reply", "second reply")

    async with ClaudeSDKClient() as client:
        await client.query("one")
        async for message in client.receive_messages():
            if isinstance(message, AssistantMessage):
                break
        await client.query("two")
        messages = [m async for m in client.receive_response()]

    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "second reply"


def _user(content: Any, **stamps: Any) -> dict[str, Any]:
    message = {"role": "user", "content": content}
    return {"type": "user", "message": message, "parent_tool_use_id": None, **stamps}


async def test_prompts_queued_behind_a_turn_are_answered_together_as_the_cli(
    scripted_model: ScriptedModel,
) -> None:
    import anyio

    scripted_model.push("to the first", "to the next two", "to the human", "to the strings")
    second, third = "22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333"

    async def stream() -> AsyncIterator[dict[str, Any]]:
        yield _user("first")
        yield _user("second", uuid=second)
        yield _user([{"type": "text", "text": "third a"}, {"type": "text", "text": "third b"}], uuid=third)
        yield _user("", uuid=None)  # an empty message adds nothing
        yield _user("fourth", origin={"kind": "human", "name": "ana"})  # another origin: a turn of its own

    results: list[ResultMessage] = []
    assistants: list[AssistantMessage] = []
    async with ClaudeSDKClient() as client:
        await client.query(stream())
        await client.query("s1")  # strings queue the same way
        await client.query("s2")
        with anyio.fail_after(120):
            while len(results) < 4:
                async for message in client.receive_response():
                    if isinstance(message, ResultMessage):
                        results.append(message)
                    elif isinstance(message, AssistantMessage):
                        assistants.append(message)

    replies = ["to the first", "to the next two", "to the human", "to the strings"]
    assert [r.result for r in results] == replies
    sent = [last_user_text(c.messages) or "" for c in scripted_model.completions]
    assert sent[0].endswith("first")
    assert re.fullmatch(r"second\n+third a\n?third b", sent[1]), sent[1]
    assert sent[2].endswith("fourth") and sent[3].endswith("s1\ns2")
    assert [r.origin for r in results] == [None, None, {"kind": "human"}, None]
    assert results[1].user_message_uuids == [second, third] and results[1].user_message_uuid == third
    assert assistants[1].user_message_uuids == [second, third]
    assert results[0].user_message_uuid is None and results[0].user_message_uuids is None


async def test_a_result_echoes_only_a_human_origin_as_the_cli(scripted_model: ScriptedModel) -> None:
    scripted_model.push("one", "two")

    async def one(message: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        yield message

    origins: list[Any] = []
    async with ClaudeSDKClient() as client:
        for stamp in ({"kind": "human", "name": "ana"}, {"kind": "channel", "server": "x"}):
            await client.query(one(_user("hi", origin=stamp)))
            origins += [m.origin async for m in client.receive_response() if isinstance(m, ResultMessage)]

    assert origins == [{"kind": "human"}, None]


async def test_interrupt_ends_the_running_turn_with_a_result(scripted_model: ScriptedModel) -> None:
    import anyio

    from claude_compat.testing import Turn

    scripted_model.push(Turn(text="too slow", delay=3.0), "after the interrupt")
    seen: list[Any] = []

    async with ClaudeSDKClient() as client:
        await client.query("take your time")
        async with anyio.create_task_group() as tg:

            async def read() -> None:
                async for m in client.receive_response():
                    seen.append(m)

            tg.start_soon(read)
            await anyio.sleep(1.0)
            await client.interrupt()
        await client.query("next")
        after = [m async for m in client.receive_response()]

    result, notice = seen[-1], seen[-2]
    assert isinstance(result, ResultMessage) and result.terminal_reason == "aborted_streaming"
    assert not any(isinstance(m, AssistantMessage) for m in seen)
    # as the CLI: a user notice, counted as a turn, and its diagnostic as the error
    assert isinstance(notice, UserMessage) and notice.content == [TextBlock("[Request interrupted by user]")]
    assert result.num_turns == 2 and result.subtype == "error_during_execution"
    assert result.errors == ["[ede_diagnostic] result_type=user last_content_type=n/a stop_reason=null"]
    assert isinstance(after[-1], ResultMessage) and after[-1].result == "after the interrupt"
    # as the CLI's next request: the notice is in the history, between the two prompts
    sent = [
        json.dumps(m.get("content"))
        for m in scripted_model.completions[-1].messages
        if m.get("role") == "user"
    ]
    [asked, told, then] = [
        next(i for i, t in enumerate(sent) if text in t)
        for text in ("take your time", "[Request interrupted by user]", "next")
    ]
    assert asked < told < then


async def test_interrupt_before_reading_ends_the_queued_prompts_turn_as_the_cli(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.push("to both prompts")

    async with ClaudeSDKClient() as client:
        await client.query("count slowly")
        await client.interrupt()  # the CLI is already answering: that turn is the one stopped
        first = [m async for m in client.receive_response()]
        await client.query("just say hi")
        second = [m async for m in client.receive_response()]

    assert [type(m).__name__ for m in first] == ["SystemMessage", "UserMessage", "ResultMessage"]
    assert first[-1].subtype == "error_during_execution" and first[-1].num_turns == 2
    assert first[-1].usage["output_tokens"] == 0 and first[-1].total_cost_usd == 0
    assert isinstance(second[-1], ResultMessage) and second[-1].result == "to both prompts"
    assert len(scripted_model.completions) == 1  # no model call for the interrupted turn
    sent = str(scripted_model.completions[0].messages)
    # the prompt reached the model later, and the notice after it, as in the CLI's next request
    assert (
        sent.index("count slowly") < sent.index("[Request interrupted by user]") < sent.index("just say hi")
    )


async def test_set_permission_mode_and_set_model_show_in_the_next_turn_as_the_cli(
    scripted_model: ScriptedModel,
) -> None:
    from claude_compat import UserMessage

    scripted_model.push("one", "two")
    async with ClaudeSDKClient(ClaudeAgentOptions()) as client:
        await client.set_permission_mode("acceptEdits")
        await client.query("first")
        first = [m async for m in client.receive_response()]
        await client.set_model(None)
        await client.query("second")
        second = [m async for m in client.receive_response()]

    status = first[0]
    assert isinstance(status, SystemMessage) and status.subtype == "status"
    assert status.data["permissionMode"] == "acceptEdits" and status.data["status"] is None
    assert isinstance(first[1], SystemMessage) and first[1].data["permissionMode"] == "acceptEdits"
    echo = second[0]
    assert isinstance(echo, UserMessage)
    # None names the CLI's default model (as the CLI does) when its recorded request is at hand,
    # else the model the session went back to
    default = await cli_request.cli_default_model(dict(os.environ))
    named = default or second[1].data["model"]
    assert echo.content == f"<local-command-stdout>Set model to `{named}`</local-command-stdout>"
    assert isinstance(second[1], SystemMessage) and second[1].subtype == "init"
