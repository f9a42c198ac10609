# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_sdk_mcp_tools.py
"""mcp_two_tools_one_reply: two SDK MCP tools called in one model reply (parallel tool calls).

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_sdk_mcp_tools.py
(test_sdk_mcp_multiple_tools). Adapted: a program instead of a test; messages are printed by
type.
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

    @tool("greet", "Greet a person by name", {"name": str})
    async def greet_tool(args: dict[str, Any]) -> dict[str, Any]:
        executions.append("greet")
        return {"content": [{"type": "text", "text": f"Hello, {args['name']}!"}]}

    server = create_sdk_mcp_server(name="multi", version="1.0.0", tools=[echo_tool, greet_tool])
    options = ClaudeAgentOptions(
        mcp_servers={"multi": server}, allowed_tools=["mcp__multi__echo", "mcp__multi__greet"]
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Call mcp__multi__echo with text='test' and mcp__multi__greet with name='Bob'")
        async for message in client.receive_response():
            print(f"  [{type(message).__name__}]")

    print("executions:", sorted(executions))


anyio.run(main)
