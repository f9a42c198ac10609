# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_structured_output.py
"""structured_output_enforced: output_format with an enum; the model first answers in plain text,
is told to call StructuredOutput (the CLI's enforce message, shown as a UserMessage), then calls it.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_structured_output.py
(test_structured_output_with_enum). Adapted: a program instead of a test; messages are printed by
type; the scripted model answers in text first, then with the tool.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    query,
)


async def main() -> None:
    schema = {
        "type": "object",
        "properties": {
            "has_tests": {"type": "boolean"},
            "test_framework": {
                "type": "string",
                "enum": ["pytest", "unittest", "nose", "unknown"],
            },
            "test_count": {"type": "number"},
        },
        "required": ["has_tests", "test_framework"],
    }

    options = ClaudeAgentOptions(
        output_format={"type": "json_schema", "schema": schema},
        permission_mode="acceptEdits",
        cwd=Path.cwd(),
    )

    result_message = None
    async for message in query(
        prompt="Search for test files in the tests/ directory. Determine which test framework is being "
        "used (pytest/unittest/nose) and count how many test files exist. Use Grep to search for "
        "framework imports.",
        options=options,
    ):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print("assistant:", block.text)
                elif isinstance(block, ToolUseBlock):
                    print("tool call:", block.name, block.input)
        elif isinstance(message, UserMessage):
            for block in message.content:
                if isinstance(block, ToolResultBlock):
                    print("tool result:", block.content)
                elif isinstance(block, TextBlock):
                    print("user:", block.text)
        elif isinstance(message, ResultMessage):
            result_message = message

    assert result_message is not None
    assert not result_message.is_error
    output = result_message.structured_output
    print("result:", result_message.subtype, result_message.num_turns, result_message.stop_reason)
    print("framework:", output["test_framework"], "has tests:", output["has_tests"])


anyio.run(main)
