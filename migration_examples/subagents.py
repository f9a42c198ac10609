#!/usr/bin/env python3
"""Subagents: a code-reviewer agent defined with agents=, which the main agent calls to review a file.

Usage: subagents.py [WORKDIR]  (default: the current directory; the reviewer reads WORKDIR/app.py)
"""

import sys

import anyio

from claude_compat import (
    AgentDefinition,
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    query,
)

WORKDIR = sys.argv[1] if len(sys.argv) > 1 else "."


async def main():
    options = ClaudeAgentOptions(
        cwd=WORKDIR,
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

    async for message in query(prompt="Use the code-reviewer agent to review app.py", options=options):
        if isinstance(message, SystemMessage) and message.subtype == "init":
            print(f"Agents: {message.data.get('agents')}")
        elif isinstance(message, AssistantMessage):
            # Messages from inside a subagent carry the id of the tool call that started it.
            who = "code-reviewer" if message.parent_tool_use_id else "Claude"
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"{who}: {block.text}")
                elif isinstance(block, ToolUseBlock):
                    print(f"{who} uses {block.name}: {block.input.get('subagent_type') or block.input}")
        elif isinstance(message, UserMessage) and not message.parent_tool_use_id:
            # The subagent's final answer comes back as the result of the main agent's Agent call:
            # the ToolResultBlock holds it framed for the model, tool_use_result["content"] ends with
            # the report itself.
            result = message.tool_use_result
            if isinstance(result, dict) and result.get("content"):
                print(f"Subagent report: {result['content'][-1]['text']}")
            else:
                for block in message.content:
                    if isinstance(block, ToolResultBlock):
                        print(f"Subagent report: {block.content}")
        elif isinstance(message, ResultMessage):
            print(f"Result: {message.subtype} after {message.num_turns} turn(s)")


if __name__ == "__main__":
    anyio.run(main)
