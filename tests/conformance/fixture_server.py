"""The upstream MCP server the conformance suite's server scenarios expect, on the official Python SDK.

Serves the suite's fixture tools, prompts and resources on `http://127.0.0.1:<port>/mcp` and prints that
URL as its first stdout line. `--era` picks which protocol eras it answers:

- `both`: what the SDK serves by default (the handshake era, and 2026-07-28 when the request says so);
- `handshake`: a server of the 2025 revisions only; a request at a newer version gets the 400 that
  handshake-era servers answer (no modern error code, so clients fall back to `initialize`);
- `modern`: a 2026-07-28 server only; a handshake-era request gets -32022 with the supported versions.

Run with the venv `cargo xtask` provisions: `target/tools/venv/bin/python fixture_server.py --port 0`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import socket
import sys
from typing import Annotated, Any

import uvicorn
from mcp.server.mcpserver import Context, MCPServer, RequestStateSecurity
from mcp.server.mcpserver.prompts.base import UserMessage
from mcp.server.streamable_http import EventCallback, EventMessage, EventStore
from mcp.shared.exceptions import MCPError
from mcp.types import (
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    AudioContent,
    Completion,
    CompletionArgument,
    CompletionContext,
    CreateMessageRequest,
    CreateMessageRequestParams,
    CreateMessageResult,
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitResult,
    EmbeddedResource,
    EmptyResult,
    ImageContent,
    InputRequest,
    InputRequiredResult,
    JSONRPCMessage,
    ListRootsRequest,
    ListRootsResult,
    PromptReference,
    ResourceTemplateReference,
    SamplingMessage,
    SetLevelRequestParams,
    SubscribeRequestParams,
    TextContent,
    TextResourceContents,
    UnsubscribeRequestParams,
)
from mcp_types import UNSUPPORTED_PROTOCOL_VERSION
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field

MCP_PATH = "/mcp"
# The version a handshake-era request without the header speaks (2025-11-25 spec, transports).
DEFAULT_HANDSHAKE_VERSION = "2025-03-26"

PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
WAV_EMPTY = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="

# A fixed fixture key: the fixture restarts between runs and nothing it seals outlives a run.
REQUEST_STATE_KEY = b"conformance-fixture-request-state-key-32b"

server = MCPServer(
    name="mcp-conformance-test-server",
    version="1.0.0",
    request_state_security=RequestStateSecurity(keys=[REQUEST_STATE_KEY]),
)
subscribed_uris: set[str] = set()


# ---------------------------------------------------------------- tools: content


@server.tool()
def test_simple_text() -> str:
    """Tests simple text content response"""
    return "This is a simple text response for testing."


@server.tool()
def test_image_content() -> list[ImageContent]:
    """Tests image content response"""
    return [ImageContent(type="image", data=PNG_1X1, mime_type="image/png")]


@server.tool()
def test_audio_content() -> list[AudioContent]:
    """Tests audio content response"""
    return [AudioContent(type="audio", data=WAV_EMPTY, mime_type="audio/wav")]


def text_resource(uri: str, text: str, mime_type: str = "text/plain") -> EmbeddedResource:
    return EmbeddedResource(
        type="resource", resource=TextResourceContents(uri=uri, mime_type=mime_type, text=text)
    )


@server.tool()
def test_embedded_resource() -> list[EmbeddedResource]:
    """Tests embedded resource content response"""
    return [text_resource("test://embedded-resource", "This is an embedded resource content.")]


@server.tool()
def test_multiple_content_types() -> list[TextContent | ImageContent | EmbeddedResource]:
    """Tests response with multiple content types (text, image, resource)"""
    return [
        TextContent(type="text", text="Multiple content types test:"),
        ImageContent(type="image", data=PNG_1X1, mime_type="image/png"),
        text_resource("test://mixed-content-resource", json.dumps({"test": "data", "value": 123}), "application/json"),
    ]


@server.tool()
def test_error_handling() -> str:
    """Tests error response handling"""
    raise RuntimeError("This tool intentionally returns an error for testing")


# ---------------------------------------------------------------- tools: notifications during a call


@server.tool()
async def test_tool_with_logging(ctx: Context) -> str:
    """Tests tool that emits log messages during execution"""
    for step in ("Tool execution started", "Tool processing data", "Tool execution completed"):
        await ctx.info(step)
        await asyncio.sleep(0.05)
    return "Tool with logging executed successfully"


@server.tool()
async def test_tool_with_progress(ctx: Context) -> str:
    """Tests tool that reports progress notifications"""
    for progress in (0, 50, 100):
        await ctx.report_progress(progress=progress, total=100, message=f"Completed step {progress} of 100")
        await asyncio.sleep(0.05)
    meta = ctx.request_context.meta if ctx.request_context else None
    return str(meta.get("progress_token") if meta else 0)


@server.tool()
def test_x_mcp_header(
    region: Annotated[
        str, Field(description="Mirrored into the Mcp-Param-Region header", json_schema_extra={"x-mcp-header": "Region"})
    ] = "<none>",
) -> str:
    """Tests SEP-2243 Mcp-Param-* validation (the scenario skips without an x-mcp-header tool)"""
    return f"region={region}"


# SEP-1613: 2020-12 keywords tools/list must carry unchanged.
JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


@server.tool()
def json_schema_2020_12_tool() -> str:
    """Tests JSON Schema 2020-12 keyword preservation in tools/list"""
    return "json_schema_2020_12_tool"


# MCPServer derives inputSchema from the signature and has no override yet.
server._tool_manager.get_tool("json_schema_2020_12_tool").parameters = JSON_SCHEMA_2020_12  # noqa: SLF001


# ---------------------------------------------------------------- tools: server-to-client requests (handshake era)


@server.tool()
async def test_sampling(prompt: str, ctx: Context) -> str:
    """Tests server-initiated sampling (LLM completion request)"""
    try:
        # related_request_id: on the call's own stream, not the standalone GET stream.
        result = await ctx.session.create_message(
            messages=[SamplingMessage(role="user", content=TextContent(type="text", text=prompt))],
            max_tokens=100,
            related_request_id=ctx.request_id,
        )
    except Exception as error:  # the scenario reads the failure from the text
        return f"Sampling not supported or error: {error}"
    text = result.content.text if result.content.type == "text" else "No response"
    return f"LLM response: {text}"


class UserResponse(BaseModel):
    response: str = Field(description="User's response")


class DefaultsForm(BaseModel):
    """SEP-1034: a default for every primitive type."""

    name: str = Field(default="John Doe", description="User name")
    age: int = Field(default=30, description="User age")
    score: float = Field(default=95.5, description="User score")
    status: str = Field(
        default="active", description="User status", json_schema_extra={"enum": ["active", "inactive", "pending"]}
    )
    verified: bool = Field(default=True, description="Verification status")


def titled(options: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"const": value, "title": title} for value, title in options]


class EnumsForm(BaseModel):
    """SEP-1330: every enum shape of an elicitation form."""

    untitledSingle: str = Field(
        description="Simple enum without titles", json_schema_extra={"enum": ["active", "inactive", "pending"]}
    )
    titledSingle: str = Field(
        description="Enum with titled options (oneOf)",
        json_schema_extra={
            "oneOf": titled([("low", "Low Priority"), ("medium", "Medium Priority"), ("high", "High Priority")])
        },
    )
    untitledMulti: list[str] = Field(
        description="Multi-select without titles",
        json_schema_extra={"items": {"type": "string", "enum": ["read", "write", "execute"]}},
    )
    titledMulti: list[str] = Field(
        description="Multi-select with titled options",
        json_schema_extra={
            "items": {"anyOf": titled([("feature", "New Feature"), ("bug", "Bug Fix"), ("docs", "Documentation")])}
        },
    )
    legacyEnum: str = Field(
        description="Legacy enum with enumNames",
        json_schema_extra={"enum": ["small", "medium", "large"], "enumNames": ["Small Size", "Medium Size", "Large Size"]},
    )


async def elicit_summary(ctx: Context, message: str, schema: type[BaseModel], label: str) -> str:
    try:
        result = await ctx.elicit(message=message, schema=schema)
    except Exception as error:  # the scenario reads the failure from the text
        return f"Elicitation not supported or error: {error}"
    content = result.data.model_dump_json() if result.action == "accept" else "{}"
    return f"{label}: action={result.action}, content={content}"


@server.tool()
async def test_elicitation(message: str, ctx: Context) -> str:
    """Tests server-initiated elicitation (user input request)"""
    return await elicit_summary(ctx, message, UserResponse, "User response")


@server.tool()
async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    """Tests elicitation with default values for all primitive types (SEP-1034)"""
    return await elicit_summary(ctx, "Please provide user information", DefaultsForm, "Elicitation result")


@server.tool()
async def test_elicitation_sep1330_enums(ctx: Context) -> str:
    """Tests elicitation with enum schema variations per SEP-1330"""
    return await elicit_summary(
        ctx, "Please select values using different enum schema types", EnumsForm, "Elicitation completed"
    )


@server.tool()
async def test_reconnection(ctx: Context) -> str:
    """Tests SSE polling (SEP-1699): the stream closes mid-call, the result follows on the resumed stream"""
    await ctx.info("Before disconnect")
    await ctx.close_sse_stream()
    await asyncio.sleep(0.2)
    await ctx.info("After reconnect")
    return "Reconnection test completed"


@server.tool()
async def test_missing_capability(ctx: Context) -> str:
    """Requires the client's sampling capability: without it, a -32021 JSON-RPC error (not a tool error)"""
    capabilities = ctx.session.client_capabilities
    if capabilities is None or capabilities.sampling is None:
        raise MCPError(
            code=MISSING_REQUIRED_CLIENT_CAPABILITY,
            message="This tool requires the client 'sampling' capability",
            data={"requiredCapabilities": {"sampling": {}}},
        )
    return "Client declared sampling capability; proceeding."


