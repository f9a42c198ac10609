# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/agents.py
"""agents_code_reviewer: a custom code-reviewer agent (tools Read and Grep, model "sonnet") that
the main agent runs through the Agent tool; the subagent reads the file it reviews.

Source: anthropics/claude-agent-sdk-python, examples/agents.py (code_reviewer_example).
Adapted: only this example of the file runs; it writes the file it asks about; the cost is not
printed; every message's kind and parent_tool_use_id are printed.
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
    UserMessage,
    query,
)


async def code_reviewer_example():
    """Example using a custom code reviewer agent."""
    print("=== Code Reviewer Agent Example ===")
    Path("src/claude_agent_sdk").mkdir(parents=True)
    Path("src/claude_agent_sdk/types.py").write_text("def add(a, b):\n    return a - b\n")

    options = ClaudeAgentOptions(
        agents={
            "code-reviewer": AgentDefinition(
                description="Reviews code for best practices and potential issues",
                prompt="You are a code reviewer. Analyze code for bugs, performance issues, "
                "security vulnerabilities, and adherence to best practices. "
                "Provide constructive feedback.",
                tools=["Read", "Grep"],
                model="sonnet",
            ),
        },
    )

    async for message in query(
        prompt="Use the code-reviewer agent to review the code in src/claude_agent_sdk/types.py",
        options=options,
    ):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
                elif isinstance(block, ToolUseBlock):
                    print(f"Tool use: {block.name} (parent: {message.parent_tool_use_id})")
        elif isinstance(message, UserMessage):
            print(f"User message (parent: {message.parent_tool_use_id})")
        elif isinstance(message, ResultMessage):
            print(f"Result: {message.subtype} {message.result!r}")
    print()


anyio.run(code_reviewer_example)
