# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_hook_events.py
"""hooks_together: Notification, PreToolUse and PostToolUse hooks registered together; one
tracking function records which events fired, in order.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_hook_events.py
(test_multiple_hooks_together). Adapted: a program instead of a test; messages are printed by
type.
"""

from typing import Any

import anyio
from claude_agent_sdk import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookContext,
    HookInput,
    HookJSONOutput,
    HookMatcher,
)


async def main() -> None:
    all_invocations: list[dict[str, Any]] = []

    async def track_hook(
        input_data: HookInput, tool_use_id: str | None, context: HookContext
    ) -> HookJSONOutput:
        all_invocations.append({"hook_event_name": input_data.get("hook_event_name")})
        return {}

    options = ClaudeAgentOptions(
        allowed_tools=["Bash"],
        hooks={
            "Notification": [HookMatcher(hooks=[track_hook])],
            "PreToolUse": [HookMatcher(matcher="Bash", hooks=[track_hook])],
            "PostToolUse": [HookMatcher(matcher="Bash", hooks=[track_hook])],
        },
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Run: echo 'multi-hook test'")
        async for message in client.receive_response():
            print(f"Got message: {type(message).__name__}")

    print(f"All hook invocations: {[inv['hook_event_name'] for inv in all_invocations]}")


anyio.run(main)
