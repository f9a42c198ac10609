"""bash_default_perm: in the default mode a mutating Bash command is denied when nobody can be asked."""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query


async def main() -> None:
    options = ClaudeAgentOptions(cwd=Path.cwd())
    async for message in query(prompt="Create created.txt", options=options):
        if isinstance(message, ResultMessage):
            print("result:", message.result)
            print("denials:", [d["tool_name"] for d in message.permission_denials or []])
    print("created.txt exists:", Path("created.txt").exists())


anyio.run(main)
