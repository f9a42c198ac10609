"""sdk_mcp_tool: an in-process MCP calculator tool the model calls as mcp__calc__add."""

from typing import Any

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, create_sdk_mcp_server, query, tool


@tool("add", "Add two numbers", {"a": float, "b": float})
async def add(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}


async def main() -> None:
    calc = create_sdk_mcp_server("calc", tools=[add])
    options = ClaudeAgentOptions(mcp_servers={"calc": calc}, allowed_tools=["mcp__calc__add"])
    async for message in query(prompt="What is 2 + 3?", options=options):
        if isinstance(message, ResultMessage):
            print("result:", message.result)


anyio.run(main)
