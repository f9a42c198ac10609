# Source: https://github.com/jbcodeforce/MyAIAssistant/blob/HEAD/.cursor/skills/claude-agent-sdk/reference.md
"""mcp_api_request_schema: an SDK MCP tool whose input is a JSON Schema with enums, a nested
object and optional arguments; the model calls it with five arguments.

Adapted from jbcodeforce/MyAIAssistant, .cursor/skills/claude-agent-sdk/reference.md ("Tool
with JSON Schema": the api_request tool). Adapted: offline, the tool answers with the request
it would send instead of calling the service; a client runs one question.
"""

import json
from typing import Any

import anyio
from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    TextBlock,
    ToolUseBlock,
    create_sdk_mcp_server,
    tool,
)


@tool(
    "api_request",
    "Make authenticated API requests to external services",
    {
        "type": "object",
        "properties": {
            "service": {"type": "string", "enum": ["stripe", "github", "openai", "slack"]},
            "endpoint": {"type": "string"},
            "method": {"type": "string", "enum": ["GET", "POST", "PUT", "DELETE"]},
            "body": {"type": "object"},
            "query": {"type": "object"},
        },
        "required": ["service", "endpoint", "method"],
    },
)
async def api_request(args: dict[str, Any]) -> dict[str, Any]:
    base = {"github": "https://api.github.com", "slack": "https://slack.com/api"}.get(args["service"], "")
    url = f"{base}{args['endpoint']}"
    if args.get("query"):
        url += "?" + "&".join(f"{k}={v}" for k, v in args["query"].items())
    sent = {"method": args["method"], "url": url, "body": args.get("body")}
    return {"content": [{"type": "text", "text": json.dumps(sent, indent=2)}]}


async def main() -> None:
    server = create_sdk_mcp_server(name="api-gateway", version="1.0.0", tools=[api_request])
    options = ClaudeAgentOptions(mcp_servers={"api": server}, allowed_tools=["mcp__api__api_request"])

    async with ClaudeSDKClient(options=options) as client:
        await client.query("Open a GitHub issue titled 'Crash on start' in octo/app")
        async for msg in client.receive_response():
            if isinstance(msg, AssistantMessage):
                for block in msg.content:
                    if isinstance(block, TextBlock):
                        print(f"Claude: {block.text}")
                    elif isinstance(block, ToolUseBlock):
                        print(
                            f"Using tool: {block.name} with input: {json.dumps(block.input, sort_keys=True)}"
                        )
            elif isinstance(msg, ResultMessage):
                print(f"Done: {msg.subtype}")


anyio.run(main)
