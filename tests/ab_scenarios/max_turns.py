"""max_turns: max_turns=1 stops after the first tool round trip; the SDK then raises ResultError."""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultError, ResultMessage, query


async def main() -> None:
    Path("a.txt").write_text("x\n")
    options = ClaudeAgentOptions(cwd=Path.cwd(), allowed_tools=["Read"], max_turns=1)
    try:
        async for message in query(prompt="Read a.txt", options=options):
            if isinstance(message, ResultMessage):
                print("result:", message.subtype, message.is_error)
    except ResultError as exc:
        print("raised ResultError:", exc.subtype)


anyio.run(main)
