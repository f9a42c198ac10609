#!/usr/bin/env python3
"""Resume a session from a second process: the first run prints its session id, the second continues it.

Usage:
    resume_second_process.py               # starts a session in the current directory, prints its id
    resume_second_process.py SESSION_ID    # resumes that session, with its history
"""

import sys

import anyio

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    ToolUseBlock,
    query,
)


async def run(prompt, options):
    """Run one query and return its session id."""
    session_id = None
    async for message in query(prompt=prompt, options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
                elif isinstance(block, ToolUseBlock):
                    print(f"Tool: {block.name}")
        elif isinstance(message, ResultMessage):
            session_id = message.session_id
    return session_id


async def main():
    if len(sys.argv) > 1:
        # Second process: continue the session the first one started.
        session_id = await run(
            "Mark the first step of the plan as done.",
            ClaudeAgentOptions(resume=sys.argv[1], permission_mode="acceptEdits"),
        )
        print(f"Resumed session: {session_id}")
    else:
        # First process: start a session, print its id and exit.
        session_id = await run(
            "Write a three-step release plan to PLAN.md.",
            ClaudeAgentOptions(permission_mode="acceptEdits"),
        )
        print(f"Session: {session_id}")
        print(f"Resume it with: python {sys.argv[0]} {session_id}")


if __name__ == "__main__":
    anyio.run(main)
