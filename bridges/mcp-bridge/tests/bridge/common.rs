//! Runs the real `mcp-bridge` binary against real MCP servers and drives it with the official
//! Python SDK client (`tests/clients/bridge_client.py`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use test_support::ChildGuard;

/// Both protocol eras of the Python SDK client: the `initialize` handshake, and its default
/// (`auto`: `server/discover`, then 2026-07-28 stateless requests).
pub const MODES: [&str; 2] = ["legacy", "auto"];

/// Guard against hangs only: nothing here should take more than a few seconds.
const HANG_GUARD: Duration = Duration::from_secs(90);

pub fn everything_entry_point() -> PathBuf {
    test_support::node_modules().join("@modelcontextprotocol/server-everything/dist/index.js")
}

/// `@modelcontextprotocol/server-everything` over stdio.
pub fn everything_stdio() -> Value {
    json!({"command": "node", "args": [everything_entry_point(), "stdio"]})
}

/// `mcp-server-time` from PyPI over stdio.
pub fn time_stdio() -> Value {
    json!({"command": test_support::python(), "args": ["-m", "mcp_server_time"]})
}

/// A fresh scratch folder for one test.
pub fn scratch_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mcp-bridge-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

pub struct Bridge {
    process: ChildGuard,
    pub addr: SocketAddr,
    log: PathBuf,
    http: reqwest::Client,
}

impl Bridge {
    /// Starts the bridge on a free port with `config` and waits until it listens.
    pub fn start(config: Value) -> Self {
        Self::start_with_env(config, &[])
    }

    /// Starts the bridge with extra variables in its environment. Unless `config` sets its own
    /// access, it requires this process's secret ([`test_support::bridge_secret`]), as shipped.
    pub fn start_with_env(mut config: Value, env: &[(&str, &str)]) -> Self {
        let bridge = &mut config["bridge"];
        if bridge.is_null() {
            *bridge = json!({});
        }
        let bridge = bridge.as_object_mut().expect("`bridge` is an object");
        if !bridge.contains_key("allowUnauthenticated") {
            bridge
                .entry("sharedSecret")
                .or_insert_with(|| json!(format!("${{{}}}", test_support::ENV_BRIDGE_SECRET)));
        }
        let config_path = scratch_dir().join("bridge.json");
        std::fs::write(&config_path, config.to_string()).expect("write config");
        Self::launch(&config_path, env)
    }

    /// Starts the bridge with a config file as an operator would (`${MCPGW_BRIDGE_SECRET}` is
    /// this process's secret).
    pub fn start_with_file(config_path: &Path) -> Self {
        Self::launch(config_path, &[])
    }

    fn launch(config_path: &Path, env: &[(&str, &str)]) -> Self {
        let dir = scratch_dir();
        let port_file = dir.join("addr");
        let log = dir.join("bridge.log");
        let process = ChildGuard::spawn(
            Command::new(env!("CARGO_BIN_EXE_mcp-bridge"))
                .arg("--config")
                .arg(config_path)
                .args(["--listen", "127.0.0.1:0", "--port-file"])
                .arg(&port_file)
                .env(
                    test_support::ENV_BRIDGE_SECRET,
                    test_support::bridge_secret(),
                )
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("create log")),
        );
        let addr = wait_for_file(&port_file, &log)
            .parse()
            .expect("the port file holds an address");
        Self {
            process,
            addr,
            log,
            http: reqwest::Client::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Waits for the bridge to exit on its own.
    pub fn wait_for_exit(&mut self, guard: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + guard;
        loop {
            if let Some(status) = self.process.0.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the bridge did not exit:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn mcp_url(&self, server: &str) -> String {
        self.url(&format!("/{server}/mcp"))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET path` with the shared secret.
    pub async fn get(&self, path: &str) -> (u16, String) {
        self.get_as(path, Some(test_support::bridge_secret())).await
    }

    /// `GET path` presenting `secret` (or none) in `X-Bridge-Secret`.
    pub async fn get_as(&self, path: &str, secret: Option<&str>) -> (u16, String) {
        let mut request = self.http.get(self.url(path));
        if let Some(secret) = secret {
            request = request.header(mcp_bridge::SECRET_HEADER, secret);
        }
        let response = request.send().await.expect("GET");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn readyz(&self) -> (u16, Value) {
        let (status, body) = self.get("/readyz").await;
        (status, serde_json::from_str(&body).expect("readyz is JSON"))
    }

    /// Polls `/readyz` until `done` holds for the named server's status.
    pub async fn wait_for_server(
        &self,
        server: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let (_, ready) = self.readyz().await;
            let status = &ready["servers"][server];
            if done(status) {
                return status.clone();
            }
            assert!(
                Instant::now() < deadline,
                "{server} never became {what}: {status}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The value of one Prometheus series, if present.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let (_, text) = self.get("/metrics").await;
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
    }

    /// A raw 2026-07-28 `tools/list` POST with the shared secret, for the HTTP-level checks the
    /// SDK cannot make.
    pub async fn post_tools_list(&self, server: &str, padding: usize) -> (u16, String) {
        self.post_tools_list_as(server, Some(test_support::bridge_secret()), padding)
            .await
    }

    /// [`Self::post_tools_list`] presenting `secret` (or none) in `X-Bridge-Secret`.
    pub async fn post_tools_list_as(
        &self,
        server: &str,
        secret: Option<&str>,
        padding: usize,
    ) -> (u16, String) {
        let body = json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/list",
            "params": {"_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
                "padding": "x".repeat(padding),
            }},
        });
        let mut request = self
            .http
            .post(self.mcp_url(server))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/list")
            .body(body.to_string());
        if let Some(secret) = secret {
            request = request.header(mcp_bridge::SECRET_HEADER, secret);
        }
        let response = request.send().await.expect("POST");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }
}

fn wait_for_file(path: &Path, log: &Path) -> String {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "the bridge never listened:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs one client scenario (see `tests/clients/bridge_client.py`) with the shared secret and
/// returns its JSON output.
pub async fn client(url: &str, mode: &str, scenario: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/bridge_client.py");
    let run = tokio::process::Command::new(test_support::python())
        .arg(script)
        .args([url, mode])
        .args(scenario)
        .env(
            test_support::ENV_BRIDGE_SECRET,
            test_support::bridge_secret(),
        )
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(HANG_GUARD, run)
        .await
        .unwrap_or_else(|_| panic!("client {mode} {scenario:?} hung"))
        .expect("run the python client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "client {mode} {scenario:?} failed: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|err| panic!("client output {stdout:?}: {err}"))
}

/// A process started by a test (an upstream server), killed and reaped when dropped.
pub fn spawn(command: &mut Command) -> ChildGuard {
    ChildGuard::spawn(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
}

/// Sends a signal with the `kill` utility (the workspace forbids `unsafe`, so no libc).
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Whether a process with this id exists (and is not yet reaped).
pub fn is_alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .expect("run kill")
        .success()
}
