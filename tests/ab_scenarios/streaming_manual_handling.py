# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/streaming_mode.py
"""streaming_manual_handling: a receive_messages() loop that scans the text and breaks on the
ResultMessage.

Source: anthropics/claude-agent-sdk-python, examples/streaming_mode.py
(example_manual_message_handling). Unchanged but for the model script.
"""

import asyncio

from claude_agent_sdk import AssistantMessage, ClaudeSDKClient, ResultMessage, TextBlock


async def example_manual_message_handling():
    """Manually handle message stream for custom logic."""
    print("=== Manual Message Handling Example ===")

    async with ClaudeSDKClient() as client:
        await client.query("List 5 programming languages and their main use cases")

        languages_found = []

        async for message in client.receive_messages():
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        text = block.text
                        print(f"Claude: {text}")
                        for lang in ["Python", "JavaScript", "Java", "C++", "Go", "Rust", "Ruby"]:
                            if lang in text and lang not in languages_found:
                                languages_found.append(lang)
                                print(f"Found language: {lang}")
            elif isinstance(message, ResultMessage):
                print("Result ended")
                print(f"Total languages mentioned: {len(languages_found)}")
                break

    print("\n")


asyncio.run(example_manual_message_handling())
