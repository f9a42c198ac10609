# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_structured_output.py
"""structured_output_nested: output_format with a nested schema; the model's first StructuredOutput
call misses a required field and is refused, the second matches and ends the turn.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_structured_output.py
(test_nested_structured_output). Adapted: a program instead of a test; messages are printed by
type with the tool results' text; the scripted model answers wrongly once, then rightly.
"""

import anyio
from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    query,
)


async def main() -> None:
    schema = {
        "type": "object",
        "properties": {
            "analysis": {
                "type": "object",
                "properties": {
                    "word_count": {"type": "number"},
                    "character_count": {"type": "number"},
                },
                "required": ["word_count", "character_count"],
            },
            "words": {
                "type": "array",
                "items": {"type": "string"},
            },
        },
        "required": ["analysis", "words"],
    }

    options = ClaudeAgentOptions(
        output_format={"type": "json_schema", "schema": schema},
        permission_mode="acceptEdits",
    )

    result_message = None
    async for message in query(
        prompt="Analyze this text: 'Hello world'. Provide word count, character count, and list of words.",
        options=options,
    ):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, ToolUseBlock):
                    print("tool call:", block.name)
        elif isinstance(message, UserMessage):
            for block in message.content:
                if isinstance(block, ToolResultBlock):
                    print("tool result:", block.is_error, block.content)
        elif isinstance(message, ResultMessage):
            result_message = message

    assert result_message is not None
    assert not result_message.is_error
    output = result_message.structured_output
    print("result:", result_message.subtype, result_message.num_turns, result_message.result)
    print("word_count:", output["analysis"]["word_count"])
    print("character_count:", output["analysis"]["character_count"])
    print("words:", output["words"])


anyio.run(main)
