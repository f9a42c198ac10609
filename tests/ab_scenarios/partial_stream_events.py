# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_include_partial_messages.py
"""partial_stream_events: include_partial_messages=True with thinking (MAX_THINKING_TOKENS) on a
client; the program prints the kind of every message and the type of every stream event.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_include_partial_messages.py
(test_include_partial_messages_stream_events). Adapted: a program instead of a test; what the
test asserts is printed.
"""

from typing import Any

import anyio
from claude_agent_sdk import ClaudeSDKClient
from claude_agent_sdk.types import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
)


async def main() -> None:
    options = ClaudeAgentOptions(
        include_partial_messages=True,
        model="claude-sonnet-4-5",
        max_turns=2,
        env={
            "MAX_THINKING_TOKENS": "8000",
        },
    )

    collected_messages: list[Any] = []

    async with ClaudeSDKClient(options) as client:
        await client.query("Think of three jokes, then tell one")
        async for message in client.receive_response():
            collected_messages.append(message)

    for msg in collected_messages:
        if isinstance(msg, StreamEvent):
            print("StreamEvent", msg.event.get("type"))
        elif isinstance(msg, SystemMessage):
            print("SystemMessage", msg.subtype)
        elif isinstance(msg, AssistantMessage):
            kinds = [type(block).__name__ for block in msg.content]
            print("AssistantMessage", kinds)
        else:
            print(type(msg).__name__)

    assistant_messages = [m for m in collected_messages if isinstance(m, AssistantMessage)]
    print(
        "has thinking:",
        any(isinstance(b, ThinkingBlock) for m in assistant_messages for b in m.content),
    )
    print("has text:", any(isinstance(b, TextBlock) for m in assistant_messages for b in m.content))
    last = collected_messages[-1]
    print("ends with success:", isinstance(last, ResultMessage) and last.subtype == "success")


anyio.run(main)
