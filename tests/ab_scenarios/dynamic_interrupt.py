# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_dynamic_control.py
"""dynamic_interrupt: interrupt() sent right after the query, then the response is read to its end.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_dynamic_control.py (test_interrupt).
Adapted: a program instead of a test; messages are printed by type (and a result by subtype).
"""

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage


async def main() -> None:
    async with ClaudeSDKClient(options=ClaudeAgentOptions()) as client:
        await client.query("Count from 1 to 100 slowly.")

        try:
            await client.interrupt()
            print("Interrupt sent successfully")
        except Exception as e:
            print(f"Interrupt resulted in: {e}")

        async for message in client.receive_response():
            extra = f" {message.subtype}" if isinstance(message, ResultMessage) else ""
            print(f"Got message after interrupt: {type(message).__name__}{extra}")


anyio.run(main)
