//! The client against scripted upstreams of both eras, with an in-memory store.

use std::cell::{Cell, RefCell};

use serde_json::{Value, json};

use super::*;
use crate::headers::decode_header_value;
use crate::transport::MemoryStore;
use crate::types::ContentBlock;

const NOW: u64 = 1_000_000;

type Handler = Box<dyn Fn(&HttpRequest, &Value) -> Result<HttpResponse, TransportError>>;

/// Records every request and answers with `handler` (given the parsed body).
struct FakeUpstream {
    handler: Handler,
    sent: RefCell<Vec<HttpRequest>>,
}

impl FakeUpstream {
    fn new(
        handler: impl Fn(&HttpRequest, &Value) -> Result<HttpResponse, TransportError> + 'static,
    ) -> Self {
        Self {
            handler: Box::new(handler),
            sent: RefCell::new(Vec::new()),
        }
    }

    fn methods(&self) -> Vec<String> {
        self.sent
            .borrow()
            .iter()
            .map(|request| body(request)["method"].as_str().unwrap().to_owned())
            .collect()
    }

    fn last(&self) -> HttpRequest {
        self.sent.borrow().last().unwrap().clone()
    }

    fn clear(&self) {
        self.sent.borrow_mut().clear();
    }
}

impl HttpTransport for FakeUpstream {
    async fn post(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        (self.handler)(&request, &body(&request))
    }
}

fn body(request: &HttpRequest) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

fn json_response(status: u16, value: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: value.to_string().into_bytes(),
    }
}

fn result(request: &Value, result: Value) -> HttpResponse {
    json_response(
        200,
        json!({"jsonrpc":"2.0","id":request["id"],"result":result}),
    )
}

fn rpc_error(status: u16, request: &Value, code: i64, message: &str, data: Value) -> HttpResponse {
    json_response(
        status,
        json!({"jsonrpc":"2.0","id":request["id"],"error":{"code":code,"message":message,"data":data}}),
    )
}

/// An SSE reply with a progress notification before the response, as SDK servers send.
fn sse_result(request: &Value, result: Value) -> HttpResponse {
    let progress =
        json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}});
    let response = json!({"jsonrpc":"2.0","id":request["id"],"result":result});
    HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        body: format!("event: message\ndata: {progress}\n\nevent: message\ndata: {response}\n\n")
            .into_bytes(),
    }
}

fn tools_page() -> Value {
    json!([
        {"name":"echo","inputSchema":{"type":"object","properties":{
            "message":{"type":"string"},
            "region":{"type":"string","x-mcp-header":"Region"}}}},
        {"name":"broken","inputSchema":{"type":"object","properties":{
            "n":{"type":"number","x-mcp-header":"N"}}}}
    ])
}

fn echo_result(request: &Value) -> Value {
    json!({"content":[{"type":"text","text":request["params"]["arguments"]["message"]}]})
}

/// A 2026-07-28 server that checks what the spec requires of every request.
fn modern_handler(request: &HttpRequest, body: &Value) -> Result<HttpResponse, TransportError> {
    let meta = &body["params"]["_meta"];
    assert_eq!(meta[META_PROTOCOL_VERSION], "2026-07-28");
    assert_eq!(meta[META_CLIENT_CAPABILITIES], json!({}));
    assert_eq!(meta[META_CLIENT_INFO]["name"], "gateway");
    assert_eq!(request.header("MCP-Protocol-Version"), Some("2026-07-28"));
    assert_eq!(request.header("Mcp-Method"), body["method"].as_str());
    assert_eq!(
        request.header("Accept"),
        Some("application/json, text/event-stream")
    );
    assert_eq!(request.header("Mcp-Session-Id"), None);
    Ok(match body["method"].as_str().unwrap() {
        "server/discover" => result(
            body,
            json!({"supportedVersions":["2026-07-28"],"capabilities":{"tools":{}},
                   "ttlMs":0,"cacheScope":"public",
                   "_meta":{"io.modelcontextprotocol/serverInfo":{"name":"modern","version":"2"}}}),
        ),
        "tools/list" => result(
            body,
            json!({"tools":tools_page(),"ttlMs":5000,"cacheScope":"public","resultType":"complete"}),
        ),
        "tools/call" => {
            let name = request.header("Mcp-Name").and_then(decode_header_value);
            assert_eq!(name.as_deref(), body["params"]["name"].as_str());
            sse_result(body, echo_result(body))
        }
        "prompts/get" | "resources/read" => {
            let key = if body["method"] == "prompts/get" {
                "name"
            } else {
                "uri"
            };
            let name = request.header("Mcp-Name").and_then(decode_header_value);
            assert_eq!(name.as_deref(), body["params"][key].as_str());
            result(body, forwarded_result(body))
        }
        "prompts/list" => result(body, forwarded_result(body)),
        other => panic!("unexpected {other}"),
    })
}

