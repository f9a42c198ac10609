# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/streaming_mode.py
"""streaming_error_handling: a client whose receive_response() is cut by a 3-second timeout
while a 5-second Bash sleep runs; the program reports the timeout and disconnects.

Source: anthropics/claude-agent-sdk-python, examples/streaming_mode.py (example_error_handling).
Adapted: only this example of the file runs.
"""

import asyncio

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeSDKClient,
    CLIConnectionError,
    ResultMessage,
    TextBlock,
)


async def example_error_handling():
    print("=== Error Handling Example ===")

    client = ClaudeSDKClient()

    try:
        await client.connect()

        print("User: Run a bash sleep command for 5 seconds not in the background")
        await client.query("Run a bash sleep command for 5 seconds not in the background")

        try:
            messages = []
            async with asyncio.timeout(3.0):
                async for msg in client.receive_response():
                    messages.append(msg)
                    if isinstance(msg, AssistantMessage):
                        for block in msg.content:
                            if isinstance(block, TextBlock):
                                print(f"Claude: {block.text[:50]}...")
                    elif isinstance(msg, ResultMessage):
                        print("Result ended")
                        break

        except asyncio.TimeoutError:
            print("\nResponse timeout after 3 seconds - demonstrating graceful handling")
            print(f"Received {len(messages)} messages before timeout")

    except CLIConnectionError as e:
        print(f"Connection error: {e}")

    except Exception as e:
        print(f"Unexpected error: {e}")

    finally:
        await client.disconnect()

    print("\n")


asyncio.run(example_error_handling())
