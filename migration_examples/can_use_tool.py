#!/usr/bin/env python3
"""A can_use_tool callback: allow reads, deny writes to system directories, redirect other writes.

Usage: can_use_tool.py [WORKDIR]  (default: the current directory)
"""

import asyncio
import os
import sys

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    TextBlock,
    ToolPermissionContext,
    ToolResultBlock,
    UserMessage,
)

WORKDIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")

# Track every permission request for the summary at the end.
tool_usage_log = []


async def my_permission_callback(
    tool_name: str, input_data: dict, context: ToolPermissionContext
) -> PermissionResultAllow | PermissionResultDeny:
    """Control tool permissions based on tool type and input."""
    tool_usage_log.append(tool_name)
    print(f"Permission request: {tool_name}")

    # Always allow read operations.
    if tool_name in ["Read", "Glob", "Grep"]:
        print(f"  allowing {tool_name} (read-only operation)")
        return PermissionResultAllow()

    if tool_name in ["Write", "Edit"]:
        file_path = input_data.get("file_path", "")

        # Deny writes to system directories, telling the model why.
        if file_path.startswith(("/etc/", "/usr/")):
            print(f"  denying write to system directory: {file_path}")
            return PermissionResultDeny(message=f"Cannot write to system directory: {file_path}")

        # Redirect every other write into safe_output/ in the working directory.
        safe_path = os.path.join(WORKDIR, "safe_output", os.path.basename(file_path))
        print(f"  redirecting write from {os.path.relpath(file_path, WORKDIR)} to safe_output/")
        modified_input = dict(input_data)
        modified_input["file_path"] = safe_path
        return PermissionResultAllow(updated_input=modified_input)

    # Everything else is refused in this example.
    print(f"  denying {tool_name}")
    return PermissionResultDeny(message=f"{tool_name} is not allowed here")


async def main():
    options = ClaudeAgentOptions(
        can_use_tool=my_permission_callback,
        # Use default permission mode to ensure callbacks are invoked.
        permission_mode="default",
        cwd=WORKDIR,
    )

    async with ClaudeSDKClient(options) as client:
        await client.query(
            "Read the team notes in ../shared/notes.txt, save a summary of them to summary.txt, "
            "and store the settings in /etc/notes.conf"
        )
        async for message in client.receive_response():
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print(f"Claude: {block.text}")
            elif isinstance(message, UserMessage):
                for block in message.content:
                    if isinstance(block, ToolResultBlock) and block.is_error:
                        print(f"Tool error: {block.content}")
            elif isinstance(message, ResultMessage):
                print(f"Result: {message.subtype}, {len(message.permission_denials or [])} denial(s)")

    print(f"Permission requests: {', '.join(tool_usage_log)}")


if __name__ == "__main__":
    asyncio.run(main())
