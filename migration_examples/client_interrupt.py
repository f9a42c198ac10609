#!/usr/bin/env python3
"""ClaudeSDKClient: a first turn, a long turn interrupted from the main task, then a new instruction.

Interrupts need active message consumption: a background task reads the long turn's messages
while the main task waits, then calls client.interrupt(). The turn still ends with a ResultMessage.
"""

import asyncio

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    TextBlock,
)


def display_message(msg):
    """Print assistant text, and how each response ended."""
    if isinstance(msg, AssistantMessage):
        for block in msg.content:
            if isinstance(block, TextBlock):
                print(f"Claude: {block.text}")
    elif isinstance(msg, ResultMessage):
        print(f"Result: {msg.subtype} (terminal reason: {msg.terminal_reason})")


async def main():
    options = ClaudeAgentOptions(system_prompt="You are a patient assistant.")

    async with ClaudeSDKClient(options=options) as client:
        # A short first turn.
        print("User: Say hello.")
        await client.query("Say hello.")
        async for msg in client.receive_response():
            display_message(msg)

        # Start a long-running task.
        print("\nUser: Count from 1 to 100 slowly")
        await client.query("Count from 1 to 100 slowly, with a brief pause between each number")

        async def consume_messages():
            """Consume messages in the background so the interrupt can be processed."""
            async for msg in client.receive_response():
                display_message(msg)

        consume_task = asyncio.create_task(consume_messages())

        # Wait 2 seconds, then interrupt the running turn.
        await asyncio.sleep(2)
        print("[After 2 seconds, sending interrupt...]")
        await client.interrupt()

        # The consumer ends after the interrupted turn's ResultMessage.
        await consume_task

        # The session goes on after the interrupt.
        print("\nUser: Never mind, just tell me a joke")
        await client.query("Never mind, just tell me a joke")
        async for msg in client.receive_response():
            display_message(msg)


if __name__ == "__main__":
    asyncio.run(main())
