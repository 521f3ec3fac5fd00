"""A 2026-07-28 MCP server (Python SDK mcp 2.x) for the upstream client's tests.

Usage: modern_server.py PORT. Serves stateless Streamable HTTP at http://127.0.0.1:PORT/mcp.
"""

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("modern-peer", version="1.0.0")


@server.tool()
def echo(message: str) -> str:
    """Echoes the message back."""
    return message


if __name__ == "__main__":
    server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]), stateless_http=True)
