# Source: https://github.com/xiaolai/claude-agent-sdk-skill-autoupdated/blob/HEAD/templates/python/permission_control.py
"""can_use_tool_deny: the same permission callback (read-only tools allowed, destructive Bash
commands denied) when the model tries to clean up with rm -rf; the denial reaches the model and
the directory stays.

Adapted from xiaolai/claude-agent-sdk-skill-autoupdated, templates/python/permission_control.py.
Adapted: the callback also prints what it was asked; the prompt asks to clean up a build
directory the program creates first; the program prints the result's denials and whether the
directory is still there.
"""

import asyncio
from pathlib import Path

from claude_agent_sdk import ClaudeAgentOptions, query
from claude_agent_sdk.types import (
    PermissionResultAllow,
    PermissionResultDeny,
    ToolPermissionContext,
)


async def can_use_tool(
    tool_name: str, tool_input: dict, context: ToolPermissionContext
) -> PermissionResultAllow | PermissionResultDeny:
    print("asked:", tool_name, tool_input.get("command"))
    read_only = ["Read", "Grep", "Glob"]
    if tool_name in read_only:
        return PermissionResultAllow(updated_input=tool_input)
    if tool_name == "Bash" and any(
        cmd in tool_input.get("command", "") for cmd in ["rm -rf", "dd if=", "mkfs"]
    ):
        return PermissionResultDeny(message="Destructive command blocked")
    return PermissionResultAllow(updated_input=tool_input)


async def main():
    from claude_agent_sdk import ResultMessage

    Path("build").mkdir()
    Path("build/app.o").write_text("object\n")
    options = ClaudeAgentOptions(
        can_use_tool=can_use_tool,
        permission_mode="default",
        max_turns=10,
    )

    async for msg in query(prompt="Clean up the build directory", options=options):
        if isinstance(msg, ResultMessage):
            if msg.subtype == "success":
                print(msg.result)
            print("denials:", [d["tool_name"] for d in msg.permission_denials or []])
    print("build exists:", Path("build").is_dir())


asyncio.run(main())
