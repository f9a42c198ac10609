# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_sdk_mcp_tools.py
"""mcp_without_permissions: an SDK MCP tool with no allowed_tools and no callback: in default mode
its call is not approved and does not run.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_sdk_mcp_tools.py
(test_sdk_mcp_without_permissions). Adapted: a program instead of a test; messages are printed
by type.
"""

from typing import Any

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, create_sdk_mcp_server, tool


async def main() -> None:
    executions = []

    @tool("echo", "Echo back the input text", {"text": str})
    async def echo_tool(args: dict[str, Any]) -> dict[str, Any]:
        executions.append("echo")
        return {"content": [{"type": "text", "text": f"Echo: {args['text']}"}]}

    server = create_sdk_mcp_server(name="noperm", version="1.0.0", tools=[echo_tool])
    options = ClaudeAgentOptions(mcp_servers={"noperm": server})

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Call the mcp__noperm__echo tool")
        async for message in client.receive_response():
            print(f"  [{type(message).__name__}]")

    print("executions:", executions)


anyio.run(main)
