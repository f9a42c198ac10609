"""can_use_tool_deny: the program's permission callback denies a Bash call."""

from pathlib import Path
from typing import Any

import anyio
from claude_agent_sdk import (
    ClaudeAgentOptions,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    ToolPermissionContext,
    query,
)


async def decide(name: str, tool_input: dict[str, Any], context: ToolPermissionContext) -> Any:
    print("asked:", name, tool_input.get("command"))
    if name == "Bash" and "forbidden" in tool_input.get("command", ""):
        return PermissionResultDeny(message="forbidden files stay uncreated")
    return PermissionResultAllow()


async def main() -> None:
    options = ClaudeAgentOptions(cwd=Path.cwd(), can_use_tool=decide)
    async for message in query(prompt="Create forbidden.txt", options=options):
        if isinstance(message, ResultMessage):
            print("result:", message.result)
            print("denials:", [d["tool_name"] for d in message.permission_denials or []])
    print("forbidden.txt exists:", Path("forbidden.txt").exists())


anyio.run(main)
