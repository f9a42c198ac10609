#!/usr/bin/env python3
"""An in-process MCP server: calculator tools made with @tool and create_sdk_mcp_server.

The tools run inside this Python process; the model calls them as mcp__calc__<name>.
"""

import asyncio
import math
from typing import Any

from claude_compat import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    create_sdk_mcp_server,
    tool,
)


@tool("add", "Add two numbers", {"a": float, "b": float})
async def add_numbers(args: dict[str, Any]) -> dict[str, Any]:
    """Add two numbers together."""
    result = args["a"] + args["b"]
    return {"content": [{"type": "text", "text": f"{args['a']} + {args['b']} = {result}"}]}


@tool("subtract", "Subtract one number from another", {"a": float, "b": float})
async def subtract_numbers(args: dict[str, Any]) -> dict[str, Any]:
    """Subtract b from a."""
    result = args["a"] - args["b"]
    return {"content": [{"type": "text", "text": f"{args['a']} - {args['b']} = {result}"}]}


@tool("multiply", "Multiply two numbers", {"a": float, "b": float})
async def multiply_numbers(args: dict[str, Any]) -> dict[str, Any]:
    """Multiply two numbers."""
    result = args["a"] * args["b"]
    return {"content": [{"type": "text", "text": f"{args['a']} * {args['b']} = {result}"}]}


@tool("divide", "Divide one number by another", {"a": float, "b": float})
async def divide_numbers(args: dict[str, Any]) -> dict[str, Any]:
    """Divide a by b."""
    if args["b"] == 0:
        return {
            "content": [{"type": "text", "text": "Error: Division by zero is not allowed"}],
            "is_error": True,
        }
    result = args["a"] / args["b"]
    return {"content": [{"type": "text", "text": f"{args['a']} / {args['b']} = {result}"}]}


@tool("sqrt", "Calculate square root", {"n": float})
async def square_root(args: dict[str, Any]) -> dict[str, Any]:
    """Calculate the square root of a number."""
    n = args["n"]
    if n < 0:
        return {
            "content": [
                {"type": "text", "text": f"Error: Cannot calculate square root of negative number {n}"}
            ],
            "is_error": True,
        }
    return {"content": [{"type": "text", "text": f"√{n} = {math.sqrt(n)}"}]}


def display_message(msg):
    """Print what the model says, the tools it uses, their results, and the end of the response."""
    if isinstance(msg, AssistantMessage):
        for block in msg.content:
            if isinstance(block, TextBlock):
                print(f"Claude: {block.text}")
            elif isinstance(block, ToolUseBlock):
                print(f"Using tool: {block.name}")
                if block.input:
                    print(f"  Input: {block.input}")
    elif isinstance(msg, UserMessage):
        for block in msg.content:
            if isinstance(block, ToolResultBlock):
                # an error result is a string, as the Claude CLI gives it: its first paragraph says what failed
                if isinstance(block.content, str):
                    texts = [block.content.split("\n\n")[0]]
                else:
                    texts = [item["text"] for item in block.content or [] if item.get("type") == "text"]
                marker = "Tool error" if block.is_error else "Tool result"
                print(f"{marker}: {' '.join(texts)}")
    elif isinstance(msg, ResultMessage):
        print("Result ended")
        if msg.total_cost_usd:
            print(f"Cost: ${msg.total_cost_usd:.6f}")


async def main():
    calculator = create_sdk_mcp_server(
        name="calculator",
        version="2.0.0",
        tools=[add_numbers, subtract_numbers, multiply_numbers, divide_numbers, square_root],
    )

    options = ClaudeAgentOptions(
        mcp_servers={"calc": calculator},
        # Pre-approve the calculator tools so they run without asking.
        allowed_tools=[
            "mcp__calc__add",
            "mcp__calc__subtract",
            "mcp__calc__multiply",
            "mcp__calc__divide",
            "mcp__calc__sqrt",
        ],
    )

    prompts = [
        "Calculate 15 + 27",
        "What is 100 divided by 0?",
        "Calculate (12 + 8) * 3",
    ]

    for prompt in prompts:
        print(f"\n{'=' * 50}")
        print(f"Prompt: {prompt}")
        print(f"{'=' * 50}")

        async with ClaudeSDKClient(options=options) as client:
            await client.query(prompt)
            async for message in client.receive_response():
                display_message(message)


if __name__ == "__main__":
    asyncio.run(main())