/// What both fake servers answer to a relayed request: its params, to show what arrived.
fn forwarded_result(body: &Value) -> Value {
    json!({"received": body["params"].clone(), "method": body["method"].clone()})
}

/// A handshake-era server in the style of TypeScript SDK v1 (server-everything).
struct LegacyServer {
    sessions: RefCell<Vec<String>>,
    issued: Cell<u32>,
    version: &'static str,
}

impl LegacyServer {
    fn new(version: &'static str) -> std::rc::Rc<Self> {
        std::rc::Rc::new(Self {
            sessions: RefCell::new(Vec::new()),
            issued: Cell::new(0),
            version,
        })
    }

    fn handle(&self, request: &HttpRequest, body: &Value) -> Result<HttpResponse, TransportError> {
        let method = body["method"].as_str().unwrap();
        let session = request.header("Mcp-Session-Id");
        if method == "initialize" {
            assert_eq!(body["params"]["protocolVersion"], "2025-11-25");
            assert_eq!(session, None);
            self.issued.set(self.issued.get() + 1);
            let id = format!("session-{}", self.issued.get());
            self.sessions.borrow_mut().push(id.clone());
            let mut response = sse_result(
                body,
                json!({"protocolVersion":self.version,"capabilities":{"tools":{}},
                       "serverInfo":{"name":"legacy","version":"1"}}),
            );
            response.headers.push(("mcp-session-id".into(), id));
            return Ok(response);
        }
        let Some(session) = session else {
            return Ok(rpc_error(
                400,
                &Value::Null,
                -32000,
                "Bad Request: Server not initialized",
                Value::Null,
            ));
        };
        if !self.sessions.borrow().iter().any(|known| known == session) {
            return Ok(json_response(
                404,
                json!({"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}),
            ));
        }
        assert_eq!(request.header("MCP-Protocol-Version"), Some(self.version));
        assert!(
            body["params"].get("_meta").is_none(),
            "no _meta in the handshake era"
        );
        Ok(match method {
            "notifications/initialized" => HttpResponse {
                status: 202,
                headers: vec![],
                body: vec![],
            },
            "tools/list" => sse_result(body, json!({"tools":tools_page()})),
            "tools/call" => sse_result(body, echo_result(body)),
            "prompts/get" | "resources/read" => sse_result(body, forwarded_result(body)),
            other => panic!("unexpected {other}"),
        })
    }

    fn expire_sessions(&self) {
        self.sessions.borrow_mut().clear();
    }
}

fn legacy_upstream(server: &std::rc::Rc<LegacyServer>) -> FakeUpstream {
    let server = server.clone();
    FakeUpstream::new(move |request, body| server.handle(request, body))
}

fn config() -> UpstreamConfig {
    UpstreamConfig {
        url: "http://upstream.test/mcp".into(),
        extra_headers: vec![("Authorization".into(), "Bearer upstream-secret".into())],
        client_info: Implementation::new("gateway", "0.1.0"),
        timeout_ms: Some(30_000),
    }
}

fn client<'a>(
    upstream: &'a FakeUpstream,
    store: &'a MemoryStore,
    now: u64,
) -> UpstreamClient<'a, FakeUpstream, MemoryStore> {
    UpstreamClient::new(config(), upstream, store, now)
}

