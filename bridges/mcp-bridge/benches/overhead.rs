//! Bridge overhead: `tools/call echo` on `@modelcontextprotocol/server-everything` (stdio), once
//! through the bridge (2026-07-28 stateless POSTs, as the gateway sends them) and once directly
//! over the child's stdio with an rmcp client. Prints p50/p99 per call and calls/s at 1 and 16
//! concurrent clients, measured in one run.
//!
//! `MCPGW_NODE_MODULES=target/tools/node/node_modules cargo bench -p mcp-bridge --bench overhead`

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::CallToolRequestParams;
use rmcp::service::{Peer, RoleClient};
use serde_json::json;
use test_support::ChildGuard;

const CALLS: usize = 4000;
const WARMUP: usize = 300;
const CONCURRENCY: [usize; 2] = [1, 16];

fn everything() -> PathBuf {
    test_support::node_modules().join("@modelcontextprotocol/server-everything/dist/index.js")
}

/// One way of making an `echo` call.
#[derive(Clone)]
enum Caller {
    Direct(Peer<RoleClient>),
    Bridge { http: reqwest::Client, url: String },
}

impl Caller {
    async fn echo(&self, message: &str) {
        match self {
            Caller::Direct(peer) => {
                let arguments = json!({ "message": message });
                let params = CallToolRequestParams::new("echo")
                    .with_arguments(arguments.as_object().unwrap().clone());
                let result = peer.call_tool(params).await.expect("direct call");
                assert_ne!(result.is_error, Some(true));
            }
            Caller::Bridge { http, url } => {
                let body = json!({
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "tools/call",
                    "params": {
                        "name": "echo",
                        "arguments": { "message": message },
                        "_meta": {
                            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                            "io.modelcontextprotocol/clientCapabilities": {}
                        }
                    }
                });
                let response = http
                    .post(url)
                    .header("content-type", "application/json")
                    .header("accept", "application/json, text/event-stream")
                    .header("mcp-protocol-version", "2026-07-28")
                    .header("mcp-method", "tools/call")
                    .header("mcp-name", "echo")
                    .body(body.to_string())
                    .send()
                    .await
                    .expect("bridge call");
                assert!(response.status().is_success(), "{}", response.status());
                let text = response.text().await.expect("body");
                assert!(text.contains(&format!("Echo: {message}")), "{text}");
            }
        }
    }
}

struct Stats {
    p50: Duration,
    p99: Duration,
    calls_per_second: f64,
}

async fn measure(caller: &Caller, concurrency: usize) -> Stats {
    for index in 0..WARMUP {
        caller.echo(&format!("warmup-{index}")).await;
    }
    let per_client = CALLS / concurrency;
    let started = Instant::now();
    let clients: Vec<_> = (0..concurrency)
        .map(|client| {
            let caller = caller.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for call in 0..per_client {
                    let begun = Instant::now();
                    caller.echo(&format!("c{client}-{call}")).await;
                    latencies.push(begun.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(CALLS);
    for client in clients {
        latencies.extend(client.await.expect("client task"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |quantile: f64| {
        latencies[((latencies.len() as f64 * quantile) as usize).min(latencies.len() - 1)]
    };
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        calls_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
    }
}

async fn direct() -> (Caller, rmcp::service::RunningService<RoleClient, ()>) {
    let mut child = tokio::process::Command::new("node")
        .arg(everything())
        .arg("stdio")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn server-everything");
    let transport = (child.stdout.take().unwrap(), child.stdin.take().unwrap());
    let service = rmcp::serve_client((), transport).await.expect("handshake");
    // The child is killed when the transport closes at the end of the run.
    tokio::spawn(async move { child.wait().await });
    (Caller::Direct(service.peer().clone()), service)
}

fn bridge() -> (Caller, ChildGuard) {
    let dir = std::env::temp_dir().join(format!("mcp-bridge-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bridge.json");
    let port_file = dir.join("addr");
    let _ = std::fs::remove_file(&port_file);
    let settings = json!({
        "bridge": {"maxConcurrentRequests": 1024, "sharedSecret": "${MCPGW_BRIDGE_SECRET}"},
        "mcpServers": {"everything": {"command": "node", "args": [everything(), "stdio"]}}
    });
    std::fs::write(&config, settings.to_string()).unwrap();
    let process = ChildGuard::spawn(
        Command::new(env!("CARGO_BIN_EXE_mcp-bridge"))
            .arg("--config")
            .arg(&config)
            .args(["--listen", "127.0.0.1:0", "--port-file"])
            .arg(&port_file)
            .env("RUST_LOG", "warn")
            .env(
                test_support::ENV_BRIDGE_SECRET,
                test_support::bridge_secret(),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        if let Ok(addr) = std::fs::read_to_string(&port_file) {
            break addr;
        }
        assert!(Instant::now() < deadline, "the bridge did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    // The secret on every call, as the gateway sends it.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        mcp_bridge::SECRET_HEADER,
        test_support::bridge_secret()
            .parse()
            .expect("a header value"),
    );
    let caller = Caller::Bridge {
        http: reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("HTTP client"),
        url: format!("http://{addr}/everything/mcp"),
    };
    (caller, process)
}

fn micros(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let (direct_caller, _service) = direct().await;
    let (bridge_caller, _bridge) = bridge();
    let callers = Arc::new([
        ("direct stdio", direct_caller),
        ("via bridge", bridge_caller),
    ]);
    println!("tools/call echo on server-everything, {CALLS} calls per row\n");
    println!(
        "{:<14} {:>8} {:>12} {:>12} {:>12}",
        "path", "clients", "p50", "p99", "calls/s"
    );
    for concurrency in CONCURRENCY {
        let mut p50s = Vec::new();
        for (name, caller) in callers.iter() {
            let stats = measure(caller, concurrency).await;
            println!(
                "{name:<14} {concurrency:>8} {:>12} {:>12} {:>12.0}",
                micros(stats.p50),
                micros(stats.p99),
                stats.calls_per_second
            );
            p50s.push(stats.p50);
        }
        println!(
            "{:<14} {concurrency:>8} {:>12}\n",
            "added p50",
            micros(p50s[1].saturating_sub(p50s[0]))
        );
    }
}
