# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_hooks.py
"""hook_continue_stop_reason: a PostToolUse hook on Bash answers continue_=False with a
stopReason, reason and systemMessage; the client reads the response to its end.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_hooks.py
(test_hook_with_continue_and_stop_reason). Adapted: a program instead of a test; messages are
printed by type (and results by subtype).
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

    async def post_tool_hook(
        input_data: HookInput, tool_use_id: str | None, context: HookContext
    ) -> HookJSONOutput:
        tool_name = input_data.get("tool_name", "")
        hook_invocations.append(tool_name)
        return {
            "continue_": False,
            "stopReason": "Execution halted by test hook for validation",
            "reason": "Testing continue and stopReason fields",
            "systemMessage": "🛑 Test hook stopped execution",
        }

    options = ClaudeAgentOptions(
        allowed_tools=["Bash"],
        hooks={"PostToolUse": [HookMatcher(matcher="Bash", hooks=[post_tool_hook])]},
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Run: echo 'test message'")
        async for message in client.receive_response():
            if isinstance(message, ResultMessage):
                print(f"Got message: ResultMessage {message.subtype} {message.result!r}")
            else:
                print(f"Got message: {type(message).__name__}")

    print(f"Hook invocations: {hook_invocations}")


anyio.run(main)
