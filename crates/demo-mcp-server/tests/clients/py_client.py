"""Drives the demo server with the official Python SDK (mcp 2.x) and reports what it saw.

usage: py_client.py URL MODE
  MODE: legacy (initialize handshake), auto (server/discover, falling back to initialize),
        or a modern protocol version such as 2026-07-28 (stateless, no probe).

Prints one JSON object on stdout. When connecting or listing the tools fails it is
{"connected": false, "errors": [{"type": ..., "message": ..., "code": ...}]}; otherwise it holds
the negotiated version, the tool listing and the result of calling every tool. The Rust tests
assert on it.
"""

import asyncio
import base64
import json
import struct
import sys
import zlib

from mcp import Client


def dump(model):
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def png_facts(data):
    """Width, height and whether the pixel data decompresses to the expected size."""
    png = base64.b64decode(data)
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return {"valid": False}
    width, height = struct.unpack(">II", png[16:24])
    idat_len = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT", png[37:41]
    pixels = zlib.decompress(png[41 : 41 + idat_len])
    return {"valid": len(pixels) == height * (1 + 3 * width), "width": width, "height": height}


def describe(error):
    """The leaf exceptions of `error` (task groups wrap them), with MCP error codes."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in describe(inner)]
    return [{"type": type(error).__name__, "message": str(error), "code": getattr(error, "code", None)}]


async def run(url, mode):
    client = Client(url, mode=mode)
    try:
        await client.__aenter__()
    except Exception as error:  # the refusal is the observation
        return {"connected": False, "errors": describe(error)}
    try:
        try:
            tools = await client.list_tools()
        except Exception as error:
            return {"connected": False, "errors": describe(error)}
        progress = []

        async def on_progress(value, total, message):
            progress.append({"progress": value, "total": total, "message": message})

        calls = {
            "echo": await client.call_tool("echo", {"message": "hello gateway"}),
            "add": await client.call_tool("add", {"a": 2, "b": 3.5}),
            "get_time": await client.call_tool("get_time", {}),
            "slow": await client.call_tool("slow", {"ms": 40}, progress_callback=on_progress),
            "fail": await client.call_tool("fail", {"message": "as requested"}),
            "image": await client.call_tool("image", {}),
            "resource": await client.call_tool("resource", {}),
            "lookup": await client.call_tool(
                "lookup", {"query": "ato", "filter": {"category": "vegetable", "colors": []}}
            ),
            "session_info": await client.call_tool("session_info", {}),
        }
        image = calls["image"].content[0]
        greeting = await client.read_resource("demo://greeting")
        return {
            "connected": True,
            "protocolVersion": client.protocol_version,
            "serverName": client.server_info.name if client.server_info else None,
            "tools": [dump(tool) for tool in tools.tools],
            "calls": {name: dump(result) for name, result in calls.items()},
            "progress": progress,
            "png": png_facts(image.data),
            "greeting": dump(greeting),
        }
    finally:
        await client.__aexit__(None, None, None)


def main():
    url, mode = sys.argv[1], sys.argv[2]
    print(json.dumps(asyncio.run(run(url, mode))))


if __name__ == "__main__":
    main()
