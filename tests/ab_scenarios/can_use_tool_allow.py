# Source: https://github.com/xiaolai/claude-agent-sdk-skill-autoupdated/blob/HEAD/templates/python/permission_control.py
"""can_use_tool_allow: a can_use_tool callback that allows read-only tools, blocks destructive
Bash commands and allows the rest with updated_input; the model runs a command that must ask
(mkdir), the callback allows it and it runs.

Adapted from xiaolai/claude-agent-sdk-skill-autoupdated, templates/python/permission_control.py.
Adapted: the callback also prints what it was asked; the prompt asks for a directory to be
created; the program prints whether it was.
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

    options = ClaudeAgentOptions(
        can_use_tool=can_use_tool,
        permission_mode="default",
        max_turns=10,
    )

    async for msg in query(prompt="Create a build directory here", options=options):
        if isinstance(msg, ResultMessage) and msg.subtype == "success":
            print(msg.result)
    print("build exists:", Path("build").is_dir())


asyncio.run(main())
