"""Pure translation rules: Letta events → blocks, and the mapping table row by row."""

from __future__ import annotations

import pytest

from claude_compat.errors import UnknownModelError
from letta_backend import mapping
from letta_backend.agents import choose_model, normalise_blocks
from letta_backend.translate import (
    BlockFinished,
    RunStarted,
    RunStopped,
    RunTranslator,
    RunUsage,
    StreamFailure,
)


def finished(events: list[object]) -> list[tuple[str, str]]:
    return [(e.block.kind, e.block.text or e.block.arguments) for e in events if isinstance(e, BlockFinished)]


def feed_all(raw: list[dict[str, object]]) -> list[object]:
    tr = RunTranslator()
    return [out for event in raw for out in tr.feed(event)]


def test_reasoning_text_and_tool_call_become_three_blocks_in_order() -> None:
    events = feed_all(
        [
            {"message_type": "ping", "run_id": "run-1"},
            {"message_type": "reasoning_message", "id": "m1", "otid": "o1", "reasoning": "hmm"},
            {"message_type": "assistant_message", "id": "m1", "otid": "o2", "content": "Let me"},
            {
                "message_type": "approval_request_message",
                "id": "m1",
                "tool_calls": [{"tool_call_id": "c1", "name": "Read", "arguments": '{"file_path": "/x"}'}],
            },
            {"message_type": "stop_reason", "stop_reason": "requires_approval"},
            {
                "message_type": "usage_statistics",
                "prompt_tokens": 12,
                "completion_tokens": 4,
                "cached_input_tokens": 2,
            },
        ]
    )
    assert isinstance(events[0], RunStarted) and events[0].run_id == "run-1"
    assert finished(events) == [("thinking", "hmm"), ("text", "Let me"), ("tool_use", '{"file_path": "/x"}')]
    assert [e.reason for e in events if isinstance(e, RunStopped)] == ["requires_approval"]
    usage = next(e.usage for e in events if isinstance(e, RunUsage))
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.output_tokens) == (10, 2, 4)


def test_token_deltas_are_joined_and_finished_once() -> None:
    events = feed_all(
        [
            {"message_type": "assistant_message", "id": "m1", "otid": "o1", "content": "Hel"},
            {"message_type": "assistant_message", "id": "m1", "otid": "o1", "content": "lo"},
            {
                "message_type": "approval_request_message",
                "id": "m2",
                "tool_call": {"tool_call_id": "c1", "name": "Bash"},
            },
            {
                "message_type": "approval_request_message",
                "id": "m2",
                "tool_call": {"tool_call_id": "c1", "arguments": '{"comm'},
            },
            {
                "message_type": "approval_request_message",
                "id": "m2",
                "tool_call": {"arguments": 'and": "ls"}'},
            },
            {"message_type": "stop_reason", "stop_reason": "requires_approval"},
        ]
    )
    assert finished(events) == [("text", "Hello"), ("tool_use", '{"command": "ls"}')]


def test_malformed_tool_arguments_are_reported_not_raised() -> None:
    tr = RunTranslator()
    tr.feed(
        {
            "message_type": "approval_request_message",
            "id": "m",
            "tool_call": {"tool_call_id": "c", "name": "Bash", "arguments": "{not json"},
        }
    )
    block = tr.blocks[0]
    value, error = block.tool_input()
    assert value == {} and error is not None and "malformed JSON" in error


def test_an_in_stream_error_closes_the_open_block_and_reports_the_failure() -> None:
    events = feed_all(
        [
            {"message_type": "assistant_message", "id": "m", "otid": "o", "content": "partial"},
            {
                "message_type": "error_message",
                "error_type": "llm_error",
                "message": "boom",
                "detail": "Error code: 503 - x",
            },
        ]
    )
    assert finished(events) == [("text", "partial")]
    failure = events[-1]
    assert isinstance(failure, StreamFailure) and failure.http_status == 503 and not failure.is_conflict


@pytest.mark.parametrize(
    ("letta", "subtype", "is_error", "terminal"),
    [
        ("end_turn", "success", False, "completed"),
        ("max_steps", "error_max_turns", True, "max_turns"),
        ("llm_api_error", "success", True, "api_error"),
        ("cancelled", "error_during_execution", True, "aborted_streaming"),
        ("error", "error_during_execution", True, "model_error"),
    ],
)
def test_letta_stop_reasons_map_to_claude_results(
    letta: str, subtype: str, is_error: bool, terminal: str
) -> None:
    row = mapping.STOP_REASONS[letta]
    assert (row.subtype, row.is_error, row.terminal_reason) == (subtype, is_error, terminal)


