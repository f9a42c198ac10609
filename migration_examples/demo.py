#!/usr/bin/env python3
"""The demo: a can_use_tool callback decides each tool call, a hook sees each one, a second process resumes.

Adapted from the Claude Agent SDK's examples/tool_permission_callback.py and examples/hooks.py
(anthropics/claude-agent-sdk-python), with the session resumed in a second process.

Usage: demo.py [WORKDIR]                     (default: a new temporary directory)
       demo.py --resume SESSION_ID WORKDIR   (the second process, which the first one starts)
"""

import asyncio
import os
import subprocess
import sys
import tempfile

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookContext,
    HookInput,
    HookJSONOutput,
    HookMatcher,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    TextBlock,
    ToolPermissionContext,
    query,
)


async def my_permission_callback(
    tool_name: str, input_data: dict, context: ToolPermissionContext
) -> PermissionResultAllow | PermissionResultDeny:
    """Control tool permissions based on tool type and input."""
    if tool_name in ["Write", "Edit", "MultiEdit"]:
        file_path = input_data.get("file_path", "")
        if file_path.startswith("/etc/") or file_path.startswith("/usr/"):
            print(f"[can_use_tool] deny {tool_name} {file_path}: system directory")
            return PermissionResultDeny(message=f"Cannot write to system directory: {file_path}")
        print(f"[can_use_tool] allow {tool_name} {os.path.basename(file_path)}")
        return PermissionResultAllow()

    if tool_name == "Bash":
        command = input_data.get("command", "")
        for dangerous in ["rm -rf", "sudo", "chmod 777", "dd if=", "mkfs"]:
            if dangerous in command:
                print(f"[can_use_tool] deny Bash {command!r}: dangerous pattern {dangerous!r}")
                return PermissionResultDeny(message=f"Dangerous command pattern detected: {dangerous}")
        print(f"[can_use_tool] allow Bash {command!r}")
        return PermissionResultAllow()

    print(f"[can_use_tool] allow {tool_name}")
    return PermissionResultAllow()


async def log_tool_use(
    input_data: HookInput, tool_use_id: str | None, context: HookContext
) -> HookJSONOutput:
    """A PreToolUse hook: sees every tool call before the permission callback decides."""
    tool_input = input_data["tool_input"]
    what = tool_input.get("command") or os.path.basename(tool_input.get("file_path", ""))
    print(f"[PreToolUse hook] {input_data['tool_name']} {what}")
    return {}


def display(message):
    """Print Claude's text; return the session id of a result."""
    if isinstance(message, AssistantMessage):
        for block in message.content:
            if isinstance(block, TextBlock):
                print(f"Claude: {block.text}")
    elif isinstance(message, ResultMessage):
        return message.session_id
    return None


async def first_process(workdir):
    options = ClaudeAgentOptions(
        can_use_tool=my_permission_callback,
        permission_mode="default",
        cwd=workdir,
        hooks={"PreToolUse": [HookMatcher(hooks=[log_tool_use])]},
    )
    session_id = None
    async with ClaudeSDKClient(options) as client:
        prompt = (
            f"Please create a simple Python hello world script at {workdir}/hello.py, "
            "run it to test it, then clean up the build directory."
        )
        print(f"User: {prompt}")
        await client.query(prompt)
        async for message in client.receive_response():
            session_id = display(message) or session_id
    print(f"Session: {session_id}")
    return session_id


async def second_process(session_id, workdir):
    options = ClaudeAgentOptions(resume=session_id, cwd=workdir)
    prompt = "What did you do in this session so far?"
    print(f"User: {prompt}")
    resumed = None
    async for message in query(prompt=prompt, options=options):
        resumed = display(message) or resumed
    print(f"Resumed session: {resumed}")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--resume":
        asyncio.run(second_process(sys.argv[2], sys.argv[3]))
        return
    workdir = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="demo-")
    os.makedirs(os.path.join(workdir, "build"), exist_ok=True)
    print(f"Working directory: {workdir}")
    session_id = asyncio.run(first_process(workdir))
    print("\n--- a second process resumes the session ---")
    sys.stdout.flush()
    subprocess.run([sys.executable, __file__, "--resume", session_id, workdir], check=True)


if __name__ == "__main__":
    main()
