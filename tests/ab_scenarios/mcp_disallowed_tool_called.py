# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/e2e-tests/test_sdk_mcp_tools.py
"""mcp_disallowed_tool_called: two SDK MCP tools, one in disallowed_tools; the model does as the
prompt asks and calls the disallowed one too, gets the CLI's "No such tool available" error and
goes on; the disallowed tool never runs.

Source: anthropics/claude-agent-sdk-python, e2e-tests/test_sdk_mcp_tools.py
(test_sdk_mcp_permission_enforcement). Adapted: a program instead of a test; messages are
printed by type with the tool results' text; the scripted model calls greet, then echo, then
answers.
"""

from typing import Any

import anyio
from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    create_sdk_mcp_server,
    tool,
)


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
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, ToolUseBlock):
                        print("tool call:", block.name)
            elif isinstance(message, UserMessage):
                for block in message.content:
                    if isinstance(block, ToolResultBlock):
                        print("tool result:", block.is_error, block.content)
            elif isinstance(message, ResultMessage):
                print("result:", message.subtype, message.num_turns)

    print(f"  Executions: {executions}")
    assert "echo" not in executions


anyio.run(main)
