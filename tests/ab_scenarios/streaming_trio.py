# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/streaming_mode_trio.py
"""streaming_trio: a three-turn conversation on ClaudeSDKClient under trio.

Source: anthropics/claude-agent-sdk-python, examples/streaming_mode_trio.py. Unchanged but for
the model script.
"""

import trio
from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    SystemMessage,
    TextBlock,
    UserMessage,
)


def display_message(msg):
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


async def multi_turn_conversation():
    """Example of a multi-turn conversation using trio."""
    async with ClaudeSDKClient(options=ClaudeAgentOptions(model="claude-sonnet-4-5")) as client:
        print("=== Multi-turn Conversation with Trio ===\n")

        print("User: What's 15 + 27?")
        await client.query("What's 15 + 27?")
        async for message in client.receive_response():
            display_message(message)
        print()

        print("User: Now multiply that result by 2")
        await client.query("Now multiply that result by 2")
        async for message in client.receive_response():
            display_message(message)
        print()

        print("User: Divide that by 7 and round to 2 decimal places")
        await client.query("Divide that by 7 and round to 2 decimal places")
        async for message in client.receive_response():
            display_message(message)

        print("\nConversation complete!")


if __name__ == "__main__":
    trio.run(multi_turn_conversation)
