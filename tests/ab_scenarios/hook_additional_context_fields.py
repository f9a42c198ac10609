# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_hooks.py
"""hook_additional_context_fields: a PostToolUse hook on Bash answers systemMessage, reason,
suppressOutput and hookSpecificOutput.additionalContext together.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_hooks.py
(test_hook_with_additional_context). Adapted: a program instead of a test; messages are printed
by type (and the result's text).
"""

import anyio
from claude_agent_sdk import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookContext,
    HookInput,
    HookJSONOutput,
    HookMatcher,
    ResultMessage,
)


async def main() -> None:
    hook_invocations = []

    async def context_hook(
        input_data: HookInput, tool_use_id: str | None, context: HookContext
    ) -> HookJSONOutput:
        hook_invocations.append("context_added")
        return {
            "systemMessage": "Additional context provided by hook",
            "reason": "Hook providing monitoring feedback",
            "suppressOutput": False,
            "hookSpecificOutput": {
                "hookEventName": "PostToolUse",
                "additionalContext": "The command executed successfully with hook monitoring",
            },
        }

    options = ClaudeAgentOptions(
        allowed_tools=["Bash"],
        hooks={"PostToolUse": [HookMatcher(matcher="Bash", hooks=[context_hook])]},
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Run: echo 'testing hooks'")
        async for message in client.receive_response():
            if isinstance(message, ResultMessage):
                print(f"Got message: ResultMessage {message.result!r}")
            else:
                print(f"Got message: {type(message).__name__}")

    print(f"Hook invocations: {hook_invocations}")


anyio.run(main)
