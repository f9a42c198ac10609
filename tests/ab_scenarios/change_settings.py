# Source: https://github.com/mtmtnao-handson/claude-agent-sdk-handon/blob/HEAD/src/01_basics/04_claude_sdk_client/docs_samples/04_04_change_settings.py
"""change_settings: a client in permission_mode="default" with allowed_tools Read/Write/Edit
looks at the directory, then set_permission_mode("acceptEdits") and an edit of README.md.

Source: mtmtnao-handson/claude-agent-sdk-handon,
src/01_basics/04_claude_sdk_client/docs_samples/04_04_change_settings.py. Adapted: the program
writes the README.md it asks about and prints it at the end.
"""

import asyncio
from pathlib import Path

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient
from claude_agent_sdk.types import AssistantMessage, TextBlock


async def change_settings():
    Path("README.md").write_text("# Demo\n")
    options = ClaudeAgentOptions(permission_mode="default", allowed_tools=["Read", "Write", "Edit"])

    async with ClaudeSDKClient(options) as client:
        await client.query("現在のディレクトリのファイルを確認して")
        async for message in client.receive_response():
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print(block.text)

        await client.set_permission_mode("acceptEdits")
        print("\n[パーミッションモードを acceptEdits に変更]\n")

        await client.query("README.md に説明を追加して")
        async for message in client.receive_response():
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, TextBlock):
                        print(block.text)

    print(Path("README.md").read_text())


asyncio.run(change_settings())
