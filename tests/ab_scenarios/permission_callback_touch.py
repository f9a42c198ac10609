# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_tool_permissions.py
"""permission_callback_touch: can_use_tool is asked for a `touch` (not read-only) and allows it;
the program lists the tools it was asked about.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_tool_permissions.py
(test_permission_callback_gets_called). Adapted: a program instead of a test; the file is in
the work dir instead of a random /tmp name; messages are printed by type.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    PermissionResultAllow,
    PermissionResultDeny,
    ToolPermissionContext,
)


async def main() -> None:
    callback_invocations: list[tuple[str, dict]] = []
    test_file = "sdk_permission_test.txt"

    async def permission_callback(
        tool_name: str, input_data: dict, context: ToolPermissionContext
    ) -> PermissionResultAllow | PermissionResultDeny:
        print(f"Permission callback called for: {tool_name}, input: {input_data}")
        callback_invocations.append((tool_name, input_data))
        return PermissionResultAllow()

    options = ClaudeAgentOptions(can_use_tool=permission_callback)

    async with ClaudeSDKClient(options=options) as client:
        await client.query(f"Run the command: touch {test_file}")
        async for message in client.receive_response():
            print(f"Got message: {type(message).__name__}")

    print(f"Callback invocations: {[name for name, _ in callback_invocations]}")
    print("file exists:", Path(test_file).exists())


anyio.run(main)
