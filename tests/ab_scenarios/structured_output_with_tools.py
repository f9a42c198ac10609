# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_structured_output.py
"""structured_output_with_tools: output_format with a two-field schema; the agent lists the
directory with a tool before answering through StructuredOutput.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_structured_output.py
(test_structured_output_with_tools). Adapted: a program instead of a test; the directory is
the program's own work dir (with a README.md and a notes.txt it writes) instead of the system's
temporary directory; the result is printed.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query


async def main() -> None:
    Path("README.md").write_text("# Demo\n")
    Path("notes.txt").write_text("notes\n")

    schema = {
        "type": "object",
        "properties": {
            "file_count": {"type": "number"},
            "has_readme": {"type": "boolean"},
        },
        "required": ["file_count", "has_readme"],
    }

    options = ClaudeAgentOptions(
        output_format={"type": "json_schema", "schema": schema},
        permission_mode="acceptEdits",
        cwd=".",
    )

    result_message = None
    async for message in query(
        prompt=(
            "Count how many files are in the current directory and check if there's a README file. "
            "Use tools as needed."
        ),
        options=options,
    ):
        if isinstance(message, ResultMessage):
            result_message = message

    assert result_message is not None
    print("is_error:", result_message.is_error)
    output = result_message.structured_output
    print("structured_output:", output)
    print("file_count is a number:", isinstance(output["file_count"], (int, float)))


anyio.run(main)
