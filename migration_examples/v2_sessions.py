#!/usr/bin/env python3
"""The V2 session API: create a session, send() then stream() turn by turn, then resume it by id.

The migration guide's V2 example, written in Python (the Claude SDK has this API in TypeScript).
"""

import anyio

from claude_compat import (
    AssistantMessage,
    ResultMessage,
    TextBlock,
    unstable_v2_createSession,
    unstable_v2_resumeSession,
)


def print_message(msg):
    """Print assistant text and the end of each turn."""
    if isinstance(msg, AssistantMessage):
        for block in msg.content:
            if isinstance(block, TextBlock):
                print(f"Assistant: {block.text}")
    elif isinstance(msg, ResultMessage):
        print(f"Result: {msg.subtype} ({msg.num_turns} turn)")


async def main():
    async with unstable_v2_createSession(system_prompt="You are a helpful assistant.") as session:
        await session.send("Hello! My name is Ada.")
        async for msg in session.stream():
            print_message(msg)

        # One send() and one stream() per turn, as often as needed.
        await session.send("My favourite colour is green.")
        async for msg in session.stream():
            print_message(msg)

    # The id is known once the first turn has started; keep it to come back later.
    session_id = session.session_id
    print(f"Session: {session_id}")

    # Later: resume the same session by its id, with its history.
    async with unstable_v2_resumeSession(session_id) as resumed:
        await resumed.send("What are my name and my favourite colour?")
        async for msg in resumed.stream():
            print_message(msg)

    print(f"Resumed the same session: {resumed.session_id == session_id}")


if __name__ == "__main__":
    anyio.run(main)
