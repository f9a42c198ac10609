# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/quick_start.py
"""unknown_tool_called: the quick start's tools example, where the model first calls a tool that
does not exist; the call is shown, answered with the CLI's "No such tool available" error, and the
model goes on (here: to say so).

Source: anthropics/claude-agent-sdk-python, examples/quick_start.py (with_tools_example).
Adapted: tool calls and tool results are printed too; the scripted model calls a made-up
CreateFile tool, then answers.
"""

import anyio
from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    query,
)


async def with_tools_example():
    """Example using tools."""
    print("=== With Tools Example ===")

    options = ClaudeAgentOptions(
        allowed_tools=["Read", "Write"],
        system_prompt="You are a helpful file assistant.",
    )

    async for message in query(
        prompt="Create a file called hello.txt with 'Hello, World!' in it",
        options=options,
    ):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
                elif isinstance(block, ToolUseBlock):
                    print(f"Tool call: {block.name}")
        elif isinstance(message, UserMessage):
            for block in message.content:
                if isinstance(block, ToolResultBlock) and block.is_error:
                    print(f"Tool error: {block.content}")
        elif isinstance(message, ResultMessage):
            print(f"Result: {message.subtype}, {message.num_turns} turns")
    print()


if __name__ == "__main__":
    anyio.run(with_tools_example)
