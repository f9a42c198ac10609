# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/streaming_mode.py
"""streaming_multi_turn: two turns on one client, the second a follow-up to the first.

Source: anthropics/claude-agent-sdk-python, examples/streaming_mode.py
(example_multi_turn_conversation). Unchanged but for the model script.
"""

import asyncio

from claude_agent_sdk import AssistantMessage, ClaudeSDKClient, ResultMessage, TextBlock


def display_message(msg):
    if isinstance(msg, AssistantMessage):
        for block in msg.content:
            if isinstance(block, TextBlock):
                print(f"Claude: {block.text}")
    elif isinstance(msg, ResultMessage):
        print("Result ended")


async def example_multi_turn_conversation():
    """Multi-turn conversation using receive_response helper."""
    print("=== Multi-Turn Conversation Example ===")

    async with ClaudeSDKClient() as client:
        print("User: What's the capital of France?")
        await client.query("What's the capital of France?")
        async for msg in client.receive_response():
            display_message(msg)

        print("\nUser: What's the population of that city?")
        await client.query("What's the population of that city?")
        async for msg in client.receive_response():
            display_message(msg)

    print("\n")


asyncio.run(example_multi_turn_conversation())
