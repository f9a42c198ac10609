# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_structured_output.py
"""structured_output_simple: output_format with a json_schema and permission_mode="acceptEdits";
the model explores with Bash, then answers through the StructuredOutput tool.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_structured_output.py
(test_simple_structured_output). Adapted: a program instead of a test; it writes the package
directory it asks about; the result is printed.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query


async def main() -> None:
    package = Path("src/claude_agent_sdk")
    package.mkdir(parents=True)
    for name in ("__init__.py", "client.py", "types.py"):
        (package / name).write_text("# module\n")

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
        cwd=".",
    )

    result_message = None
    async for message in query(
        prompt=(
            "Count how many Python files are in src/claude_agent_sdk/ and check if there are any "
            "test files. Use tools to explore the filesystem."
        ),
        options=options,
    ):
        if isinstance(message, ResultMessage):
            result_message = message

    assert result_message is not None, "No result message received"
    print("subtype:", result_message.subtype, "is_error:", result_message.is_error)
    print("structured_output:", result_message.structured_output)
    print("result:", result_message.result)


anyio.run(main)
