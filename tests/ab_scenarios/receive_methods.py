# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/01_basics/04_claude_sdk_client/docs_samples/04_06_receive_methods.py
"""receive_methods: receive_response() (stops after the ResultMessage) and receive_messages()
(the loop breaks on the ResultMessage itself), each on its own client.

Source: mtmtnao-handson/claude-agent-sdk-handon,
src/01_basics/04_claude_sdk_client/docs_samples/04_06_receive_methods.py. Unchanged but for
the model script.
"""

import asyncio

from claude_agent_sdk import ClaudeSDKClient, ResultMessage


async def receive_response_example():
    """receive_response() の例 - ResultMessage まで受信して停止"""
    print("=== receive_response() ===")
    async with ClaudeSDKClient() as client:
        await client.query("こんにちは")

        async for message in client.receive_response():
            print(f"受信: {type(message).__name__}")
        print("応答完了\n")


async def receive_messages_example():
    """receive_messages() の例 - 明示的に break が必要"""
    print("=== receive_messages() ===")
    async with ClaudeSDKClient() as client:
        await client.query("こんにちは")

        async for message in client.receive_messages():
            print(f"受信: {type(message).__name__}")
            if isinstance(message, ResultMessage):
                break
        print("応答完了")


async def main():
    await receive_response_example()
    await receive_messages_example()


asyncio.run(main())