fn text_of(result: &CallToolResult) -> &str {
    match &result.content[0] {
        ContentBlock::Text { text, .. } => text,
        other => panic!("not text: {other:?}"),
    }
}

#[tokio::test]
async fn modern_upstream_is_detected_without_initialize_and_stamps_every_request() {
    let upstream = FakeUpstream::new(modern_handler);
    let store = MemoryStore::default();
    let first = client(&upstream, &store, NOW);

    let tools = first.list_tools().await.unwrap();
    assert_eq!(upstream.methods(), vec!["server/discover", "tools/list"]);
    let names: Vec<_> = tools.tools.iter().map(|tool| tool.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["echo"],
        "a tool with an invalid x-mcp-header is dropped"
    );
    assert_eq!(tools.cache_scope, CacheScope::Public);
    assert_eq!(tools.expires_at_ms, NOW + 5000);
    assert!(tools.fetched);
    assert!(
        !first.list_tools().await.unwrap().fetched,
        "the second list comes from the cache"
    );
    assert!(
        upstream
            .sent
            .borrow()
            .iter()
            .all(|request| request.header("Authorization") == Some("Bearer upstream-secret"))
    );

    let server = first.discover().await.unwrap();
    assert_eq!(server.era, Era::Modern);
    assert_eq!(server.server_info.unwrap().name, "modern");
    assert_eq!(
        first.http_requests(),
        2,
        "discover is answered from the stored verdict"
    );
}

#[tokio::test]
async fn modern_steady_state_call_costs_one_request_with_routing_headers() {
    let upstream = FakeUpstream::new(modern_handler);
    let store = MemoryStore::default();
    client(&upstream, &store, NOW).list_tools().await.unwrap();
    upstream.clear();

    let later = client(&upstream, &store, NOW + 10);
    let result = later
        .call_tool("echo", json!({"message":"hi","region":"\u{e9}u"}))
        .await
        .unwrap();
    assert_eq!(text_of(&result), "hi");
    assert_eq!(later.http_requests(), 1);
    let sent = upstream.last();
    assert_eq!(sent.header("Mcp-Name"), Some("echo"));
    assert_eq!(sent.header("Mcp-Param-Region"), Some("=?base64?w6l1?="));
    assert_eq!(sent.timeout_ms, Some(30_000));
}

#[tokio::test]
async fn a_tool_name_unsafe_for_headers_is_sent_base64_encoded() {
    let upstream = FakeUpstream::new(modern_handler);
    let store = MemoryStore::default();
    let client = client(&upstream, &store, NOW);
    let result = client.call_tool("caf\u{e9}", json!({"message":"x"})).await;
    assert_eq!(text_of(&result.unwrap()), "x");
    assert_eq!(
        upstream.last().header("Mcp-Name"),
        Some("=?base64?Y2Fmw6k=?=")
    );
}

#[tokio::test]
async fn handshake_upstream_initializes_once_then_reuses_the_stored_session() {
    let server = LegacyServer::new("2025-11-25");
    let upstream = legacy_upstream(&server);
    let store = MemoryStore::default();

    let tools = client(&upstream, &store, NOW).list_tools().await.unwrap();
    assert_eq!(
        upstream.methods(),
        vec![
            "server/discover",
            "initialize",
            "notifications/initialized",
            "tools/list"
        ]
    );
    assert_eq!(tools.cache_scope, CacheScope::Private);
    assert_eq!(tools.expires_at_ms, NOW + DEFAULT_TOOLS_TTL_MS);
    upstream.clear();

    let later = client(&upstream, &store, NOW + 10);
    let result = later
        .call_tool("echo", json!({"message":"again"}))
        .await
        .unwrap();
    assert_eq!(text_of(&result), "again");
    assert_eq!(later.http_requests(), 1);
    let sent = upstream.last();
    assert_eq!(sent.header("Mcp-Session-Id"), Some("session-1"));
    assert_eq!(sent.header("Mcp-Method"), None);
    assert_eq!(later.discover().await.unwrap().era, Era::Handshake);
}

