#!/usr/bin/env python3
"""The tools option: a list of built-in tools, no built-in tools at all, and the claude_code preset.

Usage: tools_option.py [WORKDIR]  (default: the current directory)
"""

import sys

import anyio

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    SystemMessage,
    TextBlock,
    ToolUseBlock,
    query,
)

WORKDIR = sys.argv[1] if len(sys.argv) > 1 else "."


async def run(prompt, options):
    """Run one query, printing the tools the session offers and what the model says and calls."""
    async for message in query(prompt=prompt, options=options):
        if isinstance(message, SystemMessage) and message.subtype == "init":
            tools = message.data.get("tools", [])
            if len(tools) > 5:
                print(f"Tools from system message ({len(tools)} tools): {tools[:5]}...")
            else:
                print(f"Tools from system message: {tools}")
        elif isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
                elif isinstance(block, ToolUseBlock):
                    print(f"Tool call: {block.name} {block.input}")
        elif isinstance(message, ResultMessage):
            print(f"Result: {message.subtype} after {message.num_turns} turn(s)")
    print()


async def tools_array_example():
    """Only the built-in tools named."""
    print("=== Tools Array Example ===")
    print("Setting tools=['Read', 'Glob']")
    options = ClaudeAgentOptions(tools=["Read", "Glob"], cwd=WORKDIR, max_turns=3)
    await run("Which Python files are in this directory?", options)


async def tools_empty_array_example():
    """No built-in tools at all."""
    print("=== Tools Empty Array Example ===")
    print("Setting tools=[]")
    options = ClaudeAgentOptions(tools=[], cwd=WORKDIR, max_turns=1)
    await run("What tools do you have available? Just list them briefly.", options)


async def tools_preset_example():
    """Every default Claude Code tool."""
    print("=== Tools Preset Example ===")
    print("Setting tools={'type': 'preset', 'preset': 'claude_code'}")
    options = ClaudeAgentOptions(tools={"type": "preset", "preset": "claude_code"}, cwd=WORKDIR, max_turns=1)
    await run("What tools do you have available? Just list them briefly.", options)


async def main():
    await tools_array_example()
    await tools_empty_array_example()
    await tools_preset_example()


if __name__ == "__main__":
    anyio.run(main)
