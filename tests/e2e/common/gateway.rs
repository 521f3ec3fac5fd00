//! The gateway as production runs it: the real `spin.toml`, the built components, the runner,
//! with each test's upstreams and database named through `SPIN_VARIABLE_*`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use test_support::RunnerProcess;

use super::TempDir;
use super::db::Database;

pub const GATEWAY_SECRET: &str = "e2e-gateway-secret-of-at-least-32-bytes";
/// Set by [`Gateway::start`] to the secret of the bridges this process starts.
pub const BRIDGE_SECRET_VARIABLE: &str = "SPIN_VARIABLE_BRIDGE_SECRET";

pub struct Gateway {
    pub base: String,
    process: RunnerProcess,
    state: TempDir,
}

/// Variables for server `id` whose MCP endpoint is `url` (e.g. `http://127.0.0.1:4000/mcp`).
pub fn upstream(id: &str, url: &str) -> Vec<(String, String)> {
    let parsed = url::Url::parse(url).expect("upstream url");
    let origin = parsed.origin().ascii_serialization();
    let var = |name: &str| format!("SPIN_VARIABLE_{}_{}", id.to_ascii_uppercase(), name);
    vec![
        (var("ORIGIN"), origin),
        (var("PATH"), parsed.path().to_string()),
        (var("TOKEN"), "upstream-test-token".to_string()),
    ]
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?} (HTTP {})", self.body, self.status))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl Gateway {
    /// Starts the gateway of the checkout's `spin.toml` on a free port with `env` (see
    /// [`upstream`]) on top of the database settings.
    pub fn start(db: &Database, env: &[(String, String)]) -> Self {
        Self::start_from(&test_support::workspace_root().join("spin.toml"), db, env)
    }

    /// As [`Gateway::start`], with the application of `manifest` (its components resolve
    /// from the manifest's folder, as in Spin).
    pub fn start_from(manifest: &Path, db: &Database, env: &[(String, String)]) -> Self {
        let root = test_support::workspace_root();
        let state = std::env::temp_dir().join(format!(
            "mcpgw-e2e-state-{}-{}",
            std::process::id(),
            db.url
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .split('?')
                .next()
                .unwrap_or_default()
        ));
        let _ = std::fs::remove_dir_all(&state);
        let mut command = Command::new(test_support::runner_bin());
        command
            .args(["up", "--from"])
            .arg(manifest)
            .args(["--listen", "127.0.0.1:0", "--state-dir"])
            .arg(&state)
            .arg("--cache-dir")
            .arg(root.join("target").join("spin-runner-cache"))
            .env("SPIN_VARIABLE_DATABASE_URL", &db.url)
            .env("SPIN_VARIABLE_DATABASE_HOST", db.host_port())
            .env("SPIN_VARIABLE_GATEWAY_SECRET", GATEWAY_SECRET)
            .env(BRIDGE_SECRET_VARIABLE, test_support::bridge_secret())
            .env("RUST_LOG", "warn")
            .current_dir(&root);
        for (key, value) in env {
            command.env(key, value);
        }
        let process = RunnerProcess::start(&mut command)
            .unwrap_or_else(|log| panic!("the gateway did not start:\n{log}"));
        Self {
            base: process.base.clone(),
            process,
            state: TempDir(state),
        }
    }

    /// The runner's state folder (its key-value store: `sqlite_key_value.db`).
    pub fn state_dir(&self) -> &Path {
        &self.state.0
    }

    pub fn log(&self) -> String {
        self.process.log()
    }

    pub fn get(&self, path: &str, key: Option<&str>) -> Reply {
        self.send(reqwest::Method::GET, path, key, None)
    }

    pub fn post(&self, path: &str, key: Option<&str>, body: &str) -> Reply {
        self.send(reqwest::Method::POST, path, key, Some(body.to_string()))
    }

    pub fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<String>,
    ) -> Reply {
        let mut request = client().request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request
            .send()
            .unwrap_or_else(|e| panic!("request {path}: {e}\n{}", self.log()));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Reply {
            status,
            headers,
            body: response.text().expect("body"),
        }
    }

    /// A raw request line, for paths an HTTP client would normalise.
    pub fn raw(&self, method: &str, path: &str, key: &str) -> u16 {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {key}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
        )
        .expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status line")
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}
