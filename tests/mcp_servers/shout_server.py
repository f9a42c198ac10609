"""A tiny stdio MCP server for tests: one tool that upper-cases its input."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("shout")


@server.tool()
def shout(text: str) -> str:
    """Return the text in capitals."""
    return text.upper()


if __name__ == "__main__":
    server.run("stdio")
