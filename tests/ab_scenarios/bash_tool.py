"""bash_tool: bypassPermissions lets a mutating Bash command run."""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query


async def main() -> None:
    options = ClaudeAgentOptions(cwd=Path.cwd(), permission_mode="bypassPermissions")
    async for message in query(prompt="Write hello to out.txt", options=options):
        if isinstance(message, ResultMessage):
            print("result:", message.result)
    print("out.txt:", Path("out.txt").read_text().strip())


anyio.run(main)
