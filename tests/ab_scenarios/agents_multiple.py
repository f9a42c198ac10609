# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/agents.py
"""agents_multiple: two custom agents (an analyzer with Read/Grep/Glob, a tester with
Read/Write/Bash) and setting_sources=["user", "project"]; the analyzer runs a Glob.

Source: anthropics/claude-agent-sdk-python, examples/agents.py (multiple_agents_example).
Adapted: only this example of the file runs; it writes the examples/ file it asks about; the
cost is not printed; tool uses are printed with their parent_tool_use_id.
"""

from pathlib import Path

import anyio
from claude_agent_sdk import (
    AgentDefinition,
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    TextBlock,
    ToolUseBlock,
    query,
)


async def multiple_agents_example():
    """Example with multiple custom agents."""
    print("=== Multiple Agents Example ===")
    Path("examples").mkdir()
    Path("examples/quick_start.py").write_text("print('hi')\n")

    options = ClaudeAgentOptions(
        agents={
            "analyzer": AgentDefinition(
                description="Analyzes code structure and patterns",
                prompt="You are a code analyzer. Examine code structure, patterns, and architecture.",
                tools=["Read", "Grep", "Glob"],
            ),
            "tester": AgentDefinition(
                description="Creates and runs tests",
                prompt="You are a testing expert. Write comprehensive tests and ensure code quality.",
                tools=["Read", "Write", "Bash"],
                model="sonnet",
            ),
        },
        setting_sources=["user", "project"],
    )

    async for message in query(
        prompt="Use the analyzer agent to find all Python files in the examples/ directory",
        options=options,
    ):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
                elif isinstance(block, ToolUseBlock):
                    print(f"Tool use: {block.name} {block.input} (parent: {message.parent_tool_use_id})")
        elif isinstance(message, ResultMessage):
            print(f"Result: {message.result!r}")
    print()


anyio.run(multiple_agents_example)
