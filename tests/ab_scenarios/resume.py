# Source: https://github.com/patrickcarmichael/claude-docs/blob/HEAD/docs/ai-platforms/anthropic/formatted/182-how-sessions-work.md
"""resume: a first query() with model="claude-sonnet-4-5" saves the session id from the init
message (found by hasattr(message, "subtype")); a second query() resumes it with
"Continue where we left off".

Adapted from patrickcarmichael/claude-docs,
docs/ai-platforms/anthropic/formatted/182-how-sessions-work.md (the Python example of "Getting
the Session ID", which resumes at the end). Adapted: wrapped in a program; messages are printed
by type and text instead of whole (they hold ids and timings); the id itself is not printed,
only whether the resumed session is the saved one.
"""

import asyncio

from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, ResultMessage, TextBlock, query


def show(message) -> None:
    print(type(message).__name__)
    if isinstance(message, AssistantMessage):
        for block in message.content:
            if isinstance(block, TextBlock):
                print("  text:", block.text)


async def main():
    session_id = None

    async for message in query(
        prompt="Help me build a web application",
        options=ClaudeAgentOptions(model="claude-sonnet-4-5"),
    ):
        # The first message is a system init message with the session ID
        if hasattr(message, "subtype") and message.subtype == "init":
            session_id = message.data.get("session_id")
            print("Session started:", bool(session_id))
        show(message)

    # Later, the saved session_id resumes the conversation
    if session_id:
        async for message in query(
            prompt="Continue where we left off",
            options=ClaudeAgentOptions(resume=session_id),
        ):
            show(message)
            if isinstance(message, ResultMessage):
                print("same session:", message.session_id == session_id)


asyncio.run(main())
