"""streaming_input_followup: client.query() given an async generator of four user-message dicts
(sent half a second apart), then a plain-string follow-up in the same session.

Adapted from JulioRomeroTorres/poc-claude-sdk, streaming.py. Adapted: messages are printed by
type and text instead of whole (they hold ids and timings).
"""

import asyncio

from claude_agent_sdk import AssistantMessage, ClaudeSDKClient, TextBlock


async def message_stream():
    """Generate messages dynamically."""
    yield {"type": "user", "message": {"role": "user", "content": "Analyze the following data:"}}
    await asyncio.sleep(0.5)
    yield {"type": "user", "message": {"role": "user", "content": "Temperature: 25°C"}}
    await asyncio.sleep(0.5)
    yield {"type": "user", "message": {"role": "user", "content": "Humidity: 60%"}}
    await asyncio.sleep(0.5)
    yield {"type": "user", "message": {"role": "user", "content": "What patterns do you see?"}}


def show(message) -> None:
    print(type(message).__name__)
    if isinstance(message, AssistantMessage):
        for block in message.content:
            if isinstance(block, TextBlock):
                print("  text:", block.text)


async def main():
    async with ClaudeSDKClient() as client:
        # Stream input to Claude
        await client.query(message_stream())

        # Process response
        async for message in client.receive_response():
            show(message)

        # Follow-up in same session
        await client.query("Should we be concerned about these readings?")

        async for message in client.receive_response():
            show(message)


asyncio.run(main())
