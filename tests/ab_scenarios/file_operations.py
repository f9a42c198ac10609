# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/03_tools/01_file_operations.py
"""file_operations: Read, Write and Edit allowed in bypassPermissions; the model creates config.py,
reads it back, then edits DEBUG = False to DEBUG = True.

Adapted from mtmtnao-handson/claude-agent-sdk-handon, src/03_tools/01_file_operations.py.
Adapted: the prompt is in English; the work happens in the program's working directory instead
of a fresh temporary one (whose random path would differ between runs); messages are printed by
type, text and tool call instead of whole (they hold ids and timings), and the file at the end.
"""

import asyncio
from pathlib import Path

from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, TextBlock, ToolUseBlock, query


async def main():
    """File operations with Read, Write and Edit."""
    workdir = Path.cwd()
    options = ClaudeAgentOptions(
        allowed_tools=["Read", "Write", "Edit"],
        permission_mode="bypassPermissions",
        cwd=workdir,
    )

    async for message in query(
        prompt="""
        Do the following:
        1. Create a file called config.py containing DEBUG = False
        2. Read the file back to check its content
        3. Edit it to DEBUG = True
        """,
        options=options,
    ):
        print(type(message).__name__)
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print("  text:", block.text)
                elif isinstance(block, ToolUseBlock):
                    print("  tool:", block.name)
    print((workdir / "config.py").read_text())


if __name__ == "__main__":
    asyncio.run(main())
