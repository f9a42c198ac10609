# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/tool_permission_callback.py
"""tool_permission_callback: a can_use_tool callback allows read-only tools, redirects a Write
outside ./ into ./safe_output/, allows safe Bash commands, and logs every request.

Source: anthropics/claude-agent-sdk-python, examples/tool_permission_callback.py. Adapted: the
result's duration (wall clock) is not printed, and the summary prints how many suggestions
each request had instead of their full text.
"""

import asyncio
import json

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    TextBlock,
    ToolPermissionContext,
)

tool_usage_log = []


async def my_permission_callback(
    tool_name: str, input_data: dict, context: ToolPermissionContext
) -> PermissionResultAllow | PermissionResultDeny:
    """Control tool permissions based on tool type and input."""
    tool_usage_log.append({"tool": tool_name, "input": input_data, "suggestions": context.suggestions})

    print(f"\n🔧 Tool Permission Request: {tool_name}")
    print(f"   Input: {json.dumps(input_data, indent=2)}")

    if tool_name in ["Read", "Glob", "Grep"]:
        print(f"   ✅ Automatically allowing {tool_name} (read-only operation)")
        return PermissionResultAllow()

    if tool_name in ["Write", "Edit", "MultiEdit"]:
        file_path = input_data.get("file_path", "")
        if file_path.startswith("/etc/") or file_path.startswith("/usr/"):
            print(f"   ❌ Denying write to system directory: {file_path}")
            return PermissionResultDeny(message=f"Cannot write to system directory: {file_path}")

        if not file_path.startswith("/tmp/") and not file_path.startswith("./"):
            safe_path = f"./safe_output/{file_path.split('/')[-1]}"
            print(f"   ⚠️  Redirecting write from {file_path} to {safe_path}")
            modified_input = input_data.copy()
            modified_input["file_path"] = safe_path
            return PermissionResultAllow(updated_input=modified_input)

    if tool_name == "Bash":
        command = input_data.get("command", "")
        dangerous_commands = ["rm -rf", "sudo", "chmod 777", "dd if=", "mkfs"]

        for dangerous in dangerous_commands:
            if dangerous in command:
                print(f"   ❌ Denying dangerous command: {command}")
                return PermissionResultDeny(message=f"Dangerous command pattern detected: {dangerous}")

        print(f"   ✅ Allowing bash command: {command}")
        return PermissionResultAllow()

    print(f"   ❓ Unknown tool: {tool_name}")
    return PermissionResultDeny(message="User denied permission")


async def main():
    options = ClaudeAgentOptions(can_use_tool=my_permission_callback, permission_mode="default", cwd=".")

    async with ClaudeSDKClient(options) as client:
        print("\n📝 Sending query to Claude...")
        await client.query(
            "Please do the following:\n"
            "1. List the files in the current directory\n"
            "2. Create a simple Python hello world script at hello.py\n"
            "3. Run the script to test it"
        )

        message_count = 0
        async for message in client.receive_response():
            message_count += 1
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print(f"\n💬 Claude: {block.text}")
            elif isinstance(message, ResultMessage):
                print("\n✅ Task completed!")
                if message.total_cost_usd:
                    print(f"   Cost: ${message.total_cost_usd:.4f}")
                print(f"   Messages processed: {message_count}")

    print("\nTool Usage Summary")
    for i, usage in enumerate(tool_usage_log, 1):
        print(f"\n{i}. Tool: {usage['tool']}")
        print(f"   Input: {json.dumps(usage['input'], indent=6)}")
        print(f"   Suggestions: {len(usage['suggestions'])}")


if __name__ == "__main__":
    asyncio.run(main())
