# Source: https://github.com/xiaolai/claude-agent-sdk-skill-autoupdated/blob/HEAD/templates/python/custom_mcp_server.py
"""mcp_docs_search: an in-process "docs" MCP server (version 1.0.0) with two JSON-Schema tools,
search_docs (a query and a limit with a default) and get_doc, a system prompt and
bypassPermissions; the model searches, then fetches one document.

Adapted from xiaolai/claude-agent-sdk-skill-autoupdated, templates/python/custom_mcp_server.py.
Unchanged but for the model script.
"""

import asyncio
from typing import Any

from claude_agent_sdk import ClaudeAgentOptions, create_sdk_mcp_server, query, tool


@tool(
    "search_docs",
    "Search documentation",
    {
        "query": {"type": "string", "description": "Search query"},
        "limit": {"type": "integer", "description": "Max results", "default": 5},
    },
)
async def search_docs(args: dict[str, Any]) -> dict[str, Any]:
    q = args.get("query", "")
    limit = args.get("limit", 5)
    results = [f"Result {i}: {q} match" for i in range(1, min(limit + 1, 4))]
    return {"content": [{"type": "text", "text": "\n".join(results)}]}


@tool("get_doc", "Get a specific document", {"doc_id": {"type": "string", "description": "Document ID"}})
async def get_doc(args: dict[str, Any]) -> dict[str, Any]:
    doc_id = args.get("doc_id", "")
    return {"content": [{"type": "text", "text": f"Document {doc_id}: Lorem ipsum..."}]}


async def main():
    server = create_sdk_mcp_server(
        name="docs",
        version="1.0.0",
        tools=[search_docs, get_doc],
    )

    options = ClaudeAgentOptions(
        mcp_servers={"docs": server},
        system_prompt="You help users search documentation.",
        permission_mode="bypassPermissions",
    )

    async for msg in query(prompt="Search for authentication docs", options=options):
        from claude_agent_sdk import ResultMessage

        if isinstance(msg, ResultMessage) and msg.subtype == "success":
            print(msg.result)


asyncio.run(main())
