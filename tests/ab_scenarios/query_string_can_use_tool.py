# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_tool_permissions.py
"""query_string_can_use_tool: one-shot query() with a plain string prompt and can_use_tool
as the only control consumer (Bash disallowed, max_turns=3); the permitted Write runs.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_tool_permissions.py
(test_query_string_prompt_with_can_use_tool). Adapted: a program instead of a
test; the file is named without a random part.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import (
    ClaudeAgentOptions,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    ToolPermissionContext,
    query,
)


async def main() -> None:
    callback_invocations: list[str] = []
    test_path = Path.home() / ".agent_sdk_permission_e2e.txt"

    async def permission_callback(
        tool_name: str, input_data: dict, context: ToolPermissionContext
    ) -> PermissionResultAllow | PermissionResultDeny:
        callback_invocations.append(tool_name)
        return PermissionResultAllow()

    options = ClaudeAgentOptions(can_use_tool=permission_callback, disallowed_tools=["Bash"], max_turns=3)
    prompt_text = (
        f"Use the Write tool to create the file {test_path} containing exactly "
        "the text hello. Do not use any other tool."
    )
    result = None
    async for message in query(prompt=prompt_text, options=options):
        if isinstance(message, ResultMessage):
            result = message
    print("is_error:", result.is_error if result else None)
    print("callback invocations:", callback_invocations)
    print("file:", test_path.read_text() if test_path.exists() else None)


anyio.run(main)
