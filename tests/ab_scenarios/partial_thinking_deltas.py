# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_include_partial_messages.py
"""partial_thinking_deltas: include_partial_messages=True with thinking; the program joins the
thinking_delta texts of the content_block_delta stream events.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_include_partial_messages.py
(test_include_partial_messages_thinking_deltas). Adapted: a program instead of a test; the
joined thinking is printed.
"""

import anyio
from claude_agent_sdk import ClaudeSDKClient
from claude_agent_sdk.types import ClaudeAgentOptions, StreamEvent


async def main() -> None:
    options = ClaudeAgentOptions(
        include_partial_messages=True,
        model="claude-sonnet-4-5",
        max_turns=2,
        env={
            "MAX_THINKING_TOKENS": "8000",
        },
    )

    thinking_deltas = []

    async with ClaudeSDKClient(options) as client:
        await client.query("Think step by step about what 2 + 2 equals")

        async for message in client.receive_response():
            if isinstance(message, StreamEvent):
                event = message.event
                if event.get("type") == "content_block_delta":
                    delta = event.get("delta", {})
                    if delta.get("type") == "thinking_delta":
                        thinking_deltas.append(delta.get("thinking", ""))

    combined_thinking = "".join(thinking_deltas)
    print("got thinking deltas:", len(thinking_deltas) > 0)
    print("combined thinking:", combined_thinking)


anyio.run(main)
