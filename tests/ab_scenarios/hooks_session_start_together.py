# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_new_hooks.py
"""hooks_session_start_together: one tracking function registered for SessionStart,
Notification, PreToolUse (Bash) and PostToolUse (Bash) on a client; the model runs an echo and
the program prints the events in the order they fired.

Adapted from anthropics/claude-agent-sdk-python, e2e-tests/test_new_hooks.py
(test_multiple_new_hooks_together). Adapted: a program instead of a test; messages are printed
by type instead of whole (they hold ids and timings); the events are printed, not asserted.
"""

import asyncio
from typing import Any

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
        """Generic hook that tracks all invocations."""
        all_invocations.append({"hook_event_name": input_data.get("hook_event_name")})
        return {}

    options = ClaudeAgentOptions(
        allowed_tools=["Bash"],
        hooks={
            "SessionStart": [HookMatcher(hooks=[track_hook])],
            "Notification": [HookMatcher(hooks=[track_hook])],
            "PreToolUse": [HookMatcher(matcher="Bash", hooks=[track_hook])],
            "PostToolUse": [HookMatcher(matcher="Bash", hooks=[track_hook])],
        },
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Run: echo 'multi-hook test'")

        async for message in client.receive_response():
            print(f"Got message: {type(message).__name__}")

    event_names = [inv["hook_event_name"] for inv in all_invocations]
    print(f"All hook invocations: {event_names}")
    print("PreToolUse fired:", "PreToolUse" in event_names)
    print("PostToolUse fired:", "PostToolUse" in event_names)


asyncio.run(main())
