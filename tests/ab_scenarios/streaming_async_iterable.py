# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/streaming_mode.py
"""streaming_async_iterable: client.query() given an async generator of three user messages;
the program drains receive_response() until a wait times out.

Source: anthropics/claude-agent-sdk-python, examples/streaming_mode.py
(example_async_iterable_prompt). Adapted: the drain loop waits 8 s instead of 30 s for a
result that never comes, so the run stays short.
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


async def example_async_iterable_prompt():
    """Demonstrate send_message with async iterable."""
    print("=== Async Iterable Prompt Example ===")

    async def create_message_stream():
        """Generate a stream of messages."""
        print("User: Hello! I have multiple questions.")
        yield {
            "type": "user",
            "message": {"role": "user", "content": "Hello! I have multiple questions."},
            "parent_tool_use_id": None,
            "session_id": "qa-session",
        }

        print("User: First, what's the capital of Japan?")
        yield {
            "type": "user",
            "message": {"role": "user", "content": "First, what's the capital of Japan?"},
            "parent_tool_use_id": None,
            "session_id": "qa-session",
        }

        print("User: Second, what's 15% of 200?")
        yield {
            "type": "user",
            "message": {"role": "user", "content": "Second, what's 15% of 200?"},
            "parent_tool_use_id": None,
            "session_id": "qa-session",
        }

    async with ClaudeSDKClient() as client:
        await client.query(create_message_stream())

        while True:
            try:
                async with asyncio.timeout(8.0):
                    async for msg in client.receive_response():
                        display_message(msg)
            except (asyncio.TimeoutError, StopAsyncIteration):
                break

    print("\n")


asyncio.run(example_async_iterable_prompt())
