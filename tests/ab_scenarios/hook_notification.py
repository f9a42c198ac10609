# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_hook_events.py
"""hook_notification: a Notification hook registered on a client that asks a one-word
question; the program prints what the hook recorded.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_hook_events.py
(test_notification_hook). Adapted: a program instead of a test; messages are printed by type.
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
    hook_invocations: list[dict[str, Any]] = []

    async def notification_hook(
        input_data: HookInput, tool_use_id: str | None, context: HookContext
    ) -> HookJSONOutput:
        hook_invocations.append(
            {
                "hook_event_name": input_data.get("hook_event_name"),
                "message": input_data.get("message"),
                "notification_type": input_data.get("notification_type"),
            }
        )
        return {
            "hookSpecificOutput": {
                "hookEventName": "Notification",
                "additionalContext": "Notification received",
            },
        }

    options = ClaudeAgentOptions(
        hooks={"Notification": [HookMatcher(hooks=[notification_hook])]},
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Say hello in one word.")
        async for message in client.receive_response():
            print(f"Got message: {type(message).__name__}")

    print(f"Notification hook invocations: {hook_invocations}")


anyio.run(main)
