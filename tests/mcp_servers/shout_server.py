"""A tiny stdio MCP server for tests: one tool that upper-cases its input, one that never answers."""

import time

from mcp.server.mcpserver import MCPServer

server = MCPServer("shout")


@server.tool()
def shout(text: str) -> str:
    """Return the text in capitals."""
    return text.upper()


@server.tool()
def hang(seconds: float = 3600) -> str:
    """Sleep for ``seconds`` before answering (a tool that hangs)."""
    time.sleep(seconds)
    return "finally"


if __name__ == "__main__":
    server.run("stdio")
