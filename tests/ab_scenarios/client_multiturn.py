# Source: https://github.com/khangtran24/nasus/blob/HEAD/playground/example_claude_sdk.py
"""client_multiturn: three questions on one ClaudeSDKClient, each a follow-up to the one before
(a capital, its population, its landmarks); the program prints the text of each answer.

Adapted from khangtran24/nasus, playground/example_claude_sdk.py. Adapted: the unused
ResultMessage import is left out.
"""

import asyncio

from claude_agent_sdk import AssistantMessage, ClaudeSDKClient, TextBlock


async def main():
    async with ClaudeSDKClient() as client:
        # First question
        await client.query("What's the capital of France?")

        # Process response
        async for message in client.receive_response():
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print(f"Claude: {block.text}")

        # Follow-up question - Claude remembers the previous context
        await client.query("What's the population of that city?")

        async for message in client.receive_response():
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print(f"Claude: {block.text}")

        # Another follow-up - still in the same conversation
        await client.query("What are some famous landmarks there?")

        async for message in client.receive_response():
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print(f"Claude: {block.text}")


asyncio.run(main())
