# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_hook_events.py
"""hook_pretooluse_context: a PreToolUse hook allows Bash with additionalContext; the program
records tool_name and tool_use_id from the hook input.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_hook_events.py
(test_pre_tool_use_hook_with_additional_context). Adapted: a program instead of a test; the
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

    async def pre_tool_hook(
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
                "hookEventName": "PreToolUse",
                "permissionDecision": "allow",
                "permissionDecisionReason": "Approved with context",
                "additionalContext": "This command is running in a test environment",
            },
        }

    options = ClaudeAgentOptions(
        allowed_tools=["Bash"],
        hooks={"PreToolUse": [HookMatcher(matcher="Bash", hooks=[pre_tool_hook])]},
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Run: echo 'test additional context'")
        async for message in client.receive_response():
            print(f"Got message: {type(message).__name__}")

    print(f"Hook invocations: {hook_invocations}")


anyio.run(main)
