"""resume: a second query resumes the first one's session."""

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query


async def ask(prompt: str, options: ClaudeAgentOptions) -> ResultMessage:
    result = None
    async for message in query(prompt=prompt, options=options):
        if isinstance(message, ResultMessage):
            result = message
    assert result is not None
    return result


async def main() -> None:
    first = await ask("Remember the number 42.", ClaudeAgentOptions(cwd=Path.cwd()))
    print("first:", first.result)
    second = await ask("Which number?", ClaudeAgentOptions(cwd=Path.cwd(), resume=first.session_id))
    print("second:", second.result)
    print("same session:", first.session_id == second.session_id)


anyio.run(main)
