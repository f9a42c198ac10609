# Source: https://github.com/jbcodeforce/MyAIAssistant/blob/HEAD/.cursor/skills/claude-agent-sdk/reference.md
"""bugfix_accept_edits: a one-shot agent with Read, Edit and Glob in acceptEdits mode finds a
file, reads it and fixes a crash; the program prints text, tool names and the result subtype.

Adapted from jbcodeforce/MyAIAssistant, .cursor/skills/claude-agent-sdk/reference.md
("Bug-fixing agent with query()"). Adapted: the program writes the utils.py it asks about and
prints it afterwards.
"""

import asyncio
from pathlib import Path

from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, ResultMessage, query


async def main():
    Path("utils.py").write_text("def ratio(a, b):\n    return a / b\n")
    async for message in query(
        prompt="Review utils.py for bugs that would cause crashes. Fix any issues you find.",
        options=ClaudeAgentOptions(allowed_tools=["Read", "Edit", "Glob"], permission_mode="acceptEdits"),
    ):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if hasattr(block, "text"):
                    print(block.text)
                elif hasattr(block, "name"):
                    print(f"Tool: {block.name}")
        elif isinstance(message, ResultMessage):
            print(f"Done: {message.subtype}")
    print(Path("utils.py").read_text())


asyncio.run(main())
