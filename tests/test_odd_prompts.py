"""Odd prompts behave as the Claude CLI handles them (measured on the pinned CLI), never as an obscure error.

An empty prompt reaches the model as ``(no content)``; a prompt of only whitespace is answered
with a notice and no model call; a lone surrogate becomes U+FFFD wherever it appears.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from claude_compat import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage, SystemMessage, query
from claude_compat.testing import ScriptedModel

pytestmark = [pytest.mark.anyio, pytest.mark.letta]

BLANK = "Blank prompt — the message was only whitespace, so nothing was sent to the model."


async def collect(prompt: Any, options: ClaudeAgentOptions | None = None) -> list[Any]:
    with anyio.fail_after(60):
        return [m async for m in query(prompt=prompt, options=options)]


def last_user_content(model: ScriptedModel) -> str:
    users = [m for m in model.completions[-1].messages if m.get("role") == "user"]
    return str(users[-1]["content"])


async def test_an_empty_prompt_reaches_the_model_as_no_content(scripted_model: ScriptedModel) -> None:
    scripted_model.push("you said nothing")

    messages = await collect("")

    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "you said nothing"
    assert "(no content)" in last_user_content(scripted_model)


async def test_a_streamed_message_of_blank_text_blocks_reaches_the_model_as_no_content(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.push("still nothing")

    async def prompts() -> Any:
        yield {"type": "user", "message": {"role": "user", "content": [{"type": "text", "text": "  "}]}}

    messages = await collect(prompts())

    assert messages[-1].result == "still nothing" and "(no content)" in last_user_content(scripted_model)


async def test_a_whitespace_prompt_gets_the_clis_notice_and_a_result_without_a_model_call(
    scripted_model: ScriptedModel,
) -> None:
    messages = await collect(" \n\t ")

    init, notice, result = messages
    assert isinstance(init, SystemMessage) and init.subtype == "init"
    assert isinstance(notice, SystemMessage) and notice.subtype == "informational"
    assert notice.data["content"] == BLANK and notice.data["level"] == "warning"
    assert notice.data["session_id"] == init.data["session_id"]
    assert isinstance(result, ResultMessage)
    assert (result.subtype, result.is_error, result.num_turns, result.result) == ("success", False, 0, BLANK)
    assert result.stop_reason is None and result.terminal_reason is None
    assert scripted_model.completions == []


async def test_a_session_goes_on_after_a_blank_prompt(scripted_model: ScriptedModel) -> None:
    scripted_model.push("hello again")

    async with ClaudeSDKClient() as client:
        await client.query("   ")
        first = [m async for m in client.receive_response()]
        await client.query("are you there?")
        second = [m async for m in client.receive_response()]

    assert first[-1].result == BLANK and second[-1].result == "hello again"
    assert "are you there?" in last_user_content(scripted_model)


async def test_a_lone_surrogate_becomes_a_replacement_character_in_prompt_and_system_prompt(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.push("got it")

    messages = await collect("ab\ud800cd", ClaudeAgentOptions(system_prompt="Be kind\udfff."))

    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "got it"
    sent = scripted_model.completions[-1].messages
    assert "ab\ufffdcd" in last_user_content(scripted_model)
    assert "Be kind\ufffd." in str(sent[0]["content"])
