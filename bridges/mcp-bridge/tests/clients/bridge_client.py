"""Drives one MCP endpoint with the official Python SDK client (PyPI `mcp` 2.x).

usage: bridge_client.py URL MODE SCENARIO [ARG...]

MODE is `legacy` (initialize handshake) or `auto` (the SDK default: server/discover, the
2026-07-28 stateless protocol when the server offers it). The bridge's shared secret, from
$MCPGW_BRIDGE_SECRET, is sent in X-Bridge-Secret. Prints one JSON object on stdout;
JSON-RPC errors are reported as {"error": {"code", "message"}} rather than raised, so the Rust
tests can assert on them.

Scenarios:
  list                       protocol version and tool names
  call TOOL ARGS_JSON        one tools/call
  echo-many N                N concurrent `echo` calls with distinct messages
  progress STEPS             `trigger-long-running-operation`, counting progress notifications
"""

import asyncio
import json
import os
import sys

import httpx2
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError


def call_summary(result):
    texts = [block.text for block in result.content if getattr(block, "type", None) == "text"]
    return {"isError": bool(result.is_error), "text": texts, "structured": result.structured_content}


async def scenario(client, name, args):
    if name == "list":
        tools = await client.list_tools()
        return {"protocolVersion": client.protocol_version, "tools": sorted(t.name for t in tools.tools)}
    if name == "call":
        tool, arguments = args[0], json.loads(args[1])
        return call_summary(await client.call_tool(tool, arguments))
    if name == "echo-many":
        count = int(args[0])
        messages = [f"message-{index}" for index in range(count)]
        results = await asyncio.gather(*(client.call_tool("echo", {"message": m}) for m in messages))
        mismatched = [
            {"sent": sent, "got": call_summary(result)["text"]}
            for sent, result in zip(messages, results)
            if call_summary(result)["text"] != [f"Echo: {sent}"]
        ]
        return {"answered": len(results), "mismatched": mismatched}
    if name == "progress":
        steps = int(args[0])
        updates = []

        async def on_progress(progress, total, message):
            updates.append(progress)

        result = await client.call_tool(
            "trigger-long-running-operation",
            {"duration": steps * 0.1, "steps": steps},
            progress_callback=on_progress,
        )
        return {"progress": updates, **call_summary(result)}
    raise SystemExit(f"unknown scenario {name}")


def first_leaf(group):
    """The SDK's task groups nest the error in exception groups."""
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]
    return group


async def main():
    url, mode, name, *args = sys.argv[1:]
    # The SDK's own defaults: 30 s, and 300 s to read a response stream.
    http = httpx2.AsyncClient(
        headers={"X-Bridge-Secret": os.environ["MCPGW_BRIDGE_SECRET"]},
        timeout=httpx2.Timeout(30, read=300),
    )
    try:
        async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            output = await scenario(client, name, args)
    except* MCPError as group:
        error = first_leaf(group)
        output = {"error": {"code": error.code, "message": error.message}}
    print(json.dumps(output))


if __name__ == "__main__":
    asyncio.run(main())
