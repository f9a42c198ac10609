#!/usr/bin/env python3
"""The migration guide's "after" side: a persistent Letta agent with memory blocks, and sessions on it.

Not a Claude SDK program: this is where a migration goes next. The agent is created once (its id
is kept in WORKDIR/.letta-agent) and reused by every later run; each session is a new conversation
on it, and every conversation sees the agent's memory blocks.

Usage: letta_native_after.py [WORKDIR]  (default: the current directory)
"""

import os
import sys

import anyio

from claude_compat import AssistantMessage, ResultMessage, TextBlock
from letta_backend.native import create_agent, create_session

WORKDIR = sys.argv[1] if len(sys.argv) > 1 else "."
AGENT_FILE = os.path.join(WORKDIR, ".letta-agent")


def saved_agent_id():
    """The agent id a previous run saved, or None."""
    if not os.path.exists(AGENT_FILE):
        return None
    with open(AGENT_FILE) as f:
        return f.read().strip()


def save_agent_id(agent_id):
    """Keep the agent id for the next run."""
    with open(AGENT_FILE, "w") as f:
        f.write(agent_id)


async def get_agent():
    """The id of the team's agent: the saved one, else a new agent with its memory blocks."""
    agent_id = saved_agent_id()
    if agent_id:
        print("Agent: reused from .letta-agent")
        return agent_id
    agent_id = await create_agent(
        system_prompt="You are the team's release assistant.",
        memory_blocks={
            "human": "The user is Ada, the release manager.",
            "project": "Project Falcon ships every Friday at 10:00.",
        },
        name="release-assistant",
    )
    save_agent_id(agent_id)
    print("Agent: created, id saved to .letta-agent")
    return agent_id


async def ask(session, text):
    """One turn: send, then stream the answer."""
    print(f"User: {text}")
    await session.send(text)
    async for msg in session.stream():
        if isinstance(msg, AssistantMessage):
            for block in msg.content:
                if isinstance(block, TextBlock):
                    print(f"Assistant: {block.text}")
        elif isinstance(msg, ResultMessage):
            print(f"Result: {msg.subtype}")


async def main():
    agent_id = await get_agent()

    # A session is a conversation on the agent.
    async with create_session(agent_id, cwd=WORKDIR) as first:
        await ask(first, "I have to leave early today.")

    # A second session on the same agent: a new conversation, but the same memory blocks.
    async with create_session(agent_id, cwd=WORKDIR) as second:
        await ask(second, "When do we ship?")

    print(f"Same agent: {first.agent_id == second.agent_id == agent_id}")
    print(f"Separate conversations: {first.conversation_id != second.conversation_id}")


if __name__ == "__main__":
    anyio.run(main)