def test_every_letta_stop_reason_has_a_row() -> None:
    from typing import get_args

    from letta_client.types import StopReasonType

    assert set(get_args(StopReasonType)) - {"requires_approval"} <= set(mapping.STOP_REASONS)


@pytest.mark.parametrize(
    ("model", "first"),
    [
        ("sonnet", "anthropic/claude-sonnet-4-5"),
        ("claude-haiku-4-5", "anthropic/claude-haiku-4-5"),
        ("claude-3-7-sonnet-latest", "anthropic/claude-3-7-sonnet-latest"),
        ("openai/gpt-4.1", "openai/gpt-4.1"),
    ],
)
def test_model_aliases(model: str, first: str) -> None:
    assert mapping.model_candidates(model)[0] == first


def test_model_precedence_env_then_handle_then_alias() -> None:
    available = ["anthropic/claude-sonnet-4-5-20250929", "openai/gpt-4.1-mini", "letta/letta-free"]
    assert (
        choose_model(available, model="sonnet", handle=None, env="openai/gpt-4.1-mini")
        == "openai/gpt-4.1-mini"
    )
    assert (
        choose_model(available, model="sonnet", handle="openai/gpt-4.1-mini", env=None)
        == "openai/gpt-4.1-mini"
    )
    assert (
        choose_model(available, model="sonnet", handle=None, env=None)
        == "anthropic/claude-sonnet-4-5-20250929"
    )
    assert (
        choose_model(available, model=None, handle=None, env=None) == "anthropic/claude-sonnet-4-5-20250929"
    )
    with pytest.raises(UnknownModelError) as info:
        choose_model(available, model="opus", handle=None, env=None)
    assert "openai/gpt-4.1-mini" in str(info.value)


@pytest.mark.parametrize(
    ("available", "words"),
    [
        ([], "offers no models"),
        (
            ["openai/gpt-x", "groq/llama-y", "letta/letta-free"],
            "no model was chosen and the Letta server offers several",
        ),
    ],
)
def test_with_no_model_chosen_the_error_says_why_none_could_be_picked(
    available: list[str], words: str
) -> None:
    with pytest.raises(UnknownModelError) as info:
        choose_model(available, model=None, handle=None, env=None)

    message = str(info.value)
    assert words in message and "CLAUDE_COMPAT_MODEL" in message
    assert info.value.handle is None and "none chosen" not in message
    assert all(handle in message for handle in available)


def test_memory_blocks_accept_both_forms() -> None:
    assert normalise_blocks({"human": "Ada"}) == (("human", "Ada"),)
    assert normalise_blocks([{"label": "persona", "value": "kind"}]) == (("persona", "kind"),)


@pytest.mark.parametrize("mode", sorted(mapping.PERMISSION_MODES))
def test_every_permission_mode_maps_to_a_claude_mode(mode: str) -> None:
    assert mapping.PERMISSION_MODES[mode].claude_name in {
        "default",
        "acceptEdits",
        "plan",
        "bypassPermissions",
        "dontAsk",
    }


@pytest.mark.parametrize(
    ("handle", "thinking", "effort", "budget", "expected"),
    [
        (
            "anthropic/claude-sonnet-4-5",
            {"type": "enabled", "budget_tokens": 2048},
            None,
            None,
            {"thinking": {"type": "enabled", "budget_tokens": 2048}},
        ),
        (
            "anthropic/claude-sonnet-4-5",
            None,
            "high",
            0,
            {"thinking": {"type": "disabled"}, "effort": "high"},
        ),
        ("openai/gpt-4.1", None, "max", None, {"reasoning": {"reasoning_effort": "xhigh"}}),
        (
            "google_ai/gemini-2.5-flash",
            None,
            None,
            512,
            {"thinking_config": {"include_thoughts": True, "thinking_budget": 512}},
        ),
        ("openai-proxy/scripted-model", None, None, None, {}),
    ],
)
def test_thinking_and_effort_become_provider_model_settings(
    handle: str,
    thinking: dict[str, object] | None,
    effort: str | None,
    budget: int | None,
    expected: dict[str, object],
) -> None:
    assert (
        mapping.reasoning_settings(handle, thinking=thinking, effort=effort, max_thinking_tokens=budget)
        == expected
    )
