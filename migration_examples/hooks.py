#!/usr/bin/env python3
"""Hooks: a PreToolUse hook that blocks dangerous Bash commands, a PostToolUse hook that logs each tool.

Usage: hooks.py [WORKDIR]  (default: the current directory; the log is WORKDIR/tool_log.txt)
"""

import asyncio
import os
import sys

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookContext,
    HookInput,
    HookJSONOutput,
    HookMatcher,
    ResultMessage,
    TextBlock,
    ToolResultBlock,
    UserMessage,
)

WORKDIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
LOG_FILE = os.path.join(WORKDIR, "tool_log.txt")


async def check_bash_command(
    input_data: HookInput, tool_use_id: str | None, context: HookContext
) -> HookJSONOutput:
    """Prevent dangerous bash commands from being executed."""
    if input_data["tool_name"] != "Bash":
        return {}

    command = input_data["tool_input"].get("command", "")
    block_patterns = ["rm -rf", "mkfs", "> /dev/sda"]

    for pattern in block_patterns:
        if pattern in command:
            print(f"[PreToolUse] blocked: {command}")
            return {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": f"Command contains a dangerous pattern: {pattern}",
                }
            }

    print(f"[PreToolUse] allowed: {command}")
    return {}


def append_to_log(line):
    """Append one line to the log file."""
    with open(LOG_FILE, "a") as log:
        log.write(line + "\n")


async def log_tool_use(
    input_data: HookInput, tool_use_id: str | None, context: HookContext
) -> HookJSONOutput:
    """Log every completed tool call."""
    append_to_log(f"{input_data['tool_name']}: {input_data['tool_input']}")
    print(f"[PostToolUse] logged {input_data['tool_name']}")
    return {}


def display_message(msg):
    """Print assistant text, tool errors and the end of each response."""
    if isinstance(msg, AssistantMessage):
        for block in msg.content:
            if isinstance(block, TextBlock):
                print(f"Claude: {block.text}")
    elif isinstance(msg, UserMessage):
        for block in msg.content:
            if isinstance(block, ToolResultBlock) and block.is_error:
                print(f"Tool error: {block.content}")
    elif isinstance(msg, ResultMessage):
        print("Result ended")


async def main():
    options = ClaudeAgentOptions(
        allowed_tools=["Bash"],
        cwd=WORKDIR,
        hooks={
            "PreToolUse": [HookMatcher(matcher="Bash", hooks=[check_bash_command])],
            "PostToolUse": [HookMatcher(hooks=[log_tool_use])],
        },
    )

    async with ClaudeSDKClient(options=options) as client:
        # Test 1: a command the PreToolUse hook blocks.
        print("User: Run the bash command: rm -rf build")
        await client.query("Run the bash command: rm -rf build")
        async for msg in client.receive_response():
            display_message(msg)

        print("\n" + "=" * 50 + "\n")

        # Test 2: a safe command that runs, and is logged.
        print("User: Run the bash command: echo 'Hello from hooks example!' > hello.txt")
        await client.query("Run the bash command: echo 'Hello from hooks example!' > hello.txt")
        async for msg in client.receive_response():
            display_message(msg)


if __name__ == "__main__":
    asyncio.run(main())
