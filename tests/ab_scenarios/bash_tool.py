# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/03_tools/02_bash_tool.py
"""bash_tool: allowed_tools=["Bash"] in permission_mode="default"; the model runs two commands
(the Python version, then the installed packages); the program shows each message.

Adapted from mtmtnao-handson/claude-agent-sdk-handon, src/03_tools/02_bash_tool.py.
Adapted: the prompt is in English; messages are printed by type, text and tool call instead of
whole (they hold ids and timings).
"""

import asyncio

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    ToolUseBlock,
    query,
)


async def main():
    """Run shell commands with the Bash tool."""
    options = ClaudeAgentOptions(
        allowed_tools=["Bash"],
        permission_mode="default",  # asks before anything not allowed (safe)
    )

    async for message in query(
        prompt="""
        Run the following commands:
        1. Check the Python version
        2. Show the packages installed with pip
        """,
        options=options,
    ):
        print(type(message).__name__)
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print("  text:", block.text)
                elif isinstance(block, ToolUseBlock):
                    print("  tool:", block.name, block.input.get("command"))
        elif isinstance(message, ResultMessage):
            print("  result:", message.subtype, message.result)


if __name__ == "__main__":
    asyncio.run(main())
