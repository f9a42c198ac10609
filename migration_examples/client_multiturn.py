#!/usr/bin/env python3
"""ClaudeSDKClient: a conversation of two turns, the second relying on the first."""

import asyncio

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    TextBlock,
)


def display_message(msg):
    """Print assistant text, and the end of each response."""
    if isinstance(msg, AssistantMessage):
        for block in msg.content:
            if isinstance(block, TextBlock):
                print(f"Claude: {block.text}")
    elif isinstance(msg, ResultMessage):
        print(f"Result ended after {msg.num_turns} turn(s) in session {msg.session_id}")


async def main():
    options = ClaudeAgentOptions(system_prompt="You are a concise geography tutor.")

    async with ClaudeSDKClient(options=options) as client:
        # First turn
        print("User: What's the capital of France?")
        await client.query("What's the capital of France?")
        async for msg in client.receive_response():
            display_message(msg)

        # Second turn - a follow-up that only makes sense with the first one in context
        print("\nUser: What's the population of that city?")
        await client.query("What's the population of that city?")
        async for msg in client.receive_response():
            display_message(msg)


if __name__ == "__main__":
    asyncio.run(main())
