//! Real MCP peers: the workspace's rmcp demo server (both eras, embedded), the reference
//! server-everything (npm, handshake era) and a Python SDK server (modern era).

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use demo_mcp_server::{Config, Era};
use test_support::ChildGuard;

use super::rt;

pub struct Demo {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Demo {
    pub fn start(era: Era, sse: bool) -> Self {
        Self::with_tools_ttl(era, sse, 0)
    }

    /// A server whose 2026-07-28 `tools/list` results say `ttlMs: tools_ttl_ms` (0: unset).
    pub fn with_tools_ttl(era: Era, sse: bool, tools_ttl_ms: u64) -> Self {
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            era,
            sse,
            tools_ttl_ms,
        };
        let (addr, task) = rt()
            .block_on(demo_mcp_server::serve(config))
            .expect("demo server");
        Self { addr, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// Requests the server received, by JSON-RPC method (and `total` HTTP requests).
    pub fn stats(&self) -> serde_json::Value {
        reqwest::blocking::get(format!("http://{}/stats", self.addr))
            .expect("stats")
            .json()
            .expect("stats JSON")
    }

    pub fn reset_stats(&self) {
        reqwest::blocking::Client::new()
            .post(format!("http://{}/stats/reset", self.addr))
            .send()
            .expect("reset");
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `@modelcontextprotocol/server-everything` over Streamable HTTP (handshake era only).
pub struct Everything {
    pub port: u16,
    _child: ChildGuard,
}

impl Everything {
    pub fn start_on(port: u16) -> Self {
        let entry = test_support::node_modules()
            .join("@modelcontextprotocol/server-everything/dist/index.js");
        let child = ChildGuard::spawn(
            Command::new("node")
                .arg(entry)
                .arg("streamableHttp")
                .env("PORT", port.to_string())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null()),
        );
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        assert!(
            test_support::wait_for_port(addr, Duration::from_secs(30)),
            "server-everything did not start"
        );
        Self {
            port,
            _child: child,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }
}

/// A stateless 2026-07-28 server made with the official Python SDK (mcp 2.x).
pub struct PythonModern {
    pub port: u16,
    _child: ChildGuard,
}

impl PythonModern {
    pub fn start() -> Self {
        let port = test_support::free_port();
        let script =
            test_support::workspace_root().join("crates/mcp-proto/tests/peers/modern_server.py");
        let child = ChildGuard::spawn(
            Command::new(test_support::python())
                .arg(script)
                .arg(port.to_string())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null()),
        );
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        assert!(
            test_support::wait_for_port(addr, Duration::from_secs(30)),
            "python server did not start"
        );
        Self {
            port,
            _child: child,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }
}
