# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/streaming_mode.py
"""streaming_basic: one question on a ClaudeSDKClient, read with receive_response().

Source: anthropics/claude-agent-sdk-python, examples/streaming_mode.py
(example_basic_streaming with its display_message). Unchanged but for the model script.
"""

import asyncio

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeSDKClient,
    ResultMessage,
    SystemMessage,
    TextBlock,
    UserMessage,
)


def display_message(msg):
    """Standardized message display function."""
    if isinstance(msg, UserMessage):
        for block in msg.content:
            if isinstance(block, TextBlock):
                print(f"User: {block.text}")
    elif isinstance(msg, AssistantMessage):
        for block in msg.content:
            if isinstance(block, TextBlock):
                print(f"Claude: {block.text}")
    elif isinstance(msg, SystemMessage):
        pass
    elif isinstance(msg, ResultMessage):
        print("Result ended")


async def example_basic_streaming():
    """Basic streaming with context manager."""
    print("=== Basic Streaming Example ===")

    async with ClaudeSDKClient() as client:
        print("User: What is 2+2?")
        await client.query("What is 2+2?")

        async for msg in client.receive_response():
            display_message(msg)

    print("\n")


asyncio.run(example_basic_streaming())
