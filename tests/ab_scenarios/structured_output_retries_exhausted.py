# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_structured_output.py
"""structured_output_retries_exhausted: every StructuredOutput call the model makes fails the
schema; after the CLI's limit the turn ends in error_max_structured_output_retries and the SDK
raises ResultError.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_structured_output.py
(test_simple_structured_output). Adapted: a program instead of a test; the refusals are printed,
and the error result and ResultError are caught and printed instead of asserted away; the
scripted model keeps sending a count as text.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import (
    ClaudeAgentOptions,
    ResultError,
    ResultMessage,
    ToolResultBlock,
    UserMessage,
    query,
)


async def main() -> None:
    schema = {
        "type": "object",
        "properties": {
            "file_count": {"type": "number"},
            "has_tests": {"type": "boolean"},
            "test_file_count": {"type": "number"},
        },
        "required": ["file_count", "has_tests"],
    }

    options = ClaudeAgentOptions(
        output_format={"type": "json_schema", "schema": schema},
        permission_mode="acceptEdits",
        cwd=Path.cwd(),
    )

    try:
        async for message in query(
            prompt="Count how many Python files are in src/claude_agent_sdk/ and check if there are any "
            "test files. Use tools to explore the filesystem.",
            options=options,
        ):
            if isinstance(message, UserMessage):
                for block in message.content:
                    if isinstance(block, ToolResultBlock):
                        print("refused:", block.is_error, block.content)
            elif isinstance(message, ResultMessage):
                print("result:", message.subtype, message.is_error, message.num_turns, message.errors)
                print("structured output:", message.structured_output)
    except ResultError as exc:
        print("raised ResultError:", exc)


anyio.run(main)
