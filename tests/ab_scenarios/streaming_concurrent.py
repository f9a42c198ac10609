# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/streaming_mode.py
"""streaming_concurrent: a background task reads receive_messages() while the program sends three
questions, then cancels the reader.

Source: anthropics/claude-agent-sdk-python, examples/streaming_mode.py
(example_concurrent_responses). Adapted: instead of sleeping 3 s after each question and 2 s at
the end, the program waits (at most 60 s) until that question's ResultMessage has arrived, so
the output does not depend on how fast the model answers.
"""

import asyncio
import contextlib

from claude_agent_sdk import AssistantMessage, ClaudeSDKClient, ResultMessage, TextBlock


def display_message(msg):
    if isinstance(msg, AssistantMessage):
        for block in msg.content:
            if isinstance(block, TextBlock):
                print(f"Claude: {block.text}")
    elif isinstance(msg, ResultMessage):
        print("Result ended")


async def example_concurrent_responses():
    """Handle responses while sending new messages."""
    print("=== Concurrent Send/Receive Example ===")

    async with ClaudeSDKClient() as client:
        results = 0
        result_seen = asyncio.Event()

        async def receive_messages():
            nonlocal results
            async for message in client.receive_messages():
                display_message(message)
                if isinstance(message, ResultMessage):
                    results += 1
                    result_seen.set()

        receive_task = asyncio.create_task(receive_messages())

        questions = [
            "What is 2 + 2?",
            "What is the square root of 144?",
            "What is 10% of 80?",
        ]

        for index, question in enumerate(questions, 1):
            print(f"\nUser: {question}")
            await client.query(question)
            async with asyncio.timeout(60):
                while results < index:
                    result_seen.clear()
                    await result_seen.wait()

        receive_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await receive_task

    print("\n")


asyncio.run(example_concurrent_responses())