# ---------------------------------------------------------------- tools: input_required results (2026-07-28, SEP-2322)


def form(properties: dict[str, str], message: str) -> ElicitRequest:
    schema = {
        "type": "object",
        "properties": {name: {"type": kind} for name, kind in properties.items()},
        "required": list(properties),
    }
    return ElicitRequest(params=ElicitRequestFormParams(message=message, requested_schema=schema))


def ask_name(message: str = "What is your name?") -> ElicitRequest:
    return form({"name": "string"}, message)


def sample(text: str, max_tokens: int) -> CreateMessageRequest:
    return CreateMessageRequest(
        params=CreateMessageRequestParams(
            messages=[SamplingMessage(role="user", content=TextContent(type="text", text=text))], max_tokens=max_tokens
        )
    )


def elicited(answer: Any, field: str, missing: str | None = None) -> Any:
    if isinstance(answer, ElicitResult) and answer.content:
        return answer.content.get(field, missing)
    return missing


@server.tool()
async def test_input_required_result_elicitation(ctx: Context) -> str | InputRequiredResult:
    """Tests InputRequiredResult with a single elicitation request"""
    answers = ctx.input_responses or {}
    if "user_name" in answers:
        return f"Hello, {elicited(answers['user_name'], 'name', 'stranger')}!"
    return InputRequiredResult(input_requests={"user_name": ask_name()})


