# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/streaming_mode.py
"""streaming_interrupt: a long answer is interrupted from the program while the model is still
answering; a new question follows on the same client.

Source: anthropics/claude-agent-sdk-python, examples/streaming_mode.py
(example_with_interrupt). Unchanged but for the model script (its first reply is slow, so the
interrupt lands while the model is answering).
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


async def example_with_interrupt():
    """Demonstrate interrupt capability."""
    print("=== Interrupt Example ===")
    print("IMPORTANT: Interrupts require active message consumption.")

    async with ClaudeSDKClient() as client:
        print("\nUser: Count from 1 to 100 slowly")
        await client.query("Count from 1 to 100 slowly, with a brief pause between each number")

        messages_received = []

        async def consume_messages():
            """Consume messages in the background to enable interrupt processing."""
            async for message in client.receive_response():
                messages_received.append(message)
                display_message(message)

        consume_task = asyncio.create_task(consume_messages())

        await asyncio.sleep(2)
        print("\n[After 2 seconds, sending interrupt...]")
        await client.interrupt()

        await consume_task

        print("\nUser: Never mind, just tell me a quick joke")
        await client.query("Never mind, just tell me a quick joke")

        async for msg in client.receive_response():
            display_message(msg)

    print("\n")


asyncio.run(example_with_interrupt())
