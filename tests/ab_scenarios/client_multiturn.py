"""client_multiturn: three turns on one ClaudeSDKClient session."""

import anyio
from claude_agent_sdk import AssistantMessage, ClaudeSDKClient, ResultMessage, TextBlock


async def main() -> None:
    async with ClaudeSDKClient() as client:
        for prompt in ("First question", "Second question", "Third question"):
            await client.query(prompt)
            async for message in client.receive_response():
                if isinstance(message, AssistantMessage):
                    for block in message.content:
                        if isinstance(block, TextBlock):
                            print("Claude:", block.text)
                elif isinstance(message, ResultMessage):
                    print("turns:", message.num_turns)


anyio.run(main)
