# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_conversation_reset.py
"""conversation_reset: on a client with max_turns=1, a first question, then "/clear", which
resets the conversation (a ConversationResetMessage) without ending the connection.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_conversation_reset.py
(test_clear_emits_conversation_reset). Adapted: a program instead of a test; what it asserts
is printed, and every message by type.
"""

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ConversationResetMessage, ResultMessage


async def main() -> None:
    options = ClaudeAgentOptions(max_turns=1)

    first_result: ResultMessage | None = None
    reset: ConversationResetMessage | None = None
    clear_result: ResultMessage | None = None

    async with ClaudeSDKClient(options=options) as client:
        with anyio.fail_after(120):
            await client.query("Reply with exactly: one")
            async for message in client.receive_response():
                print("first:", type(message).__name__)
                if isinstance(message, ResultMessage):
                    first_result = message

        with anyio.fail_after(120):
            await client.query("/clear")
            async for message in client.receive_response():
                print("clear:", type(message).__name__)
                if isinstance(message, ConversationResetMessage):
                    reset = message
                elif isinstance(message, ResultMessage):
                    clear_result = message

    print("first result:", first_result is not None and first_result.result)
    print("reset received:", reset is not None)
    if reset is not None and first_result is not None:
        print("reset names the old session:", reset.session_id == first_result.session_id)
        print("reset has a new conversation id:", bool(reset.new_conversation_id))
    if clear_result is not None and first_result is not None:
        print("clear result in a new session:", clear_result.session_id != first_result.session_id)


anyio.run(main)
