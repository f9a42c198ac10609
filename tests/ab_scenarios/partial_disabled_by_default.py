# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_include_partial_messages.py
"""partial_disabled_by_default: no include_partial_messages on a client with model and
max_turns; the program prints the kinds it received (no StreamEvent).

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_include_partial_messages.py
(test_partial_messages_disabled_by_default). Adapted: a program instead of a test; the kinds
are printed.
"""

from typing import Any

import anyio
from claude_agent_sdk import ClaudeSDKClient
from claude_agent_sdk.types import ClaudeAgentOptions, StreamEvent


async def main() -> None:
    options = ClaudeAgentOptions(
        model="claude-sonnet-4-5",
        max_turns=2,
    )

    collected_messages: list[Any] = []

    async with ClaudeSDKClient(options) as client:
        await client.query("Say hello")
        async for message in client.receive_response():
            collected_messages.append(message)

    print("kinds:", [type(msg).__name__ for msg in collected_messages])
    print("stream events:", len([m for m in collected_messages if isinstance(m, StreamEvent)]))


anyio.run(main)
