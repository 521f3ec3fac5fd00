//! The upstream client against real MCP servers of both eras: server-everything (TypeScript
//! SDK v1, handshake era only) and a Python SDK 2.x server speaking 2026-07-28.

use std::cell::RefCell;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use mcp_proto::{
    CallToolResult, ContentBlock, Era, HttpRequest, HttpResponse, HttpTransport, Implementation,
    MemoryStore, TransportError, UpstreamClient, UpstreamConfig,
};
use serde_json::{Value, json};
use test_support::{ChildGuard, free_port, node_modules, python, wait_for_port};

/// A blocking HTTP/1.1 client over `std::net`, recording the JSON-RPC methods it sends.
#[derive(Default)]
struct StdTransport {
    methods: RefCell<Vec<String>>,
}

impl StdTransport {
    fn take_methods(&self) -> Vec<String> {
        std::mem::take(&mut self.methods.borrow_mut())
    }
}

impl HttpTransport for StdTransport {
    async fn post(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body: Value = serde_json::from_slice(&request.body).expect("JSON-RPC body");
        self.methods
            .borrow_mut()
            .push(body["method"].as_str().unwrap_or_default().to_owned());
        exchange(&request)
    }
}

fn exchange(request: &HttpRequest) -> Result<HttpResponse, TransportError> {
    let rest = request.url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream =
        TcpStream::connect(authority).map_err(|err| TransportError::Connect(err.to_string()))?;
    let timeout = Duration::from_millis(request.timeout_ms.unwrap_or(30_000));
    stream.set_read_timeout(Some(timeout)).unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        request.body.len()
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let io = |err: std::io::Error| match err.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => TransportError::Timeout,
        _ => TransportError::Other(err.to_string()),
    };
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(&request.body).map_err(io)?;
    // Read only up to the end of the message: SSE replies come with `Connection: keep-alive`.
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let read = stream.read(&mut buffer).map_err(io)?;
        let at_eof = read == 0;
        raw.extend_from_slice(&buffer[..read]);
        if let Some(response) = parse_response(&raw, at_eof) {
            return Ok(response);
        }
        if at_eof {
            return Err(TransportError::Other("incomplete HTTP response".into()));
        }
    }
}

/// The response in `raw`, once all of it has arrived.
fn parse_response(raw: &[u8], at_eof: bool) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let payload = &raw[split + 4..];
    let header = |wanted: &str| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.as_str())
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(payload)?
    } else if let Some(length) = header("content-length") {
        payload.get(..length.parse().ok()?)?.to_vec()
    } else if at_eof {
        payload.to_vec()
    } else {
        return None;
    };
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut payload: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = payload.windows(2).position(|window| window == b"\r\n")?;
        let size_text = std::str::from_utf8(&payload[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        payload = &payload[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(payload.get(..size)?);
        payload = payload.get(size + 2..)?;
    }
}

fn config(port: u16) -> UpstreamConfig {
    UpstreamConfig {
        url: format!("http://127.0.0.1:{port}/mcp"),
        extra_headers: vec![],
        client_info: Implementation::new("mcp-proto-tests", "0.1.0"),
        timeout_ms: Some(30_000),
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn spawn_and_wait(command: &mut Command, port: u16) -> ChildGuard {
    let child = ChildGuard::spawn(command.stdout(Stdio::null()).stderr(Stdio::null()));
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    assert!(
        wait_for_port(addr, Duration::from_secs(60)),
        "server on {addr} did not start"
    );
    child
}

fn server_everything(port: u16) -> ChildGuard {
    let script: PathBuf =
        node_modules().join("@modelcontextprotocol/server-everything/dist/index.js");
    spawn_and_wait(
        Command::new("node")
            .arg(script)
            .arg("streamableHttp")
            .env("PORT", port.to_string()),
        port,
    )
}

fn first_text(result: &CallToolResult) -> &str {
    match result.content.first() {
        Some(ContentBlock::Text { text, .. }) => text,
        other => panic!("expected a text block, got {other:?}"),
    }
}

#[tokio::test]
async fn handshake_era_server_everything_reuses_its_session_and_survives_a_restart() {
    let port = free_port();
    let server = server_everything(port);
    let transport = StdTransport::default();
    let store = MemoryStore::default();

    let first = UpstreamClient::new(config(port), &transport, &store, now_ms());
    let description = first.discover().await.unwrap();
    assert_eq!(description.era, Era::Handshake);
    assert_eq!(description.protocol_version, "2025-11-25");
    let tools = first.list_tools().await.unwrap();
    assert!(tools.tools.iter().any(|tool| tool.name == "echo"));
    assert_eq!(
        transport.take_methods(),
        vec![
            "server/discover",
            "initialize",
            "notifications/initialized",
            "tools/list"
        ]
    );

    // A later request (a fresh instance in Spin) reuses the stored session: one request.
    let later = UpstreamClient::new(config(port), &transport, &store, now_ms());
    let result = later
        .call_tool("echo", json!({"message": "hello"}))
        .await
        .unwrap();
    assert_eq!(first_text(&result), "Echo: hello");
    assert_eq!(later.http_requests(), 1);
    assert_eq!(transport.take_methods(), vec!["tools/call"]);

    // The restarted server no longer knows the session: the client re-initializes once.
    drop(server);
    let _restarted = server_everything(port);
    let after = UpstreamClient::new(config(port), &transport, &store, now_ms());
    let result = after
        .call_tool("echo", json!({"message": "again"}))
        .await
        .unwrap();
    assert_eq!(first_text(&result), "Echo: again");
    assert_eq!(
        transport.take_methods(),
        vec![
            "tools/call",
            "initialize",
            "notifications/initialized",
            "tools/call"
        ]
    );
}

#[tokio::test]
async fn modern_era_python_server_is_used_without_initialize() {
    let port = free_port();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/modern_server.py");
    let _server = spawn_and_wait(
        Command::new(python()).arg(script).arg(port.to_string()),
        port,
    );
    let transport = StdTransport::default();
    let store = MemoryStore::default();

    let first = UpstreamClient::new(config(port), &transport, &store, now_ms());
    let description = first.discover().await.unwrap();
    assert_eq!(description.era, Era::Modern);
    assert_eq!(description.protocol_version, "2026-07-28");
    assert_eq!(description.server_info.unwrap().name, "modern-peer");
    let tools = first.list_tools().await.unwrap();
    let names: Vec<_> = tools.tools.iter().map(|tool| tool.name.as_str()).collect();
    assert_eq!(names, vec!["echo"]);
    assert_eq!(
        transport.take_methods(),
        vec!["server/discover", "tools/list"]
    );

    let later = UpstreamClient::new(config(port), &transport, &store, now_ms());
    let result = later
        .call_tool("echo", json!({"message": "hello"}))
        .await
        .unwrap();
    assert_eq!(first_text(&result), "hello");
    assert_eq!(result.structured_content, Some(json!({"result": "hello"})));
    assert_eq!(result.result_type.as_deref(), Some("complete"));
    assert_eq!(transport.take_methods(), vec!["tools/call"]);
}

#[tokio::test]
async fn a_server_that_is_down_is_unreachable_and_leaves_no_verdict() {
    let port = free_port();
    let transport = StdTransport::default();
    let store = MemoryStore::default();
    let client = UpstreamClient::new(config(port), &transport, &store, now_ms());
    let err = client.list_tools().await.unwrap_err();
    assert!(
        matches!(err, mcp_proto::UpstreamError::Unreachable(_)),
        "{err:?}"
    );
    assert!(store.keys().is_empty());
}
