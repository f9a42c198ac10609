"""The model-request view of ab: both sides' first request read into one shape and compared."""

from __future__ import annotations

import json
from typing import Any

from claude_compat._internal import cli_facts
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
        ("sampling thinking_budget", "31999", "(none)"),  # chat completions has no budget
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
        "sampling thinking_budget",
        "tool Bash: description",
        "tool Bash: input schema",
        "tool NotebookEdit",
    ]


def test_a_request_naming_no_temperature_reads_as_the_apis_default_of_one() -> None:
    # Letta always names a temperature: 1.0 asks for what the CLI's request, naming none, gets
    def temperature_diffs(compat_temperature: float) -> list[str]:
        compat = from_openai(_compat(temperature=compat_temperature))
        return [str(d) for d in compare_views(from_anthropic(_claude()), compat) if "temperature" in d.key]

    assert temperature_diffs(1.0) == []
    assert temperature_diffs(0.7) == ["sampling temperature: claude_agent_sdk=1.0 claude-compat=0.7"]
    assert from_anthropic(_claude(temperature=1)).sampling["temperature"] == 1


def _with_result(claude_result: dict[str, Any], compat_content: str) -> list[tuple[str, str, str]]:
    claude, compat = _claude(), _compat()
    result = {"type": "tool_result", "tool_use_id": "t1", **claude_result}
    claude["messages"].append({"role": "user", "content": [result]})
    compat["messages"].append({"role": "tool", "tool_call_id": "t1", "content": compat_content})
    diffs = compare_views(from_anthropic(claude), from_openai(compat))
    return [(d.key, d.claude, d.compat) for d in diffs if d.key.startswith("tool result")]


def test_a_tool_results_tokens_left_reminder_is_compared_apart_from_its_text() -> None:
    reminder = "<system-reminder>\n<total_tokens>99 tokens left</total_tokens>\n</system-reminder>"
    cli = {"content": f"done\n\n{reminder}"}
    assert _with_result({**cli, "is_error": False}, f"done\n\n{reminder}") == []
    assert _with_result({**cli, "is_error": False}, "done") == [
        ("tool result t1: reminders", "'<total_tokens>99 tokens left</total_tokens>'", "''")
    ]
    assert _with_result({"content": [{"type": "text", "text": "done"}]}, "other") == [
        ("tool result t1", "'done'", "'other'")
    ]


def test_text_the_cli_sends_after_a_tool_result_reads_as_the_end_of_that_result() -> None:
    # a skill's instructions: the CLI sends them as a text part after the result, claude-compat after its text
    reminder = "<system-reminder>\n<total_tokens>9 tokens left</total_tokens>\n</system-reminder>"
    claude, compat = _claude(), _compat()
    result = {"type": "tool_result", "tool_use_id": "t1", "content": f"Launching skill: x\n\n{reminder}"}
    claude["messages"].append({"role": "user", "content": [result, {"type": "text", "text": "Do x."}]})
    compat["messages"].append(
        {"role": "tool", "tool_call_id": "t1", "content": f"Launching skill: x\n\nDo x.\n\n{reminder}"}
    )
    assert [d for d in compare_views(from_anthropic(claude), from_openai(compat)) if "result" in d.key] == []
    assert from_anthropic(claude).tool_results["t1"].text == "Launching skill: x\n\nDo x."


def test_a_result_in_lettas_status_json_is_named_and_only_it_has_an_error_flag_to_compare() -> None:
    failed = json.dumps({"status": "Failed", "message": "Exit code 1", "time": "now"})
    assert _with_result({"content": "Exit code 1", "is_error": True}, failed) == [
        ("tool result t1: form", "plain text", "Letta's status JSON")
    ]
    ok = json.dumps({"status": "OK", "message": "Exit code 1", "time": "now"})
    assert ("tool result t1: is_error", "True", "False") in _with_result(
        {"content": "Exit code 1", "is_error": True}, ok
    )
    # plain text carries no error flag (chat completions have none): only the text compares
    assert _with_result({"content": "Exit code 1", "is_error": True}, "Exit code 1") == []
    assert _with_result({"content": "Exit code 1", "is_error": True}, "Exit code 2") == [
        ("tool result t1", "'Exit code 1'", "'Exit code 2'")
    ]


def test_tools_claude_compat_does_not_run_are_left_out_with_their_deferred_reminder_lines() -> None:
    frame = cli_facts.DEFERRED_TOOLS_REMINDER.split("{names}")[0]
    claude = _claude()
    claude["tools"] += [
        {"name": "Workflow", "description": "Runs a workflow.", "input_schema": {}},
        {"name": "DeferredToolPlaceholder", "description": "", "input_schema": {}, "defer_loading": True},
    ]
    told = f"<system-reminder>\n{frame}CronCreate\nWebFetch\n</system-reminder>"
    claude["messages"][0]["content"].insert(1, {"type": "text", "text": told})
    compat = _compat()
    compat["messages"][1]["content"] = (
        f"{_ENV}\n\n<system-reminder>\n{frame}WebFetch\n</system-reminder>\n\nhi"
    )
    keys = [d.key for d in compare_views(from_anthropic(claude), from_openai(compat))]
    assert not [k for k in keys if "Workflow" in k or "Placeholder" in k or "deferred" in k], keys
    compat["messages"][1]["content"] = (
        f"{_ENV}\n\n<system-reminder>\n{frame}WebSearch\n</system-reminder>\n\nhi"
    )
    keys = [d.key for d in compare_views(from_anthropic(claude), from_openai(compat))]
    assert [k for k in keys if "deferred" in k] == [
        "reminder 'The following deferred tools are now available v'"
    ]


