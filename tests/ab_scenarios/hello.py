"""hello: one prompt, one text reply."""

import anyio
from claude_agent_sdk import AssistantMessage, ResultMessage, TextBlock, query


async def main() -> None:
    async for message in query(prompt="Say hello."):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print("Claude:", block.text)
        elif isinstance(message, ResultMessage):
            print("result:", message.result)


anyio.run(main)
