# Source: https://github.com/jbcodeforce/MyAIAssistant/blob/HEAD/.cursor/skills/claude-agent-sdk/reference.md
"""mcp_calc_chain: two SDK MCP calculator tools called one after the other in one turn (15 + 27,
then the result divided by 6); the program prints each tool use and its input.

Adapted from jbcodeforce/MyAIAssistant, .cursor/skills/claude-agent-sdk/reference.md
("Multi-tool MCP server with ClaudeSDKClient"). Unchanged but for the model script.
"""

import asyncio
from typing import Any

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    TextBlock,
    ToolUseBlock,
    create_sdk_mcp_server,
    tool,
)


@tool("add", "Add two numbers", {"a": float, "b": float})
async def add_numbers(args: dict[str, Any]) -> dict[str, Any]:
    result = args["a"] + args["b"]
    return {"content": [{"type": "text", "text": f"{args['a']} + {args['b']} = {result}"}]}


@tool("divide", "Divide two numbers", {"a": float, "b": float})
async def divide_numbers(args: dict[str, Any]) -> dict[str, Any]:
    if args["b"] == 0:
        return {"content": [{"type": "text", "text": "Error: Division by zero"}], "is_error": True}
    result = args["a"] / args["b"]
    return {"content": [{"type": "text", "text": f"{args['a']} / {args['b']} = {result}"}]}


async def main():
    calculator = create_sdk_mcp_server(
        name="calculator", version="1.0.0", tools=[add_numbers, divide_numbers]
    )
    options = ClaudeAgentOptions(
        mcp_servers={"calc": calculator}, allowed_tools=["mcp__calc__add", "mcp__calc__divide"]
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Calculate 15 + 27, then divide the result by 6")
        async for msg in client.receive_response():
            if isinstance(msg, AssistantMessage):
                for block in msg.content:
                    if isinstance(block, TextBlock):
                        print(f"Claude: {block.text}")
                    elif isinstance(block, ToolUseBlock):
                        print(f"Using tool: {block.name} with input: {block.input}")


asyncio.run(main())
