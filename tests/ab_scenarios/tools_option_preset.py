# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/tools_option.py
"""tools_option_preset: tools={"type": "preset", "preset": "claude_code"} with max_turns=1; the
program prints how many tools the init message lists, the first five, and the answer.

Source: anthropics/claude-agent-sdk-python, examples/tools_option.py (tools_preset_example).
Adapted: only this example of the file runs; the cost is not printed.
"""

import anyio
from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, SystemMessage, TextBlock, query


async def tools_preset_example():
    print("=== Tools Preset Example ===")
    print("Setting tools={'type': 'preset', 'preset': 'claude_code'}")
    print()

    options = ClaudeAgentOptions(
        tools={"type": "preset", "preset": "claude_code"},
        max_turns=1,
    )

    async for message in query(
        prompt="What tools do you have available? Just list them briefly.",
        options=options,
    ):
        if isinstance(message, SystemMessage) and message.subtype == "init":
            tools = message.data.get("tools", [])
            print(f"Tools from system message ({len(tools)} tools): {tools[:5]}...")
            print()
        elif isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
    print()


anyio.run(tools_preset_example)
