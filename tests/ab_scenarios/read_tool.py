"""read_tool: the model reads a file in the work dir; Read is pre-allowed."""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query


async def main() -> None:
    Path("notes.txt").write_text("alpha\nbeta\n")
    options = ClaudeAgentOptions(cwd=Path.cwd(), allowed_tools=["Read"])
    async for message in query(prompt="What is in notes.txt?", options=options):
        if isinstance(message, ResultMessage):
            print("result:", message.result)


anyio.run(main)
