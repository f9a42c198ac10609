# Source: https://github.com/xiaolai/claude-agent-sdk-skill-autoupdated/blob/HEAD/templates/python/query_with_tools.py
"""sdk_mcp_tool: an in-process MCP server with one get_weather tool (a JSON-Schema property with
a description) in bypassPermissions; the model calls mcp__weather__get_weather and answers.

Adapted from xiaolai/claude-agent-sdk-skill-autoupdated, templates/python/query_with_tools.py.
Unchanged but for the model script.
"""

import asyncio
from typing import Any

from claude_agent_sdk import (
    ClaudeAgentOptions,
    ResultMessage,
    create_sdk_mcp_server,
    query,
    tool,
)


@tool("get_weather", "Get weather for a city", {"city": {"type": "string", "description": "City name"}})
async def get_weather(args: dict[str, Any]) -> dict[str, Any]:
    city = args.get("city", "")
    return {"content": [{"type": "text", "text": f"Weather in {city}: 72°F, sunny"}]}


async def main():
    server = create_sdk_mcp_server(name="weather", tools=[get_weather])

    options = ClaudeAgentOptions(
        mcp_servers={"weather": server},
        permission_mode="bypassPermissions",
        max_turns=10,
    )

    async for message in query(prompt="What's the weather in Tokyo?", options=options):
        if isinstance(message, ResultMessage) and message.subtype == "success":
            print(message.result)


asyncio.run(main())
