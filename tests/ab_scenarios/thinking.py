"""thinking: the reply starts with a thinking block, then text."""

import anyio
from claude_agent_sdk import AssistantMessage, ResultMessage, TextBlock, ThinkingBlock, query


async def main() -> None:
    async for message in query(prompt="What is 2 + 2?"):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, ThinkingBlock):
                    print("thinking:", block.thinking)
                elif isinstance(block, TextBlock):
                    print("Claude:", block.text)
        elif isinstance(message, ResultMessage):
            print("result:", message.result)


anyio.run(main)