@server.tool()
async def test_input_required_result_sampling(ctx: Context) -> str | InputRequiredResult:
    """Tests InputRequiredResult with a single sampling request"""
    answers = ctx.input_responses or {}
    if "capital_question" in answers:
        answer = answers["capital_question"]
        is_text = isinstance(answer, CreateMessageResult) and answer.content.type == "text"
        return f"Model said: {answer.content.text if is_text else '?'}"
    return InputRequiredResult(input_requests={"capital_question": sample("What is the capital of France?", 100)})


@server.tool()
async def test_input_required_result_list_roots(ctx: Context) -> str | InputRequiredResult:
    """Tests InputRequiredResult with a single roots/list request"""
    answers = ctx.input_responses or {}
    if "client_roots" in answers:
        answer = answers["client_roots"]
        return f"Client exposed {len(answer.roots) if isinstance(answer, ListRootsResult) else 0} root(s)."
    return InputRequiredResult(input_requests={"client_roots": ListRootsRequest()})


@server.tool()
async def test_input_required_result_request_state(ctx: Context) -> str | InputRequiredResult:
    """Tests requestState round-tripping in the InputRequiredResult flow"""
    if "confirm" in (ctx.input_responses or {}) and ctx.request_state == "request-state-nonce":
        return "state-ok: confirmation received"
    return InputRequiredResult(
        input_requests={"confirm": form({"ok": "boolean"}, "Please confirm")}, request_state="request-state-nonce"
    )


