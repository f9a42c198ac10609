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
    TaskNotificationMessage,
    TextBlock,
    ToolUseBlock,
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
        elif isinstance(message, TaskNotificationMessage):
            # The subagent's task ended: its summary is the subagent's final report. (The CLI runs a
            # subagent in the background unless told otherwise: the Agent call's own result only
            # says it was launched, and the main agent reads the report with its next request.)
            print(f"Subagent report: {message.summary}")
        elif isinstance(message, ResultMessage):
            print(f"Result: {message.subtype} after {message.num_turns} turn(s)")


if __name__ == "__main__":
    anyio.run(main)
