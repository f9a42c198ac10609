"""hooks_pretooluse: a PreToolUse hook blocks one Bash call; the model's next call runs."""

from pathlib import Path
from typing import Any

import anyio
from claude_agent_sdk import ClaudeAgentOptions, HookMatcher, ResultMessage, query


async def guard(hook_input: Any, tool_use_id: str | None, context: Any) -> Any:
    print("hook saw:", hook_input["tool_name"], hook_input["tool_input"].get("command"))
    if "blocked" in hook_input["tool_input"].get("command", ""):
        return {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": "blocked by hook",
            }
        }
    return {}


async def main() -> None:
    options = ClaudeAgentOptions(
        cwd=Path.cwd(),
        permission_mode="bypassPermissions",
        hooks={"PreToolUse": [HookMatcher(matcher="Bash", hooks=[guard])]},
    )
    async for message in query(prompt="Create two files", options=options):
        if isinstance(message, ResultMessage):
            print("result:", message.result)
    print("blocked.txt exists:", Path("blocked.txt").exists())
    print("allowed.txt exists:", Path("allowed.txt").exists())


anyio.run(main)
