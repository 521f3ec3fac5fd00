"""Drives a gateway MCP endpoint with the official Python SDK (mcp 2.x), authenticated.

usage: gateway_client.py URL MODE TOKEN [ECHO_TOOL]
  MODE: legacy (initialize handshake, as Open WebUI does) or auto (server/discover first).
  ECHO_TOOL: the name of the echo tool on this endpoint (default echo; demo__echo on /mcp).

Prints one JSON object: {"connected": true, "tools": [...names], "echo": <text of ECHO_TOOL("hello")>}
or {"connected": false, "errors": [...]}. The Rust tests assert on it.
"""

import asyncio
import json
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


def describe(error):
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in describe(inner)]
    return [{"type": type(error).__name__, "message": str(error)}]


async def run(url, mode, token, echo_tool):
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = Client(streamable_http_client(url, http_client=http), mode=mode)
    try:
        async with client:
            tools = await client.list_tools()
            echo = await client.call_tool(echo_tool, {"message": "hello"})
            texts = [block.text for block in echo.content if getattr(block, "type", "") == "text"]
            return {
                "connected": True,
                "tools": sorted(tool.name for tool in tools.tools),
                "echo": texts[0] if texts else None,
                "isError": bool(echo.is_error),
            }
    except Exception as error:  # the refusal is the observation
        return {"connected": False, "errors": describe(error)}


if __name__ == "__main__":
    echo_tool = sys.argv[4] if len(sys.argv) > 4 else "echo"
    print(json.dumps(asyncio.run(run(sys.argv[1], sys.argv[2], sys.argv[3], echo_tool))))
