# Source: https://github.com/anthropics/claude-agent-sdk-python/blob/HEAD/examples/mcp_discover_available_tools.py
"""mcp_discover_tools: the init message's mcp_servers (name and status) and the mcp__ tools it
lists, with a wildcard allowed_tools rule for the server and max_turns=1; then the answer.

Adapted from anthropics/claude-agent-sdk-python, examples/mcp_discover_available_tools.py.
Adapted: the remote HTTP docs server (unreachable offline) is replaced by an in-process SDK MCP
server named claude-code-docs with two tools; the rest is unchanged.
"""

import asyncio
from typing import Any

from claude_agent_sdk import (
    ClaudeAgentOptions,
    ResultMessage,
    SystemMessage,
    create_sdk_mcp_server,
    query,
    tool,
)


@tool("search_docs", "Search the Claude Code docs", {"query": str})
async def search_docs(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": f"No page matches {args['query']}"}]}


@tool("get_page", "Get one page of the Claude Code docs", {"path": str})
async def get_page(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": f"Page {args['path']} is empty"}]}


def _print_server_status(mcp_servers: list[dict]) -> None:
    """Print connection status for every configured MCP server."""
    if not mcp_servers:
        print("No MCP servers configured.")
        return

    print("MCP server connection status:")
    for server in mcp_servers:
        name = server.get("name", "unknown")
        status = server.get("status", "unknown")
        icon = "✓" if status == "connected" else "✗"
        print(f"  {icon} {name}: {status}")


def _print_available_mcp_tools(all_tools: list[str]) -> None:
    """Filter and print only the MCP tools from the full tools list."""
    mcp_tools = [t for t in all_tools if t.startswith("mcp__")]
    if not mcp_tools:
        print("\nNo MCP tools available in this session.")
        return

    print(f"\nAvailable MCP tools ({len(mcp_tools)}):")
    for tool_name in mcp_tools:
        print(f"  - {tool_name}")


async def main() -> None:
    """Start the docs MCP server and report the available tools."""
    docs = create_sdk_mcp_server("claude-code-docs", tools=[search_docs, get_page])
    options = ClaudeAgentOptions(
        mcp_servers={"claude-code-docs": docs},
        # Wildcard allows every tool the server exposes.
        allowed_tools=["mcp__claude-code-docs__*"],
        max_turns=1,
    )

    async for message in query(
        prompt="List the tools you have available from the MCP server.",
        options=options,
    ):
        if isinstance(message, SystemMessage) and message.subtype == "init":
            # Inspect server connection status at session start.
            _print_server_status(message.data.get("mcp_servers", []))
            _print_available_mcp_tools(message.data.get("tools", []))
            print()

        elif isinstance(message, ResultMessage) and message.subtype == "success":
            print(f"Result:\n{message.result}")

            if message.total_cost_usd:
                print(f"\nCost: ${message.total_cost_usd:.6f}")


if __name__ == "__main__":
    asyncio.run(main())