@server.tool()
async def test_input_required_result_multiple_inputs(ctx: Context) -> str | InputRequiredResult:
    """Tests InputRequiredResult carrying elicitation, sampling and roots requests together"""
    wanted = {
        "user_name": ask_name(),
        "greeting": sample("Generate a greeting", 50),
        "client_roots": ListRootsRequest(),
    }
    if wanted.keys() <= (ctx.input_responses or {}).keys():
        return "All inputs received."
    return InputRequiredResult(input_requests=wanted, request_state="multiple-inputs")


@server.tool()
async def test_input_required_result_multi_round(ctx: Context) -> str | InputRequiredResult:
    """Tests a three-round InputRequiredResult flow with evolving requestState"""
    state = json.loads(ctx.request_state) if ctx.request_state else {"round": 0}
    answers = ctx.input_responses or {}
    if state["round"] == 1 and "step1" in answers:
        return InputRequiredResult(
            input_requests={"step2": form({"color": "string"}, "Step 2: What is your favorite color?")},
            request_state=json.dumps({"round": 2, "name": elicited(answers["step1"], "name")}),
        )
    if state["round"] == 2 and "step2" in answers:
        return f"{state.get('name')} likes {elicited(answers['step2'], 'color')}."
    # The first round, or a missing or out-of-order answer: start again.
    return InputRequiredResult(
        input_requests={"step1": ask_name("Step 1: What is your name?")}, request_state=json.dumps({"round": 1})
    )


@server.tool()
async def test_input_required_result_tampered_state(ctx: Context) -> str | InputRequiredResult:
    """Tests that the server rejects a tampered requestState echo (the SDK's sealing does)"""
    if ctx.request_state is None:
        return InputRequiredResult(
            input_requests={"confirm": form({"ok": "boolean"}, "Please confirm")}, request_state="round-1"
        )
    return f"state-ok: {ctx.request_state}"


@server.tool()
async def test_input_required_result_capabilities(ctx: Context) -> InputRequiredResult:
    """Tests that inputRequests only include methods the client declared support for"""
    capabilities = ctx.client_capabilities
    requests: dict[str, InputRequest] = {}
    if capabilities is None or capabilities.sampling is not None:
        requests["sample"] = sample("Say hello", 50)
    if capabilities is None or capabilities.elicitation is not None:
        requests["ask"] = ask_name()
    return InputRequiredResult(input_requests=requests, request_state="capability-gated")


# ---------------------------------------------------------------- resources


@server.resource("test://static-text")
def static_text() -> str:
    """A static text resource for testing"""
    return "This is the content of the static text resource."


@server.resource("test://static-binary")
def static_binary() -> bytes:
    """A static binary resource (image) for testing"""
    return base64.b64decode(PNG_1X1)


@server.resource("test://template/{id}/data")
def template_data(id: str) -> str:
    """A resource template with parameter substitution"""
    return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


@server.resource("test://watched-resource")
def watched() -> str:
    """A resource that can be subscribed to for updates"""
    return "Watched resource content"


# ---------------------------------------------------------------- prompts


def user_text(text: str) -> UserMessage:
    return UserMessage(role="user", content=TextContent(type="text", text=text))


@server.prompt()
def test_simple_prompt() -> list[UserMessage]:
    """A simple prompt without arguments"""
    return [user_text("This is a simple prompt for testing.")]


