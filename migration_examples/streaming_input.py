#!/usr/bin/env python3
"""Streaming input: the prompt is an async generator of user messages, answered one by one."""

import anyio

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    query,
)


async def message_generator():
    """Yield user messages as they become available."""
    yield {
        "type": "user",
        "message": {"role": "user", "content": "Name a fruit that is yellow."},
    }

    # Wait for some condition or input before sending the next message.
    await anyio.sleep(0.1)

    yield {
        "type": "user",
        "message": {
            "role": "user",
            "content": [{"type": "text", "text": "Now name one that is red."}],
        },
    }


async def main():
    options = ClaudeAgentOptions(
        system_prompt="Answer with a single word.",
        max_turns=10,
    )

    async for message in query(prompt=message_generator(), options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
        elif isinstance(message, ResultMessage):
            print(f"Result: {message.subtype} in session {message.session_id}")


if __name__ == "__main__":
    anyio.run(main)
