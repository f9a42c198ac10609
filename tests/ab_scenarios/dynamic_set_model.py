# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_dynamic_control.py
"""dynamic_set_model: set_model() to another model between questions, then back with None.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_dynamic_control.py (test_set_model).
Adapted: a program instead of a test; messages are printed by type.
"""

import anyio
from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, ClaudeSDKClient, TextBlock


def show(label: str, message) -> None:
    text = ""
    if isinstance(message, AssistantMessage):
        text = " ".join(b.text for b in message.content if isinstance(b, TextBlock))
    print(f"{label}: {type(message).__name__} {text}".rstrip())


async def main() -> None:
    async with ClaudeSDKClient(options=ClaudeAgentOptions()) as client:
        await client.query("What is 1+1? Just the number.")
        async for message in client.receive_response():
            show("Default model response", message)

        await client.set_model("claude-3-5-haiku-20241022")
        await client.query("What is 2+2? Just the number.")
        async for message in client.receive_response():
            show("Haiku model response", message)

        await client.set_model(None)
        await client.query("What is 3+3? Just the number.")
        async for message in client.receive_response():
            show("Back to default model", message)


anyio.run(main)
