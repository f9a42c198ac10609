# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_hook_events.py
"""hook_posttooluse_context: a PostToolUse hook on Bash adds additionalContext and records the
tool_use_id it was given.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_hook_events.py
(test_post_tool_use_hook_with_tool_use_id). Adapted: a program instead of a test; the
tool_use_id is printed as whether it is there; messages are printed by type.
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

    async def post_tool_hook(
        input_data: HookInput, tool_use_id: str | None, context: HookContext
    ) -> HookJSONOutput:
        hook_invocations.append(
            {
                "tool_name": input_data.get("tool_name", ""),
                "has tool_use_id": input_data.get("tool_use_id") is not None,
            }
        )
        return {
            "hookSpecificOutput": {
                "hookEventName": "PostToolUse",
                "additionalContext": "Post-tool monitoring active",
            }
        }

    options = ClaudeAgentOptions(
        allowed_tools=["Bash"],
        hooks={"PostToolUse": [HookMatcher(matcher="Bash", hooks=[post_tool_hook])]},
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Run: echo 'test tool_use_id'")
        async for message in client.receive_response():
            print(f"Got message: {type(message).__name__}")

    print(f"Hook invocations: {hook_invocations}")


anyio.run(main)
