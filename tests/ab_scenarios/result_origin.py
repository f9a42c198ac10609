# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_message_origin.py
"""result_origin: a streamed user message stamped with origin {"kind": "human"} gets that origin
back on its ResultMessage; an unstamped one gets None.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_message_origin.py
(test_result_origin_round_trips_host_stamp). Adapted: a program instead of a test.
"""

from collections.abc import AsyncIterator
from typing import Any

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage


def _user_message(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "user", "message": {"role": "user", "content": text}, "parent_tool_use_id": None, **extra}


async def _one(msg: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield msg


async def main() -> None:
    results: list[ResultMessage] = []
    async with ClaudeSDKClient(ClaudeAgentOptions(max_turns=1)) as client:
        with anyio.fail_after(120):
            await client.query(_one(_user_message("Reply with exactly: one", origin={"kind": "human"})))
            async for message in client.receive_response():
                if isinstance(message, ResultMessage):
                    results.append(message)

            await client.query(_one(_user_message("Reply with exactly: two")))
            async for message in client.receive_response():
                if isinstance(message, ResultMessage):
                    results.append(message)

    print("results:", len(results))
    print("origins:", [getattr(r, "origin", "<no field>") for r in results])


anyio.run(main)
