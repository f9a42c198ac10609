# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_sdk_mcp_tools.py
"""mcp_disallowed_tool: two SDK MCP tools, one in disallowed_tools, the other allowed; the model
calls the allowed one only (the disallowed tool is not offered to it).

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_sdk_mcp_tools.py
(test_sdk_mcp_permission_enforcement). Adapted: a program instead of a test; messages are
printed by type; the scripted model calls greet and then answers.
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

    server = create_sdk_mcp_server(name="test", version="1.0.0", tools=[echo_tool, greet_tool])
    options = ClaudeAgentOptions(
        model="claude-opus-4-5",
        mcp_servers={"test": server},
        disallowed_tools=["mcp__test__echo"],
        allowed_tools=["mcp__test__greet"],
    )

    async with ClaudeSDKClient(options=options) as client:
        await client.query(
            "First use the greet tool to greet 'Alice'. After that completes, use the echo tool "
            "to echo 'test'. Do these one at a time, not in parallel."
        )
        async for message in client.receive_response():
            print(f"  [{type(message).__name__}]")

    print(f"  Executions: {executions}")


anyio.run(main)
