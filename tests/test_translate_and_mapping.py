"""Pure translation rules: Letta events → blocks, and the mapping table row by row."""

from __future__ import annotations

from typing import Any

import pytest

from claude_compat._internal.permission_modes import PERMISSION_MODES
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


@pytest.mark.parametrize("mode", sorted(PERMISSION_MODES))
def test_every_permission_mode_maps_to_a_claude_mode(mode: str) -> None:
    assert PERMISSION_MODES[mode].claude_name in {
        "default",
        "acceptEdits",
        "plan",
        "bypassPermissions",
        "dontAsk",
    }


S = mapping.Sampling


# The CLI's request for each case, measured (claude-agent-sdk 0.2.188 against a scripted Messages API).
@pytest.mark.parametrize(
    ("model", "options", "expected"),
    [
        ("claude-sonnet-4-5", {}, S(32000, "enabled", 31999)),
        ("claude-sonnet-4-5", {"thinking": {"type": "disabled"}}, S(32000, "disabled", temperature=1.0)),
        ("claude-sonnet-4-5", {"max_thinking_tokens": 0}, S(32000, "disabled", temperature=1.0)),
        (
            "claude-sonnet-4-5",
            {"thinking": {"type": "enabled", "budget_tokens": 5000}},
            S(32000, "enabled", 5000),
        ),
        ("claude-sonnet-4-5", {"thinking": {"type": "adaptive"}}, S(32000, "enabled", 31999)),
        ("claude-sonnet-4-5", {"max_thinking_tokens": 2000}, S(32000, "enabled", 2000)),
        ("claude-sonnet-4-5", {"effort": "high"}, S(32000, "enabled", 31999)),
        ("claude-sonnet-4-5", {"max_output_tokens": 8000}, S(8000, "enabled", 7999)),
        (
            "claude-sonnet-4-5",
            {"max_output_tokens": 8000, "thinking": {"type": "enabled", "budget_tokens": 20000}},
            S(8000, "enabled", 7999),
        ),
        ("claude-haiku-4-5", {}, S(32000, "enabled", 31999)),
        ("claude-sonnet-4-0", {}, S(32000, "enabled", 31999)),
        ("claude-opus-4-5", {}, S(32000, "enabled", 31999, "high")),
        ("claude-opus-4-5", {"effort": "low"}, S(32000, "enabled", 31999, "low")),
        ("claude-opus-4-5", {"thinking": {"type": "disabled"}}, S(32000, "disabled", None, "high", 1.0)),
        ("claude-opus-4-6", {}, S(64000, "adaptive", None, "high")),
        ("claude-sonnet-4-6", {}, S(32000, "adaptive", None, "high")),
        ("claude-opus-5-5", {}, S(128000, "adaptive", None, "medium")),
        ("claude-opus-5-5", {"effort": "max"}, S(128000, "adaptive", None, "max")),
        ("claude-opus-5-5", {"thinking": {"type": "disabled"}}, S(128000, "adaptive", None, "medium")),
        (
            "claude-3-7-sonnet-latest",
            {"thinking": {"type": "enabled", "budget_tokens": 5000}},
            S(32000, "disabled"),
        ),
        ("claude-3-5-haiku-latest", {}, S(8192, "disabled")),
        ("claude-made-up-model", {"thinking": {"type": "disabled"}}, S(32000, "disabled", None, "high")),
    ],
)
def test_a_claude_model_is_asked_for_what_the_cli_asks_it_for(
    model: str, options: dict[str, Any], expected: mapping.Sampling
) -> None:
    for handle in (f"anthropic/{model}", f"openai-proxy/{model}"):
        assert mapping.cli_sampling(handle, **options) == expected


def test_a_claude_handle_asked_as_another_claude_model_gets_that_models_request() -> None:
    # the program named a model the user's configured handle does not serve: the CLI's for that one
    named = mapping.cli_sampling("openai-proxy/claude-sonnet-4-5", cli_model="claude-haiku-5-5")
    assert named == mapping.cli_sampling("anthropic/claude-haiku-5-5")
    assert named.max_output_tokens == 128_000 and named.effort == "medium"
    # a handle that is not Claude's keeps only what the program set
    assert mapping.cli_sampling("openai/gpt-4o-mini", cli_model="claude-haiku-5-5") == S()


@pytest.mark.parametrize(
    ("handle", "keeps"),
    [("openai-proxy/claude-sonnet-4-5", True), ("openai/gpt-5", True), ("anthropic/claude-haiku-4-5", False)],
)
def test_system_role_messages_reach_only_the_providers_letta_sends_them_to(handle: str, keeps: bool) -> None:
    assert mapping.keeps_system_messages(handle) is keeps


def test_another_model_gets_only_what_the_program_set_not_the_clis_claude_limits() -> None:
    assert mapping.cli_sampling("openai/gpt-4o-mini") == S()
    assert mapping.cli_sampling("openai/gpt-5", effort="low", max_output_tokens=900) == S(900, effort="low")


@pytest.mark.parametrize(
    ("handle", "sampling", "settings", "reasoner"),
    [
        (
            "anthropic/claude-sonnet-4-5",
            S(32000, "enabled", 31999),
            {
                "max_output_tokens": 32000,
                "temperature": 1.0,
                "thinking": {"type": "enabled", "budget_tokens": 31999},
            },
            True,
        ),
        (
            "anthropic/claude-opus-4-5",
            S(32000, "disabled", None, "xhigh", 1.0),
            {
                "max_output_tokens": 32000,
                "temperature": 1.0,
                "thinking": {"type": "disabled", "budget_tokens": 1024},
                "effort": "max",
            },
            False,
        ),
        (
            "anthropic/claude-opus-5-5",
            S(128000, "adaptive", None, "medium"),
            {
                "max_output_tokens": 128000,
                "temperature": 1.0,
                "thinking": {"type": "enabled", "budget_tokens": 127999},
                "effort": "medium",
            },
            True,
        ),
        (
            "openai/gpt-5",
            S(effort="max"),
            {"temperature": 1.0, "reasoning": {"reasoning_effort": "xhigh"}},
            None,
        ),
        (
            "openai-proxy/claude-sonnet-4-5",
            S(32000, "enabled", 31999),
            {"max_output_tokens": 32000, "temperature": 1.0},
            None,
        ),
        (
            "google_ai/gemini-2.5-flash",
            S(thinking="enabled", budget_tokens=512),
            {"temperature": 1.0, "thinking_config": {"include_thoughts": True, "thinking_budget": 512}},
            None,
        ),
        ("groq/llama-3.3-70b", S(), {}, None),  # no known API default: Letta's own temperature stays
    ],
)
def test_sampling_becomes_the_providers_letta_model_settings(
    handle: str, sampling: mapping.Sampling, settings: dict[str, Any], reasoner: bool | None
) -> None:
    assert mapping.letta_sampling(handle, sampling) == mapping.LettaSampling(settings, reasoner)
