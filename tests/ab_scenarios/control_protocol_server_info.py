# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/streaming_mode.py
"""control_protocol_server_info: get_server_info() on a connected client (commands, output
style), then one question.

Source: anthropics/claude-agent-sdk-python, examples/streaming_mode.py
(example_control_protocol). Adapted: only this example of the file runs, without its timed
interrupt of a counting task (the part after the server info goes straight to the last
question).
"""

import asyncio

from claude_agent_sdk import AssistantMessage, ClaudeSDKClient, TextBlock


async def example_control_protocol():
    print("=== Control Protocol Example ===")
    print("Shows server info retrieval and interrupt capability\n")

    async with ClaudeSDKClient() as client:
        print("1. Getting server info...")
        server_info = await client.get_server_info()

        if server_info:
            print("✓ Server info retrieved successfully!")
            print(f"  - Available commands: {len(server_info.get('commands', []))}")
            print(f"  - Output style: {server_info.get('output_style', 'unknown')}")

            styles = server_info.get("available_output_styles", [])
            if styles:
                print(f"  - Available output styles: {', '.join(styles)}")

            commands = server_info.get("commands", [])[:5]
            if commands:
                print("  - Example commands:")
                for cmd in commands:
                    if isinstance(cmd, dict):
                        print(f"    • {cmd.get('name', 'unknown')}")
        else:
            print("✗ No server info available (may not be in streaming mode)")

        print("\nUser: Just say 'Hello!'")
        await client.query("Just say 'Hello!'")

        async for msg in client.receive_response():
            if isinstance(msg, AssistantMessage):
                for block in msg.content:
                    if isinstance(block, TextBlock):
                        print(f"Claude: {block.text}")

    print("\n")


asyncio.run(example_control_protocol())
