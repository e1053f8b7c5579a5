"""A tiny stdio MCP server for the brain's tests: one `echo` tool."""

from mcp.server.fastmcp import FastMCP

server = FastMCP("echo")


@server.tool()
def echo(text: str) -> str:
    """Echo the text back, tagged."""
    return f"echo:{text}"


if __name__ == "__main__":
    server.run()