#[tokio::test]
async fn handshake_accepts_the_version_the_server_counter_offers() {
    let server = LegacyServer::new("2025-06-18");
    let upstream = legacy_upstream(&server);
    let store = MemoryStore::default();
    let client = client(&upstream, &store, NOW);
    let description = client.discover().await.unwrap();
    assert_eq!(description.protocol_version, "2025-06-18");
    client
        .call_tool("echo", json!({"message":"x"}))
        .await
        .unwrap();
    assert_eq!(
        upstream.last().header("MCP-Protocol-Version"),
        Some("2025-06-18")
    );
}

#[tokio::test]
async fn an_initialize_answer_outside_the_handshake_versions_is_refused() {
    let server = LegacyServer::new("2024-11-05");
    let upstream = legacy_upstream(&server);
    let store = MemoryStore::default();
    let err = client(&upstream, &store, NOW).discover().await.unwrap_err();
    assert!(matches!(err, UpstreamError::Protocol(_)), "{err:?}");
    assert!(
        store.keys().is_empty(),
        "no verdict from a failed handshake"
    );
}

#[tokio::test]
async fn a_lost_session_is_reinitialized_once_and_the_call_retried() {
    let server = LegacyServer::new("2025-11-25");
    let upstream = legacy_upstream(&server);
    let store = MemoryStore::default();
    client(&upstream, &store, NOW).discover().await.unwrap();
    server.expire_sessions();
    upstream.clear();

    let result = client(&upstream, &store, NOW)
        .call_tool("echo", json!({"message":"back"}))
        .await
        .unwrap();
    assert_eq!(text_of(&result), "back");
    assert_eq!(
        upstream.methods(),
        vec![
            "tools/call",
            "initialize",
            "notifications/initialized",
            "tools/call"
        ]
    );
    assert_eq!(upstream.last().header("Mcp-Session-Id"), Some("session-2"));
}

#[tokio::test]
async fn a_session_that_keeps_failing_is_reinitialized_only_once() {
    let server = LegacyServer::new("2025-11-25");
    let sessions = server.clone();
    let upstream = FakeUpstream::new(move |request, body| {
        let response = sessions.handle(request, body);
        if body["method"] == "tools/call" {
            sessions.expire_sessions();
            return Ok(json_response(404, json!({})));
        }
        response
    });
    let store = MemoryStore::default();
    client(&upstream, &store, NOW).discover().await.unwrap();
    upstream.clear();

    let err = client(&upstream, &store, NOW)
        .call_tool("echo", json!({"message":"x"}))
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Status { status: 404 });
    assert_eq!(
        upstream.methods(),
        vec![
            "tools/call",
            "initialize",
            "notifications/initialized",
            "tools/call"
        ]
    );
}

#[tokio::test]
async fn discover_answered_with_handshake_versions_only_means_handshake() {
    let server = LegacyServer::new("2025-11-25");
    let upstream = FakeUpstream::new(move |request, body| {
        if body["method"] == "server/discover" {
            return Ok(rpc_error(
                400,
                body,
                UNSUPPORTED_PROTOCOL_VERSION,
                "Unsupported protocol version",
                json!({"supported":["2025-11-25","2025-06-18"],"requested":"2026-07-28"}),
            ));
        }
        server.handle(request, body)
    });
    let store = MemoryStore::default();
    let description = client(&upstream, &store, NOW).discover().await.unwrap();
    assert_eq!(description.era, Era::Handshake);
    assert_eq!(
        upstream.methods(),
        vec!["server/discover", "initialize", "notifications/initialized"]
    );
}

#[tokio::test]
async fn a_modern_only_server_with_no_common_version_is_an_error_not_a_legacy_verdict() {
    let upstream = FakeUpstream::new(|_, body| {
        Ok(rpc_error(
            400,
            body,
            UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version",
            json!({"supported":["2099-01-01"],"requested":"2026-07-28"}),
        ))
    });
    let store = MemoryStore::default();
    let err = client(&upstream, &store, NOW).discover().await.unwrap_err();
    assert!(matches!(
        err,
        UpstreamError::JsonRpc {
            code: UNSUPPORTED_PROTOCOL_VERSION,
            ..
        }
    ));
    assert_eq!(upstream.methods(), vec!["server/discover"]);
    assert!(store.keys().is_empty());
}

