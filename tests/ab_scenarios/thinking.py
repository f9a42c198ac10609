# Source: https://github.com/juanhuttemann/claude-tdd-agent/blob/HEAD/poc_thinking.py
"""thinking: a client with max_thinking_tokens, max_turns=1 and no tools asks a sum; the program
prints every thinking block, text block and tool use, and the result's turns and cost.

Adapted from juanhuttemann/claude-tdd-agent, poc_thinking.py (the whole proof of concept).
Adapted: the result line leaves out the duration (a timing).
"""

import asyncio

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    UserMessage,
)

PROMPT = "What is 97 * 83? Think step by step before answering."


async def main() -> None:
    options = ClaudeAgentOptions(
        max_thinking_tokens=5000,
        max_turns=1,
        allowed_tools=[],  # no tools: reasoning only
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query(PROMPT)

        async for message in client.receive_response():
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, ThinkingBlock):
                        print("-" * 60)
                        print("THINKING BLOCK FOUND")
                        print(block.thinking[:500])
                        print(f"  ... ({len(block.thinking)} chars total)")
                    elif isinstance(block, TextBlock):
                        print("-" * 60)
                        print("TEXT BLOCK")
                        print(block.text)
                    elif isinstance(block, ToolUseBlock):
                        print(f"TOOL: {block.name}")
                    else:
                        print(f"UNKNOWN BLOCK TYPE: {type(block)}")
            elif isinstance(message, UserMessage):
                print(f"[UserMessage with {len(message.content)} blocks]")
            elif isinstance(message, ResultMessage):
                cost = f"${message.total_cost_usd:.4f}" if message.total_cost_usd else "n/a"
                print(f"Done  turns={message.num_turns}  cost={cost}")


asyncio.run(main())
