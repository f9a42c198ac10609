"""The model-request view of ab: both sides' first request read into one shape and compared."""

from __future__ import annotations

from typing import Any

from claude_compat._internal.model_view import compare_views, from_anthropic, from_openai

# Shaped as the pinned CLI's first request (measured, texts shortened) and as Letta's to an
# OpenAI-compatible model.
_ENV = "<system-reminder>\n# Environment\n - Primary working directory: <cwd>\n</system-reminder>"
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"command": {"type": "string"}},
    "required": ["command"],
    "additionalProperties": False,
}


def _claude(**extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 32000,
        "thinking": {"type": "enabled", "budget_tokens": 31999},
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.331; cc_entrypoint=sdk-py;"},
            {"type": "text", "text": "You are an agent."},
        ],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": _ENV}, {"type": "text", "text": "hi"}]}
        ],
        "tools": [
            {"name": "Bash", "description": "Runs a command.", "input_schema": {"$schema": "x", **_SCHEMA}},
            {"name": "NotebookEdit", "description": "Edits.", "input_schema": {}, "defer_loading": True},
        ],
        **extra,
    }


def _compat(**extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-5",
        "max_completion_tokens": 32000,
        "reasoning_effort": "medium",
        "user": "user-1",
        "tool_choice": "auto",
        "messages": [
            {
                "role": "system",
                "content": "You are an agent.\n\n<memory_metadata>\n- AGENT_ID: a\n</memory_metadata>",
            },
            {"role": "user", "content": f"{_ENV}\n\nhi"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {"name": "Bash", "description": "Runs a command.", "parameters": _SCHEMA},
            }
        ],
        **extra,
    }


def test_letta_framing_and_the_clis_bookkeeping_are_left_out_of_the_view() -> None:
    claude, compat = from_anthropic(_claude()), from_openai(_compat())
    assert claude.system == compat.system == "You are an agent."
    assert claude.reminders == compat.reminders == ("# Environment\n - Primary working directory: <cwd>",)
    assert claude.tools["NotebookEdit"].deferred and not compat.tools["Bash"].deferred
    assert compat.sampling["max_output_tokens"] == 32000


def test_the_same_request_on_both_sides_has_only_the_deferred_tool_as_a_difference() -> None:
    diffs = compare_views(from_anthropic(_claude()), from_openai(_compat()))
    assert [(d.key, d.claude, d.compat) for d in diffs] == [
        ("sampling effort", "(none)", "'medium'"),
        ("tool NotebookEdit", "deferred", "(not offered)"),
    ]


def test_each_kind_of_difference_is_named() -> None:
    compat = _compat(temperature=0.7, max_completion_tokens=16384)
    compat["messages"][0]["content"] = "Another prompt."
    compat["tools"][0]["function"]["description"] = "Runs it."
    compat["tools"][0]["function"]["parameters"] = {**_SCHEMA, "additionalProperties": True}
    compat["messages"][1]["content"] = "hi"
    keys = [d.key for d in compare_views(from_anthropic(_claude()), from_openai(compat))]
    assert keys == [
        "system",
        "reminder '# Environment'",
        "sampling effort",
        "sampling max_output_tokens",
        "sampling temperature",
        "tool Bash: description",
        "tool Bash: input schema",
        "tool NotebookEdit",
    ]