#[tokio::test]
async fn unsupported_version_from_initialize_switches_to_the_modern_era() {
    // The discover answer was swallowed by a proxy (empty 400); initialize reveals a modern server.
    let discovers = Cell::new(0);
    let upstream = FakeUpstream::new(move |request, body| match body["method"].as_str() {
        Some("server/discover") if discovers.replace(discovers.get() + 1) == 0 => {
            Ok(HttpResponse {
                status: 400,
                headers: vec![],
                body: vec![],
            })
        }
        Some("initialize") => Ok(rpc_error(
            400,
            body,
            UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version",
            json!({"supported":["2026-07-28"],"requested":"2025-11-25"}),
        )),
        _ => modern_handler(request, body),
    });
    let store = MemoryStore::default();
    let description = client(&upstream, &store, NOW).discover().await.unwrap();
    assert_eq!(description.era, Era::Modern);
    assert_eq!(
        upstream.methods(),
        vec!["server/discover", "initialize", "server/discover"]
    );
}

#[tokio::test]
async fn network_failures_are_never_a_verdict() {
    for (failure, expected) in [
        (
            TransportError::Connect("connection refused".into()),
            UpstreamError::Unreachable("connection refused".into()),
        ),
        (TransportError::Timeout, UpstreamError::Timeout),
    ] {
        let upstream = FakeUpstream::new(move |_, _| Err(failure.clone()));
        let store = MemoryStore::default();
        let err = client(&upstream, &store, NOW)
            .list_tools()
            .await
            .unwrap_err();
        assert_eq!(err, expected);
        assert_eq!(
            upstream.methods(),
            vec!["server/discover"],
            "no fallback to initialize"
        );
        assert!(store.keys().is_empty());
    }
}

#[tokio::test]
async fn server_errors_and_garbage_are_classified() {
    let upstream = FakeUpstream::new(|_, _| Ok(json_response(503, json!({}))));
    let store = MemoryStore::default();
    let err = client(&upstream, &store, NOW).discover().await.unwrap_err();
    assert_eq!(err, UpstreamError::Status { status: 503 });
    assert!(store.keys().is_empty());

    let upstream = FakeUpstream::new(|request, body| match body["method"].as_str() {
        Some("tools/call") => Ok(HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html>".to_vec(),
        }),
        _ => modern_handler(request, body),
    });
    let err = client(&upstream, &store, NOW)
        .call_tool("echo", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Protocol(_)), "{err:?}");
}

#[tokio::test]
async fn a_json_rpc_error_from_a_modern_upstream_is_returned_without_reprobing() {
    let upstream = FakeUpstream::new(|request, body| match body["method"].as_str() {
        Some("tools/call") => Ok(rpc_error(
            400,
            body,
            -32602,
            "Unknown tool: nope",
            Value::Null,
        )),
        _ => modern_handler(request, body),
    });
    let store = MemoryStore::default();
    client(&upstream, &store, NOW).discover().await.unwrap();
    upstream.clear();
    let err = client(&upstream, &store, NOW)
        .call_tool("nope", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::JsonRpc { code: -32602, .. }));
    assert_eq!(upstream.methods(), vec!["tools/call"]);
}

#[tokio::test]
async fn an_upstream_that_turned_legacy_is_reprobed_and_the_call_retried() {
    let modern = FakeUpstream::new(modern_handler);
    let store = MemoryStore::default();
    client(&modern, &store, NOW).discover().await.unwrap();

    let server = LegacyServer::new("2025-11-25");
    let legacy = legacy_upstream(&server);
    let result = client(&legacy, &store, NOW)
        .call_tool("echo", json!({"message":"moved"}))
        .await
        .unwrap();
    assert_eq!(text_of(&result), "moved");
    assert_eq!(
        legacy.methods(),
        vec![
            "tools/call",
            "server/discover",
            "initialize",
            "notifications/initialized",
            "tools/call"
        ]
    );
}

