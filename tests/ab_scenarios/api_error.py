"""api_error: the model API answers 400 every time; an error result, then ResultError."""

import anyio
from claude_agent_sdk import AssistantMessage, ResultError, ResultMessage, TextBlock, query


async def main() -> None:
    try:
        async for message in query(prompt="hello"):
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print("Claude:", block.text)
            elif isinstance(message, ResultMessage):
                print("result:", message.is_error, message.api_error_status)
    except ResultError as exc:
        print("raised ResultError:", exc.api_error_status)


anyio.run(main)