@server.prompt()
def test_prompt_with_arguments(arg1: str, arg2: str) -> list[UserMessage]:
    """A prompt with required arguments"""
    return [user_text(f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")]


@server.prompt()
def test_prompt_with_embedded_resource(resourceUri: str) -> list[UserMessage]:
    """A prompt that includes an embedded resource"""
    return [
        UserMessage(role="user", content=text_resource(resourceUri, "Embedded resource content for testing.")),
        user_text("Please process the embedded resource above."),
    ]


@server.prompt()
def test_prompt_with_image() -> list[UserMessage]:
    """A prompt that includes image content"""
    return [
        UserMessage(role="user", content=ImageContent(type="image", data=PNG_1X1, mime_type="image/png")),
        user_text("Please analyze the image above."),
    ]


@server.prompt()
async def test_input_required_result_prompt(ctx: Context) -> list[UserMessage] | InputRequiredResult:
    """Tests InputRequiredResult from prompts/get (SEP-2322 non-tool request)"""
    answers = ctx.input_responses or {}
    if "user_context" in answers:
        return [user_text(f"Use the following context: {elicited(answers['user_context'], 'context', '?')}")]
    return InputRequiredResult(
        input_requests={"user_context": form({"context": "string"}, "What context should the prompt use?")}
    )


# ---------------------------------------------------------------- completion, logging, subscriptions (handshake era)


@server.completion()
async def complete(
    ref: PromptReference | ResourceTemplateReference, argument: CompletionArgument, context: CompletionContext | None
) -> Completion:
    """No suggestions: the scenario checks the shape of the answer."""
    return Completion(values=[], total=0, has_more=False)


async def set_level(ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
    return EmptyResult()


async def subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
    subscribed_uris.add(str(params.uri))
    return EmptyResult()


async def unsubscribe(ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
    subscribed_uris.discard(str(params.uri))
    return EmptyResult()


# MCPServer has no public hook for these three handshake-era methods yet.
lowlevel = server._lowlevel_server  # noqa: SLF001
lowlevel.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)
lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)


# ---------------------------------------------------------------- SSE resumability (handshake era, SEP-1699)


class MemoryEventStore(EventStore):
    """Every event of the run, so a client resuming with Last-Event-ID gets what it missed."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, JSONRPCMessage | None]] = []

    async def store_event(self, stream_id: str, message: JSONRPCMessage | None) -> str:
        self.events.append((stream_id, len(self.events) + 1, message))
        return str(len(self.events))

    async def replay_events_after(self, last_event_id: str, send_callback: EventCallback) -> str | None:
        after = int(last_event_id) if last_event_id.isdigit() else 0
        stream = next((stream for stream, number, _ in self.events if number == after), None)
        if stream is None:
            return None
        for stream_id, number, message in self.events:
            # Priming events carry no message.
            if stream_id == stream and number > after and message is not None:
                await send_callback(EventMessage(message, str(number)))
        return stream


# ---------------------------------------------------------------- era selection


class EraFilter:
    """ASGI middleware that narrows the SDK's two-era endpoint to one era.

    The SDK routes by the `MCP-Protocol-Version` header (a handshake version or none: the handshake
    transport; anything else: the 2026-07-28 path), so the header alone decides here too.
    """

    def __init__(self, app: Any, era: str) -> None:
        self.app = app
        self.era = era

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != MCP_PATH or self.era == "both":
            await self.app(scope, receive, send)
            return
        version = header(scope, b"mcp-protocol-version")
        is_handshake = version is None or version in HANDSHAKE_PROTOCOL_VERSIONS
        if self.era == "handshake" and not is_handshake:
            # What handshake-era SDK servers answer: a plain 400, no modern error code.
            await reply(send, 400, error_body(None, -32000, f"Bad Request: Unsupported protocol version: {version}"))
            return
        if self.era == "modern" and is_handshake:
            if scope["method"] != "POST":
                await reply(send, 405, b"")
                return
            body = await read_body(receive)
            request_id = json_id(body)
            requested = version or DEFAULT_HANDSHAKE_VERSION
            data = {"supported": list(MODERN_PROTOCOL_VERSIONS), "requested": requested}
            message = f"Unsupported protocol version: {requested}"
            await reply(send, 400, error_body(request_id, UNSUPPORTED_PROTOCOL_VERSION, message, data))
            return
        await self.app(scope, receive, send)


def header(scope: Any, name: bytes) -> str | None:
    return next((value.decode("latin-1") for key, value in scope["headers"] if key == name), None)


async def read_body(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def json_id(body: bytes) -> Any:
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    return decoded.get("id") if isinstance(decoded, dict) else None


def error_body(request_id: Any, code: int, message: str, data: Any = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode()


async def reply(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")] if body else []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--era", choices=["both", "handshake", "modern"], default="both")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    args = parser.parse_args()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    port = listener.getsockname()[1]

    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH, host="127.0.0.1", event_store=MemoryEventStore(), retry_interval=100
    )
    app = EraFilter(mcp_app, args.era)
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    print(f"http://127.0.0.1:{port}{MCP_PATH}", flush=True)
    asyncio.run(uvicorn.Server(config).serve(sockets=[listener]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