#[tokio::test]
async fn an_upstream_that_turned_modern_is_reprobed_and_the_call_retried() {
    let server = LegacyServer::new("2025-11-25");
    let store = MemoryStore::default();
    client(&legacy_upstream(&server), &store, NOW)
        .discover()
        .await
        .unwrap();

    let upstream = FakeUpstream::new(|request, body| {
        if request.header("MCP-Protocol-Version") == Some("2025-11-25") {
            return Ok(rpc_error(
                400,
                body,
                UNSUPPORTED_PROTOCOL_VERSION,
                "Unsupported protocol version",
                json!({"supported":["2026-07-28"],"requested":"2025-11-25"}),
            ));
        }
        modern_handler(request, body)
    });
    let result = client(&upstream, &store, NOW)
        .call_tool("echo", json!({"message":"up"}))
        .await
        .unwrap();
    assert_eq!(text_of(&result), "up");
    assert_eq!(
        upstream.methods(),
        vec!["tools/call", "server/discover", "tools/call"]
    );
}

#[tokio::test]
async fn an_authentication_failure_does_not_discard_the_verdict() {
    let store = MemoryStore::default();
    client(&FakeUpstream::new(modern_handler), &store, NOW)
        .discover()
        .await
        .unwrap();
    let upstream = FakeUpstream::new(|_, _| {
        Ok(HttpResponse {
            status: 401,
            headers: vec![],
            body: vec![],
        })
    });
    let err = client(&upstream, &store, NOW)
        .call_tool("echo", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Status { status: 401 });
    assert_eq!(upstream.methods(), vec!["tools/call"]);
}

#[tokio::test]
async fn an_old_verdict_is_checked_again() {
    let upstream = FakeUpstream::new(modern_handler);
    let store = MemoryStore::default();
    client(&upstream, &store, NOW).discover().await.unwrap();
    upstream.clear();
    client(&upstream, &store, NOW + ERA_RECHECK_MS - 1)
        .discover()
        .await
        .unwrap();
    assert!(upstream.methods().is_empty());
    client(&upstream, &store, NOW + ERA_RECHECK_MS)
        .discover()
        .await
        .unwrap();
    assert_eq!(upstream.methods(), vec!["server/discover"]);
}

#[tokio::test]
async fn the_tool_list_is_cached_for_its_ttl_and_paged_with_cursors() {
    let upstream = FakeUpstream::new(|request, body| match body["method"].as_str() {
        Some("tools/list") => Ok(match body["params"]["cursor"].as_str() {
            None => result(
                body,
                json!({"tools":[{"name":"a","inputSchema":{"type":"object"}}],"nextCursor":"p2","ttlMs":0,"cacheScope":"public"}),
            ),
            Some("p2") => result(
                body,
                json!({"tools":[{"name":"b","inputSchema":{"type":"object"}}],"ttlMs":9000,"cacheScope":"private"}),
            ),
            Some(other) => panic!("cursor {other}"),
        }),
        _ => modern_handler(request, body),
    });
    let store = MemoryStore::default();
    let tools = client(&upstream, &store, NOW).list_tools().await.unwrap();
    let names: Vec<_> = tools.tools.iter().map(|tool| tool.name.as_str()).collect();
    assert_eq!(names, vec!["a", "b"]);
    assert_eq!(
        tools.expires_at_ms,
        NOW + 9000,
        "the shortest ttl, 0 meaning the default"
    );
    assert_eq!(
        tools.cache_scope,
        CacheScope::Private,
        "private if any page is"
    );
    upstream.clear();

    let cached = client(&upstream, &store, NOW + 8999)
        .list_tools()
        .await
        .unwrap();
    assert_eq!((cached.tools, cached.fetched), (tools.tools.clone(), false));
    assert!(upstream.methods().is_empty());
    let stale = client(&upstream, &store, NOW + 9000)
        .cached_tools()
        .unwrap();
    assert_eq!(
        stale.tools, tools.tools,
        "past its expiry, still the last list"
    );
    assert!(upstream.methods().is_empty(), "cached_tools never asks");
    client(&upstream, &store, NOW + 9000)
        .list_tools()
        .await
        .unwrap();
    assert_eq!(upstream.methods(), vec!["tools/list", "tools/list"]);
}

