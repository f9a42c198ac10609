"""query() end to end: a real local Letta server and a scripted model, under asyncio and trio."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultError,
    ResultMessage,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    query,
)
from claude_compat.errors import InvalidOptionError, NotSupportedOnLettaError, UnknownModelError
from claude_compat.testing import HttpError, ScriptedModel, Turn, Usage
from letta_backend.registry import Registry, home_dir

pytestmark = [pytest.mark.anyio, pytest.mark.letta]

INIT_KEYS = {
    "type",
    "subtype",
    "cwd",
    "session_id",
    "tools",
    "mcp_servers",
    "model",
    "permissionMode",
    "slash_commands",
    "apiKeySource",
    "claude_code_version",
    "output_style",
    "uuid",
}


async def collect(prompt: Any, options: ClaudeAgentOptions | None = None) -> list[Any]:
    return [m async for m in query(prompt=prompt, options=options)]


def kinds(messages: list[Any]) -> list[str]:
    out = []
    for m in messages:
        if isinstance(m, SystemMessage):
            out.append(f"Sys:{m.subtype}")
        elif isinstance(m, AssistantMessage):
            out.append("A[" + ",".join(type(b).__name__ for b in m.content) + "]")
        elif isinstance(m, ResultMessage):
            out.append(f"Result:{m.subtype}")
        else:
            out.append(type(m).__name__)
    return out


async def test_one_turn_yields_init_one_message_per_block_and_a_result(scripted_model: ScriptedModel) -> None:
    scripted_model.push(
        Turn(reasoning="2 and 2 make 4", text="4", usage=Usage(input_tokens=12, output_tokens=3))
    )

    messages = await collect("What is 2 + 2?", ClaudeAgentOptions(system_prompt="Answer briefly."))

    # as the Claude SDK: a thinking_tokens notice comes before the thinking block
    assert kinds(messages) == [
        "Sys:init",
        "Sys:thinking_tokens",
        "A[ThinkingBlock]",
        "A[TextBlock]",
        "Result:success",
    ]
    init, _, thinking, text, result = messages
    assert INIT_KEYS <= set(init.data)
    assert init.data["model"] == f"openai-proxy/{scripted_model.model_id}"
    assert uuid.UUID(result.session_id).version == 4
    assert init.data["session_id"] == result.session_id
    assert isinstance(thinking.content[0], ThinkingBlock) and thinking.content[0].thinking == "2 and 2 make 4"
    assert isinstance(text.content[0], TextBlock) and text.content[0].text == "4"
    assert thinking.message_id == text.message_id  # two blocks of one model reply
    assert result.result == "4" and not result.is_error
    assert result.num_turns == 1 and result.stop_reason == "end_turn"
    assert result.terminal_reason == "completed"
    assert result.usage is not None
    assert result.usage["input_tokens"] == 12 and result.usage["output_tokens"] == 3
    assert result.total_cost_usd == 0.0  # the scripted model has no price: a number all the same
    assert result.model_usage is not None
    assert result.model_usage[init.data["model"]]["outputTokens"] == 3
    assert result.duration_ms >= result.duration_api_ms >= 0
    # the system prompt reached the model
    assert "Answer briefly." in scripted_model.completions[-1].messages[0]["content"]


async def test_streaming_input_runs_one_turn_per_message_with_shared_history(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.push("first answer", "second answer")

    async def prompts() -> AsyncIterator[dict[str, Any]]:
        yield {"type": "user", "message": {"role": "user", "content": "first question"}}
        yield {"type": "user", "message": {"role": "user", "content": [{"type": "text", "text": "second"}]}}

    messages = await collect(prompts())

    assert kinds(messages) == ["Sys:init", "A[TextBlock]", "Result:success"] * 2
    results = [m for m in messages if isinstance(m, ResultMessage)]
    assert results[0].session_id == results[1].session_id
    assert [r.result for r in results] == ["first answer", "second answer"]
    seen = [m.get("content") for m in scripted_model.completions[-1].messages]
    assert "first question" in str(seen) and "first answer" in str(seen)


async def test_a_model_http_error_becomes_an_api_error_result_then_result_error(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.push(Turn(error=HttpError(500, "scripted outage")))
    seen: list[Any] = []
    no_retries = ClaudeAgentOptions(env={"CLAUDE_CODE_MAX_RETRIES": "0"})  # as the CLI, 5xx is retried

    with pytest.raises(ResultError) as info:
        async for message in query(prompt="hello", options=no_retries):
            seen.append(message)

    assert kinds(seen) == ["Sys:init", "A[TextBlock]", "Result:success"]
    assistant, result = seen[1], seen[2]
    assert assistant.error == "server_error"
    assert assistant.content[0].text.startswith("API Error")
    assert result.is_error and result.terminal_reason == "api_error"
    assert result.api_error_status == 500
    assert info.value.session_id == result.session_id
    assert info.value.api_error_status == 500


async def test_an_empty_model_reply_still_ends_with_a_result(scripted_model: ScriptedModel) -> None:
    scripted_model.push(Turn(text=""))

    messages = await collect("say nothing")

    assert kinds(messages)[0] == "Sys:init"
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success"
    assert result.result == "" and not result.is_error


async def test_garbage_from_the_model_is_an_error_result_not_a_hang(scripted_model: ScriptedModel) -> None:
    scripted_model.push(Turn(raw_body="this is not json"))
    seen: list[Any] = []

    with pytest.raises(ResultError):
        async for message in query(prompt="hello"):
            seen.append(message)

    assert isinstance(seen[-1], ResultMessage) and seen[-1].is_error


async def test_the_session_is_recorded_in_the_registry(scripted_model: ScriptedModel) -> None:
    messages = await collect("remember me")
    result = messages[-1]

    record = Registry(home_dir() / "sessions.db").get(result.session_id)

    assert record is not None
    assert record.conversation_id.startswith("conv-") and record.agent_id.startswith("agent-")
    assert record.first_prompt == "remember me"


async def test_sessions_do_not_share_history(scripted_model: ScriptedModel) -> None:
    await collect("secret of session one")
    await collect("hello from session two")

    seen = str(scripted_model.completions[-1].messages)
    assert "secret of session one" not in seen


async def test_an_unknown_model_handle_lists_what_the_server_has(
    scripted_model: ScriptedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_COMPAT_MODEL", "openai-proxy/no-such-model")

    with pytest.raises(UnknownModelError) as info:
        await collect("hi")

    assert f"openai-proxy/{scripted_model.model_id}" in str(info.value)
    assert "CLAUDE_COMPAT_MODEL" in str(info.value)


async def test_claude_model_names_map_to_anthropic_handles(
    scripted_model: ScriptedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLAUDE_COMPAT_MODEL")

    with pytest.raises(UnknownModelError) as info:
        await collect("hi", ClaudeAgentOptions(model="claude-sonnet-4-5"))

    assert info.value.handle == "anthropic/claude-sonnet-4-5"


async def test_the_env_model_wins_over_the_programs_model(scripted_model: ScriptedModel) -> None:
    messages = await collect("hi", ClaudeAgentOptions(model="claude-sonnet-4-5"))

    assert messages[0].data["model"] == f"openai-proxy/{scripted_model.model_id}"


async def test_letta_model_handle_option_chooses_the_model(
    scripted_model: ScriptedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLAUDE_COMPAT_MODEL")
    handle = f"openai-proxy/{scripted_model.model_id}"

    messages = await collect("hi", ClaudeAgentOptions(model="opus", letta_model_handle=handle))

    assert messages[0].data["model"] == handle


async def test_a_prompt_of_the_wrong_type_is_a_typed_error(scripted_model: ScriptedModel) -> None:
    with pytest.raises(InvalidOptionError, match="prompt must be a str"):
        await collect(123)


async def test_a_custom_transport_is_refused(scripted_model: ScriptedModel) -> None:
    with pytest.raises(NotSupportedOnLettaError, match="transport"):
        async for _ in query(prompt="hi", transport=object()):  # type: ignore[arg-type]
            pass
