# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_dynamic_control.py
"""dynamic_permission_mode: set_permission_mode("acceptEdits") before the first question and back
to "default" before the second, on one client.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_dynamic_control.py
(test_set_permission_mode). Adapted: a program instead of a test; messages are printed by type.
"""

import anyio
from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, ClaudeSDKClient, TextBlock


def show(message) -> None:
    text = ""
    if isinstance(message, AssistantMessage):
        text = " ".join(b.text for b in message.content if isinstance(b, TextBlock))
    print(f"Got message: {type(message).__name__} {text}".rstrip())


async def main() -> None:
    options = ClaudeAgentOptions(permission_mode="default")

    async with ClaudeSDKClient(options=options) as client:
        await client.set_permission_mode("acceptEdits")
        await client.query("What is 2+2? Just respond with the number.")
        async for message in client.receive_response():
            show(message)

        await client.set_permission_mode("default")
        await client.query("What is 3+3? Just respond with the number.")
        async for message in client.receive_response():
            show(message)


anyio.run(main)
