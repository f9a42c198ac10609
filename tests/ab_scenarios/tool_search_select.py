# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/quick_start.py
"""tool_search_select: the quick start's tools example, where the model loads deferred tools with
ToolSearch before using them: by name (``select:``), by keywords, and with a query nothing matches.
The program prints each call, each result's content and its ``tool_use_result``.

Source: anthropics/claude-agent-sdk-python, examples/quick_start.py (with_tools_example).
Adapted: no allowed_tools or system prompt; tool results are printed whole; the scripted model
calls ToolSearch three times, then answers.
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

    options = ClaudeAgentOptions()

    async for message in query(
        prompt="Which tools can edit a notebook or fetch a page?",
        options=options,
    ):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
                elif isinstance(block, ToolUseBlock):
                    print(f"Tool call: {block.name} {block.input}")
        elif isinstance(message, UserMessage):
            for block in message.content:
                if isinstance(block, ToolResultBlock):
                    print(f"Tool result: {block.content} error={block.is_error}")
                    print(f"Shown: {message.tool_use_result}")
        elif isinstance(message, ResultMessage):
            print(f"Result: {message.subtype}, {message.num_turns} turns")
    print()


if __name__ == "__main__":
    anyio.run(with_tools_example)
