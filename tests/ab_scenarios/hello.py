# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/01_basics/01_query_basic/docs_samples/01_02_extract_text_response.py
"""hello: a helper sends one prompt with query() and joins the text blocks of the reply.

Adapted from mtmtnao-handson/claude-agent-sdk-handon,
src/01_basics/01_query_basic/docs_samples/01_02_extract_text_response.py (get_text_response).
Adapted: the prompt is in English.
"""

import asyncio

from claude_agent_sdk import AssistantMessage, TextBlock, query


async def get_text_response(prompt: str) -> str:
    """Send the prompt and return the text of the reply."""
    text_parts = []

    async for message in query(prompt=prompt):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    text_parts.append(block.text)

    return "".join(text_parts)


async def main():
    response = await get_text_response("Name three main features of Python.")
    print(response)


asyncio.run(main())
