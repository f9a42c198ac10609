"""can_use_tool_allow: the permission callback allows a Bash call with a rewritten input."""

from pathlib import Path
from typing import Any

import anyio
from claude_agent_sdk import (
    ClaudeAgentOptions,
    PermissionResultAllow,
    ResultMessage,
    ToolPermissionContext,
    query,
)


async def decide(name: str, tool_input: dict[str, Any], context: ToolPermissionContext) -> Any:
    print("asked:", name, tool_input.get("command"))
    command = tool_input.get("command", "").replace("draft.txt", "final.txt")
    return PermissionResultAllow(updated_input={**tool_input, "command": command})


async def main() -> None:
    options = ClaudeAgentOptions(cwd=Path.cwd(), can_use_tool=decide)
    async for message in query(prompt="Create draft.txt", options=options):
        if isinstance(message, ResultMessage):
            print("result:", message.result)
    print("draft.txt exists:", Path("draft.txt").exists())
    print("final.txt exists:", Path("final.txt").exists())


anyio.run(main)
