//! Starting the server, running the SDK client scripts, and raw MCP requests.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use test_support::ChildGuard;

/// Guards against a hung client; no test relies on it for timing.
const CLIENT_HANG_GUARD: Duration = Duration::from_secs(120);
pub const MODERN: &str = "2026-07-28";

/// The binary, started on a free port; killed when dropped.
pub struct Server {
    _child: ChildGuard,
    _stdout: BufReader<ChildStdout>,
    /// The `listening on ...` line, trimmed.
    pub line: String,
    /// `http://127.0.0.1:PORT/mcp`
    pub url: String,
}

impl Server {
    pub fn start(args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_demo-mcp-server"));
        command
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        let mut child = ChildGuard::spawn(&mut command);
        let mut stdout = BufReader::new(child.0.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the first line");
        let line = line.trim_end().to_owned();
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self {
            _child: child,
            _stdout: stdout,
            line,
            url,
        }
    }

    /// `http://127.0.0.1:PORT` + `path`
    pub fn at(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.url.strip_suffix("/mcp").expect("url ends in /mcp")
        )
    }
}

fn client_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(name)
}

async fn run_json(command: &mut tokio::process::Command) -> Value {
    let output = tokio::time::timeout(CLIENT_HANG_GUARD, command.kill_on_drop(true).output())
        .await
        .expect("client hung")
        .expect("client started");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "client failed: {stderr}");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "client printed no JSON ({err}): {}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Runs `py_client.py` (mcp 2.x) against `url` in `mode`: `legacy`, `auto` or `2026-07-28`.
pub async fn python_client(url: &str, mode: &str) -> Value {
    run_json(
        tokio::process::Command::new(test_support::python())
            .arg(client_script("py_client.py"))
            .args([url, mode]),
    )
    .await
}

/// Runs `ts_v1_client.mjs` (@modelcontextprotocol/sdk 1.x) against `url`; `None` if it failed.
pub async fn typescript_v1_client(url: &str) -> Option<Value> {
    let output = tokio::time::timeout(
        CLIENT_HANG_GUARD,
        tokio::process::Command::new("node")
            .arg(client_script("ts_v1_client.mjs"))
            .arg(test_support::node_modules())
            .arg(url)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("client hung")
    .expect("node started");
    output
        .status
        .success()
        .then(|| serde_json::from_slice(&output.stdout).expect("client printed JSON"))
}

/// POSTs one 2026-07-28 request: `_meta` in the body, version and routing headers.
pub async fn post_modern(url: &str, method: &str, params: Value) -> reqwest::Response {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "e2e", "version": "1"},
    });
    let mut request = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", method);
    if let Some(name) = params.get("name").and_then(Value::as_str) {
        request = request.header("mcp-name", name);
    }
    request
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .expect("POST /mcp")
}

/// POSTs a handshake-era `initialize` at 2025-11-25.
pub async fn post_initialize(url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "e2e", "version": "1"},
            }}),
        )
        .send()
        .await
        .expect("POST /mcp")
}

pub fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub fn tool_names(report: &Value) -> Vec<&str> {
    report["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|tool| tool["name"].as_str().expect("tool name"))
        .collect()
}

pub const ALL_TOOLS: [&str; 9] = [
    "add",
    "echo",
    "fail",
    "get_time",
    "image",
    "lookup",
    "resource",
    "session_info",
    "slow",
];
