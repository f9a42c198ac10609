# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/tools_option.py
"""tools_option_array: tools=["Read", "Glob", "Grep"] with max_turns=1; the program prints the
tools the init message lists and the answer.

Source: anthropics/claude-agent-sdk-python, examples/tools_option.py (tools_array_example).
Adapted: only this example of the file runs; the cost is not printed.
"""

import anyio
from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, SystemMessage, TextBlock, query


async def tools_array_example():
    print("=== Tools Array Example ===")
    print("Setting tools=['Read', 'Glob', 'Grep']")
    print()

    options = ClaudeAgentOptions(
        tools=["Read", "Glob", "Grep"],
        max_turns=1,
    )

    async for message in query(
        prompt="What tools do you have available? Just list them briefly.",
        options=options,
    ):
        if isinstance(message, SystemMessage) and message.subtype == "init":
            tools = message.data.get("tools", [])
            print(f"Tools from system message: {tools}")
            print()
        elif isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
    print()


anyio.run(tools_array_example)