#[tokio::test]
async fn a_header_mismatch_refreshes_the_tool_list_and_retries_once() {
    // The upstream added an x-mcp-header to `echo` after we cached its tools.
    let upstream = FakeUpstream::new(|request, body| match body["method"].as_str() {
        Some("tools/call") if request.header("Mcp-Param-Region").is_none() => Ok(rpc_error(
            400,
            body,
            HEADER_MISMATCH,
            "Missing Mcp-Param-Region",
            Value::Null,
        )),
        _ => modern_handler(request, body),
    });
    let store = MemoryStore::default();
    let client = client(&upstream, &store, NOW);
    client.discover().await.unwrap();
    upstream.clear();
    let result = client
        .call_tool("echo", json!({"message":"m","region":"eu"}))
        .await
        .unwrap();
    assert_eq!(text_of(&result), "m");
    assert_eq!(
        upstream.methods(),
        vec!["tools/call", "tools/list", "tools/call"]
    );

    let err = client
        .call_tool("echo", json!({"message":"no region"}))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        UpstreamError::JsonRpc {
            code: HEADER_MISMATCH,
            ..
        }
    ));
}

#[tokio::test]
async fn each_credential_has_its_own_state() {
    let upstream = FakeUpstream::new(modern_handler);
    let store = MemoryStore::default();
    client(&upstream, &store, NOW).discover().await.unwrap();
    upstream.clear();
    let mut other = config();
    other.extra_headers = vec![("Authorization".into(), "Bearer someone-else".into())];
    UpstreamClient::new(other, &upstream, &store, NOW)
        .discover()
        .await
        .unwrap();
    assert_eq!(upstream.methods(), vec!["server/discover"]);
    assert!(
        store
            .keys()
            .iter()
            .all(|key| !key.contains("secret") && !key.contains("someone"))
    );
}

#[tokio::test]
async fn relayed_requests_reach_either_era_with_the_gateways_own_meta_and_routing() {
    let params = json!({"name": "greet", "arguments": {"who": "ann"},
                        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "client": "secret"}});
    let modern = FakeUpstream::new(modern_handler);
    let store = MemoryStore::default();
    let answer = client(&modern, &store, NOW)
        .forward("prompts/get", &params)
        .await
        .unwrap();
    assert_eq!(answer["received"]["arguments"], json!({"who": "ann"}));
    assert!(
        answer["received"]["_meta"].get("client").is_none(),
        "{answer}"
    );
    assert_eq!(modern.last().header("Mcp-Name"), Some("greet"));

    let server = LegacyServer::new("2025-11-25");
    let legacy = legacy_upstream(&server);
    let store = MemoryStore::default();
    let answer = client(&legacy, &store, NOW)
        .forward(
            "resources/read",
            &json!({"uri": "file:///a.txt", "_meta": {"x": 1}}),
        )
        .await
        .unwrap();
    assert_eq!(answer["received"], json!({"uri": "file:///a.txt"}));
    assert_eq!(
        legacy.methods(),
        vec![
            "server/discover",
            "initialize",
            "notifications/initialized",
            "resources/read"
        ]
    );
}

#[tokio::test]
async fn only_relayable_methods_are_relayed() {
    let upstream = FakeUpstream::new(modern_handler);
    let store = MemoryStore::default();
    let refused = client(&upstream, &store, NOW)
        .forward("tools/call", &json!({}))
        .await;
    assert!(
        matches!(refused, Err(UpstreamError::JsonRpc { code: -32601, .. })),
        "{refused:?}"
    );
    assert!(upstream.methods().is_empty());
}