def test_a_toolsearch_result_reads_as_the_tools_it_loads_on_both_sides() -> None:
    claude = _claude()
    references = [{"type": "tool_reference", "tool_name": n} for n in ("WebFetch", "NotebookEdit")]
    claude["messages"] += [
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "ToolSearch", "input": {}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": references}]},
    ]
    functions = "\n".join(
        f'<function>{{"description": "d", "name": "{n}", "parameters": {{}}}}</function>'
        for n in ("WebFetch", "NotebookEdit")
    )
    compat = _compat()
    compat["messages"].append(
        {
            "role": "tool",
            "tool_call_id": "t1",
            "content": f"<functions>\n{functions}\n</functions>\n\nTool loaded.",
        }
    )
    a, b = from_anthropic(claude).tool_results["t1"], from_openai(compat).tool_results["t1"]
    assert a.text == b.text == "loads WebFetch, NotebookEdit"
    compat["messages"][-1]["content"] = "<functions>\nnot a definition\n</functions>"
    assert from_openai(compat).tool_results["t1"].text == "<functions>\nnot a definition\n</functions>"


def test_a_tool_search_result_reads_alike_with_the_clis_loaded_note_and_reminder_in_parts_after_it() -> None:
    reminder = "<system-reminder>\n<total_tokens>7 tokens left</total_tokens>\n</system-reminder>"
    claude, compat = _claude(), _compat()
    loads = {
        "type": "tool_result",
        "tool_use_id": "t1",
        "content": [{"type": "tool_reference", "tool_name": "WebFetch"}],
    }
    claude["messages"].append(
        {
            "role": "user",
            "content": [loads, {"type": "text", "text": "Tool loaded."}, {"type": "text", "text": reminder}],
        }
    )
    function = json.dumps({"name": "WebFetch", "description": "d", "parameters": {}})
    said = f"<functions>\n<function>{function}</function>\n</functions>\n\nTool loaded.\n\n{reminder}"
    compat["messages"].append({"role": "tool", "tool_call_id": "t1", "content": said})
    seen = from_anthropic(claude).tool_results["t1"]
    assert (seen.text, seen.reminders) == ("loads WebFetch", ("<total_tokens>7 tokens left</total_tokens>",))
    assert [d for d in compare_views(from_anthropic(claude), from_openai(compat)) if "result" in d.key] == []


def test_reminders_in_a_system_role_message_are_compared_as_such_on_both_sides() -> None:
    # to some models the CLI sends its reminders as a system-role message after the prompt, and its
    # tokens left as one after a tool result; Letta's own system message stays the system text
    told, left = (
        "# Environment\n - Primary working directory: <cwd>",
        "<total_tokens>9 tokens left</total_tokens>",
    )
    claude, compat = _claude(), _compat()
    claude["messages"] = [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "system", "content": [{"type": "text", "text": told}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "done"}]},
        {"role": "system", "content": [{"type": "text", "text": left}]},
    ]
    call = {"id": "t1", "type": "function", "function": {"name": "Bash", "arguments": "{}"}}
    compat["messages"][1:] = [
        {"role": "user", "content": "hi"},
        {"role": "system", "content": told},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "t1", "content": "done"},
        {"role": "system", "content": left},
    ]
    seen = from_openai(compat)
    assert seen.system == "You are an agent." and seen.system_messages == (told,) and not seen.reminders
    assert seen.tool_results["t1"].system_after == (left,)

    def told_apart(diffs: list[Any]) -> list[str]:  # the differences in what the model is told
        return [d.key for d in diffs if d.key.startswith(("system", "reminder", "tool result"))]

    assert told_apart(compare_views(from_anthropic(claude), seen)) == []
    compat["messages"][1:3] = [
        {"role": "user", "content": f"<system-reminder>\n{told}\n</system-reminder>\n\nhi"}
    ]
    compat["messages"][-1:] = []
    keys = told_apart(compare_views(from_anthropic(claude), from_openai(compat)))
    assert keys == ["system messages", "reminder '# Environment'", "tool result t1: system message after"]


def test_the_plan_files_name_reads_alike_on_both_sides_and_nothing_else_of_its_path() -> None:
    def plan(path: str) -> str:
        return f"<system-reminder>\nPlan mode is active. Write your plan at {path} now.\n</system-reminder>"

    def first(body: dict[str, Any], reminder: str, claude: bool) -> dict[str, Any]:
        if claude:
            return {**body, "messages": [{"role": "user", "content": [{"type": "text", "text": reminder}]}]}
        return {**body, "messages": [{"role": "user", "content": f"{reminder}\n\nhi"}]}

    cli = from_anthropic(first(_claude(), plan("<home>/.claude/plans/wiggly-orbiting-waffle.md"), True))
    ours = from_openai(first(_compat(), plan("<home>/.claude/plans/0b1c-session.md"), False))
    assert (
        cli.reminders
        == ours.reminders
        == ("Plan mode is active. Write your plan at <home>/.claude/plans/<plan>.md now.",)
    )
    elsewhere = from_openai(first(_compat(), plan("<tmp>/.claude/plans/0b1c-session.md"), False))

    def plan_rows(a: Any, b: Any) -> list[str]:
        return [d.key for d in compare_views(a, b) if d.key.startswith("reminder 'Plan mode")]

    assert plan_rows(cli, ours) == [] and plan_rows(cli, elsewhere)  # the rest of the path is compared
