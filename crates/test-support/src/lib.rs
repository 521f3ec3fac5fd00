//! Helpers shared by the test suites.
//!
//! `cargo xtask test` provisions the tools and services the suites need and names them in the
//! environment; these accessors read them and fail with a clear message when a suite is run
//! without that provisioning.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// PostgreSQL superuser URL; tests create their own databases in it.
pub const ENV_DATABASE_URL: &str = "DATABASE_URL";
/// Redis URL for tests of shared key-value state.
pub const ENV_REDIS_URL: &str = "REDIS_URL";
/// Python interpreter of the venv built from `tests/requirements.txt`.
pub const ENV_PYTHON: &str = "MCPGW_PYTHON";
/// `node_modules` folder installed from `tests/package.json`.
pub const ENV_NODE_MODULES: &str = "MCPGW_NODE_MODULES";
/// Python interpreter of the venv built from `tests/open_webui/requirements.txt`.
pub const ENV_OPEN_WEBUI_PYTHON: &str = "MCPGW_OPEN_WEBUI_PYTHON";
/// Folder holding the built `.wasm` components (`target/wasm32-wasip2/release`).
pub const ENV_WASM_DIR: &str = "MCPGW_WASM_DIR";
/// The `spin-runner` binary (built by `cargo xtask test`).
pub const ENV_RUNNER: &str = "MCPGW_RUNNER";
/// The `mcp-bridge` binary (built by `cargo xtask test`).
pub const ENV_BRIDGE: &str = "MCPGW_BRIDGE";
/// The bridge's shared secret, in the environment of a bridge whose config reads it as
/// `${MCPGW_BRIDGE_SECRET}` (`bridges/mcp-bridge/demo.json`, the suites' bridges).
pub const ENV_BRIDGE_SECRET: &str = "MCPGW_BRIDGE_SECRET";

fn provisioned(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the suites through `cargo xtask test`, which provisions it")
    })
}

pub fn database_url() -> String {
    provisioned(ENV_DATABASE_URL)
}

pub fn redis_url() -> String {
    provisioned(ENV_REDIS_URL)
}

pub fn python() -> PathBuf {
    PathBuf::from(provisioned(ENV_PYTHON))
}

pub fn node_modules() -> PathBuf {
    PathBuf::from(provisioned(ENV_NODE_MODULES))
}

pub fn open_webui_python() -> PathBuf {
    PathBuf::from(provisioned(ENV_OPEN_WEBUI_PYTHON))
}

/// The executable an npm package installs into `node_modules/.bin`.
pub fn node_bin(name: &str) -> PathBuf {
    node_modules().join(".bin").join(name)
}

pub fn wasm_dir() -> PathBuf {
    PathBuf::from(provisioned(ENV_WASM_DIR))
}

pub fn runner_bin() -> PathBuf {
    PathBuf::from(provisioned(ENV_RUNNER))
}

pub fn bridge_bin() -> PathBuf {
    PathBuf::from(provisioned(ENV_BRIDGE))
}

/// 32 random bytes, hex-encoded: a fresh `gateway_secret` or bridge secret.
pub fn random_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The shared secret of every bridge this test process starts, and the `bridge_secret` of every
/// gateway it starts: random per run, so no secret is written into the tests.
pub fn bridge_secret() -> &'static str {
    static SECRET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SECRET.get_or_init(random_secret)
}

/// The workspace root (the folder holding `spin.toml`).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|dir| dir.join("spin.toml").is_file())
        .expect("spin.toml above test-support")
        .to_path_buf()
}

/// A port that was free a moment ago, for child processes that cannot report the port they bound.
/// Prefer binding port 0 wherever the server can tell its port back.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Waits until something accepts TCP connections on `addr`.
pub fn wait_for_port(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

/// A child process killed and reaped when dropped, so a failing test leaves nothing behind.
pub struct ChildGuard(pub Child);

impl ChildGuard {
    pub fn spawn(command: &mut Command) -> Self {
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("spawn {command:?}: {err}"));
        Self(child)
    }

    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `spin-runner up` (or any Spin-like) process: its address from the `Serving http://ADDR`
/// line Spin prints, and its stderr collected for assertions and failure messages.
pub struct RunnerProcess {
    pub base: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
    _child: ChildGuard,
}

impl RunnerProcess {
    /// Spawns `command` (its stdout and stderr are piped here) and waits until it serves;
    /// `Err(stderr)` when it exits instead.
    pub fn start(command: &mut Command) -> Result<Self, String> {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;

        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = ChildGuard::spawn(command);
        let stdout = child.0.stdout.take().expect("piped stdout");
        let stderr = child.0.stderr.take().expect("piped stderr");
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().expect("log lock");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
        let base = lines
            .by_ref()
            .find_map(|line| line.strip_prefix("Serving ").map(|b| b.trim().to_string()));
        match base {
            Some(base) => {
                // Keep reading stdout so the process never writes into a closed pipe.
                std::thread::spawn(move || lines.for_each(drop));
                Ok(Self {
                    base,
                    log,
                    _child: child,
                })
            }
            None => {
                let _ = child.0.wait();
                let _ = reader.join();
                let log = log.lock().expect("log lock").clone();
                Err(log)
            }
        }
    }

    /// Everything the process wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }
}

/// Validates an OpenAPI 3.1 document (JSON text) with PyPI's `openapi-spec-validator`;
/// `Err` holds its report. `name` keeps concurrent tests' temporary files apart.
pub fn validate_openapi(name: &str, document: &str) -> Result<(), String> {
    let file = std::env::temp_dir().join(format!("openapi-{}-{name}.json", std::process::id()));
    std::fs::write(&file, document).expect("write the document");
    let output = Command::new(python())
        .args(["-m", "openapi_spec_validator", "--schema", "3.1"])
        .arg(&file)
        .output()
        .expect("run openapi_spec_validator");
    let _ = std::fs::remove_file(&file);
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
