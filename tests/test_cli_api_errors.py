"""A failed model call as the Claude CLI reports it: its wording per status, api_retry notices,
CLAUDE_CODE_MAX_RETRIES, and ResultError.data carrying the CLI's result payload. Real local Letta."""

from __future__ import annotations

from typing import Any

import pytest

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultError,
    ResultMessage,
    SystemMessage,
    query,
)
from claude_compat.testing import HttpError, ScriptedModel, Turn

pytestmark = [pytest.mark.anyio, pytest.mark.letta]

#: status → (error type the provider sends, how the result text starts, AssistantMessage.error)
CASES = {
    400: ("invalid_request_error", "API Error: 400 scripted failure", "unknown"),
    401: (
        "authentication_error",
        "Failed to authenticate. API Error: 401 scripted failure",
        "authentication_failed",
    ),
    404: ("not_found_error", "There's an issue with the selected model (", "model_not_found"),
    429: ("rate_limit_error", "API Error: Request rejected (429) · scripted failure", "rate_limit"),
    500: ("api_error", "API Error: 500 scripted failure. This is a server-side issue", "server_error"),
    529: ("overloaded_error", "API Error: 529 scripted failure. This is a server-side issue", "server_error"),
}


async def run(prompt: str, retries: str) -> tuple[list[Any], ResultError]:
    seen: list[Any] = []
    options = ClaudeAgentOptions(env={"CLAUDE_CODE_MAX_RETRIES": retries})
    with pytest.raises(ResultError) as info:
        async for message in query(prompt=prompt, options=options):
            seen.append(message)
    return seen, info.value


@pytest.mark.parametrize("status", sorted(CASES))
async def test_with_no_retries_a_failed_call_is_one_call_and_the_result_words_it_as_the_cli(
    scripted_model: ScriptedModel, status: int
) -> None:
    error_type, text, kind = CASES[status]
    scripted_model.push(*[Turn(error=HttpError(status, "scripted failure", error_type))] * 3)

    seen, raised = await run("hello", "0")

    assert len(scripted_model.completions) == 1
    assistant, result = seen[-2], seen[-1]
    assert isinstance(assistant, AssistantMessage) and assistant.error == kind
    assert isinstance(result, ResultMessage) and result.is_error and result.api_error_status == status
    assert result.result is not None and result.result.startswith(text)
    assert assistant.content[0].text == result.result  # type: ignore[union-attr]
    assert not [m for m in seen if isinstance(m, SystemMessage) and m.subtype == "api_retry"]
    # the exception carries the CLI's result payload
    assert raised.data["type"] == "result" and raised.data["uuid"] == result.uuid
    assert raised.data["result"] == result.result and raised.data["terminal_reason"] == "api_error"
    assert str(raised) == f"Claude Code returned an error result: {result.result} (exit code: 1)"


async def test_a_rate_limited_call_is_retried_with_an_api_retry_notice_then_answers(
    scripted_model: ScriptedModel,
) -> None:
    scripted_model.push(Turn(error=HttpError(429, "slow down", "rate_limit_error")), "answer after retry")

    seen = [
        m
        async for m in query(prompt="hello", options=ClaudeAgentOptions(env={"CLAUDE_CODE_MAX_RETRIES": "2"}))
    ]

    notices = [m for m in seen if isinstance(m, SystemMessage) and m.subtype == "api_retry"]
    assert [
        (n.data["attempt"], n.data["max_retries"], n.data["error_status"], n.data["error"]) for n in notices
    ] == [(1, 2, 429, "rate_limit")]
    assert 500 <= notices[0].data["retry_delay_ms"] <= 625
    result = seen[-1]
    assert isinstance(result, ResultMessage) and not result.is_error and result.result == "answer after retry"
    assert result.num_turns == 1
    # the retried request carries the prompt once: nothing of the failed call stayed in the history
    last = scripted_model.completions[-1].messages
    assert sum("hello" in str(m.get("content")) for m in last if m.get("role") == "user") == 1


async def test_retries_stop_at_the_limit_with_one_notice_per_retry(scripted_model: ScriptedModel) -> None:
    scripted_model.push(*[Turn(error=HttpError(529, "busy", "overloaded_error"))] * 3)

    seen, raised = await run("hello", "1")

    assert len(scripted_model.completions) == 2
    notices = [m for m in seen if isinstance(m, SystemMessage) and m.subtype == "api_retry"]
    assert [(n.data["attempt"], n.data["error"]) for n in notices] == [(1, "overloaded")]
    assert raised.api_error_status == 529
