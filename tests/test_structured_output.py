"""Structured output as the Claude CLI does it: the model calls StructuredOutput, through real Letta.

The texts and orders asserted here were recorded from the real claude_agent_sdk 0.2.188 (bundled
CLI) against the scripted Anthropic API, for the same model output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultError,
    ResultMessage,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    query,
)
from claude_compat._internal.structured import schema_problems
from claude_compat.testing import ScriptedModel, ToolCall, Turn

SCHEMA = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
OUTPUT_FORMAT = {"type": "json_schema", "schema": SCHEMA}
ENFORCE = (
    "[structured-output-enforce] You MUST call the StructuredOutput tool to complete this request. "
    "Call this tool now."
)
MISMATCH = "Output does not match required schema: /answer: must be integer"


def label(m: Any) -> str:
    if isinstance(m, SystemMessage):
        return f"Sys:{m.subtype}"
    if isinstance(m, AssistantMessage):
        block = m.content[0]
        return f"A[{block.name}]" if isinstance(block, ToolUseBlock) else "A[Text]"
    if isinstance(m, UserMessage):
        block = m.content[0]
        if isinstance(block, ToolResultBlock):
            return "U[ToolResult" + ("!" if block.is_error else "") + "]"
        return "U[Text]"
    if isinstance(m, ResultMessage):
        return f"Result:{m.subtype}"
    return type(m).__name__


def structured_call(tool_input: dict[str, Any], call_id: str) -> Turn:
    return Turn(tool_calls=[ToolCall("StructuredOutput", tool_input, id=call_id)])


async def run(options: ClaudeAgentOptions, prompt: str = "2+2?") -> list[Any]:
    seen: list[Any] = []
    try:
        async for m in query(prompt=prompt, options=options):
            seen.append(m)
    except ResultError as exc:
        seen.append(exc)
    return seen


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_matching_structured_output_call_ends_the_turn_with_its_input(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(structured_call({"answer": 4}, "so_1"), Turn(text="a model call the CLI never makes"))

    messages = await run(ClaudeAgentOptions(cwd=tmp_path, output_format=OUTPUT_FORMAT))

    shown = ["Sys:init", "A[StructuredOutput]", "U[ToolResult]", "Result:success"]
    assert [label(m) for m in messages] == shown
    assert "StructuredOutput" in messages[0].data["tools"]
    answer = messages[2]
    assert answer.content[0].content == "Structured output provided successfully"
    assert answer.content[0].is_error is None
    assert answer.tool_use_result == "Structured output provided successfully"
    result = messages[-1]
    assert result.structured_output == {"answer": 4} and result.result == '{"answer":4}'
    assert (result.num_turns, result.stop_reason, result.terminal_reason) == (2, "tool_use", "completed")
    offered = {t["function"]["name"]: t["function"] for t in scripted_model.completions[-1].tools}
    assert offered["StructuredOutput"]["description"].startswith(
        "Use this tool to return your final response in the requested structured format."
    )
    assert offered["StructuredOutput"]["parameters"]["properties"] == SCHEMA["properties"]
    assert "response_format" not in scripted_model.completions[-1].body


@pytest.mark.anyio
@pytest.mark.letta
async def test_after_a_structured_answer_the_session_goes_on_with_the_next_prompt(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(structured_call({"answer": 4}, "so_1"), structured_call({"answer": 5}, "so_2"))
    options = ClaudeAgentOptions(cwd=tmp_path, output_format=OUTPUT_FORMAT)

    async with ClaudeSDKClient(options=options) as client:
        await client.query("2+2?")
        first = [m async for m in client.receive_response()]
        await client.query("and 2+3?")
        second = [m async for m in client.receive_response()]

    assert first[-1].structured_output == {"answer": 4}
    assert second[-1].structured_output == {"answer": 5} and second[-1].num_turns == 2
    sent = str(scripted_model.completions[-1].messages)
    assert "Structured output provided successfully" in sent and "and 2+3?" in sent


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_session_resumed_after_a_structured_answer_goes_on_and_the_model_saw_the_answer(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(structured_call({"answer": 4}, "so_1"), Turn(text="It was 4."))

    first = await run(ClaudeAgentOptions(cwd=tmp_path, output_format=OUTPUT_FORMAT))
    again = await run(ClaudeAgentOptions(cwd=tmp_path, resume=first[-1].session_id), prompt="what was it?")

    assert first[-1].structured_output == {"answer": 4}
    assert again[-1].subtype == "success" and again[-1].result == "It was 4."
    sent = str(scripted_model.completions[-1].messages)
    assert "Structured output provided successfully" in sent and "what was it?" in sent


@pytest.mark.anyio
@pytest.mark.letta
async def test_an_input_that_fails_the_schema_is_retried_until_the_cli_limit(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(*[structured_call({"answer": "four"}, f"so_{i}") for i in range(5)])
    scripted_model.push(Turn(text="a model call the CLI never makes"))

    messages = await run(ClaudeAgentOptions(cwd=tmp_path, output_format=OUTPUT_FORMAT))

    assert [label(m) for m in messages] == [
        "Sys:init",
        *["A[StructuredOutput]", "U[ToolResult!]"] * 5,
        "Result:error_max_structured_output_retries",
        "ResultError",
    ]
    refusals = [m for m in messages if isinstance(m, UserMessage)]
    assert {r.content[0].content for r in refusals} == {MISMATCH}
    assert {r.tool_use_result for r in refusals} == {f"Error: {MISMATCH}"}
    result = messages[-2]
    assert result.is_error and result.structured_output is None and result.result is None
    assert result.errors == [
        "Failed to provide valid structured output after 5 attempts \u2014 last StructuredOutput "
        f"error: {MISMATCH}"
    ]
    assert (result.num_turns, result.stop_reason, result.terminal_reason) == (
        6,
        "tool_use",
        "structured_output_retry_exhausted",
    )
    assert len(scripted_model.completions) == 5
    assert MISMATCH in str(scripted_model.completions[-1].messages)  # the model was told what was wrong


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_model_that_answers_in_text_is_told_once_to_call_structured_output(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(Turn(text='{"answer": 4}'), structured_call({"answer": 4}, "so_1"))

    messages = await run(ClaudeAgentOptions(cwd=tmp_path, output_format=OUTPUT_FORMAT))

    assert [label(m) for m in messages] == [
        "Sys:init",
        "A[Text]",
        "U[Text]",
        "A[StructuredOutput]",
        "U[ToolResult]",
        "Result:success",
    ]
    notice = messages[2]
    assert notice.content == [TextBlock(text=ENFORCE)] and notice.tool_use_result is None
    assert ENFORCE in str(scripted_model.completions[-1].messages)
    assert messages[-1].structured_output == {"answer": 4} and messages[-1].num_turns == 3


@pytest.mark.anyio
@pytest.mark.letta
async def test_a_model_that_never_calls_it_ends_in_success_without_structured_output(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.push(Turn(text="plain"), Turn(text="still plain"), Turn(text="never asked for"))

    messages = await run(ClaudeAgentOptions(cwd=tmp_path, output_format=OUTPUT_FORMAT))

    assert [label(m) for m in messages] == ["Sys:init", "A[Text]", "U[Text]", "A[Text]", "Result:success"]
    result = messages[-1]
    assert result.structured_output is None and result.result == "still plain" and result.num_turns == 2


# --- the schema's problems in the CLI's words (pure: recorded texts as data) ---------------------

RICH_SCHEMA = {
    "type": "object",
    "properties": {
        "answer": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "kind": {"enum": ["a", "b"]},
        "name": {"type": "string", "minLength": 2, "pattern": "^[a-z]+$"},
    },
    "required": ["answer", "kind"],
    "additionalProperties": False,
}

#: (schema, input, what the CLI answered), recorded from the real CLI.
RECORDED = [
    (RICH_SCHEMA, {}, "root: must have required property 'answer', root: must have required property 'kind'"),
    (
        RICH_SCHEMA,
        {"answer": -1, "kind": "c"},
        '/answer: must be >= 0, /kind: must be equal to one of the allowed values: ["a","b"]',
    ),
    (
        RICH_SCHEMA,
        {"answer": 1, "kind": "a", "extra": 1},
        "root: must NOT have additional properties ('extra' is not allowed)",
    ),
    (
        RICH_SCHEMA,
        {"answer": 1, "kind": "a", "tags": [1, "x", "y"], "name": "A"},
        "/tags: must NOT have more than 2 items (got 3), /tags/0: must be string, "
        '/name: must NOT have fewer than 2 characters (got 1), /name: must match pattern "^[a-z]+$"',
    ),
    (
        {
            "type": "object",
            "properties": {
                "t2": {"type": ["string", "null"]},
                "c": {"const": 5},
                "em": {"type": "string", "format": "email"},
                "xm": {"type": "number", "exclusiveMinimum": 0},
                "mo": {"type": "integer", "multipleOf": 3},
                "ui": {"type": "array", "uniqueItems": True},
                "an": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "on": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
                "nt": {"not": {"type": "string"}},
                "mp": {"type": "object", "minProperties": 1},
                "obj": {"type": "object", "properties": {"inner": {"type": "boolean"}}, "required": ["need"]},
            },
            "required": ["zz"],
            "additionalProperties": False,
        },
        dict(
            t2=1,
            c=4,
            em="nope",
            xm=0,
            mo=4,
            ui=[1, 1],
            an=1.5,
            on=1,
            nt="s",
            mp={},
            obj={"inner": 1},
            extra1=1,
        ),
        "root: must have required property 'zz', root: must NOT have additional properties ('extra1' is "
        "not allowed), /t2: must be string,null, /c: must be equal to constant: 5, /xm: must be > 0, "
        "/mo: must be multiple of 3, /ui: must NOT have duplicate items (items ## 0 and 1 are identical), "
        "/an: must be string, /an: must be integer, /an: must match a schema in anyOf, /on: must match "
        "exactly one schema in oneOf, /nt: must NOT be valid, /mp: must NOT have fewer than 1 properties "
        "(got 0), /obj: must have required property 'need', /obj/inner: must be boolean",
    ),
]


@pytest.mark.parametrize(("schema", "value", "expected"), RECORDED)
def test_schema_problems_are_worded_and_ordered_as_the_cli_does(
    schema: dict[str, Any], value: Any, expected: str
) -> None:
    assert schema_problems(schema, value) == expected


def test_a_matching_value_has_no_problems_and_formats_are_not_checked() -> None:
    schema = {"type": "object", "properties": {"em": {"type": "string", "format": "email"}}}
    assert schema_problems(schema, {"em": "not an address"}) is None
