//! Starts `spin-runner up` on a generated manifest whose components are the probe component,
//! and speaks HTTP to it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use test_support::RunnerProcess;

pub const PROBE_WASM: &str = "runner_probe.wasm";

pub fn probe_wasm() -> PathBuf {
    test_support::wasm_dir().join(PROBE_WASM)
}

/// A fresh folder for one test's manifest and state.
pub fn app_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spin-runner-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create app dir");
    dir
}

/// Writes `spin.toml` into `dir`; `PROBE` in the text stands for the probe component's path.
pub fn write_manifest(dir: &Path, text: &str) {
    let text = text.replace("PROBE", &probe_wasm().display().to_string());
    std::fs::write(dir.join("spin.toml"), text).expect("write manifest");
}

fn cache_dir() -> PathBuf {
    test_support::workspace_root()
        .join("target")
        .join("spin-runner-cache")
}

pub struct Runner {
    pub base: String,
    process: RunnerProcess,
}

/// Starts the runner on `dir/spin.toml`; `Err(stderr)` when it exits instead of serving.
pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Runner, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spin-runner"));
    command
        .args(["up", "--from"])
        .arg(dir.join("spin.toml"))
        .args(["--listen", "127.0.0.1:0", "--cache-dir"])
        .arg(cache_dir())
        .args(args)
        .env("RUST_LOG", "info");
    for (key, value) in env {
        command.env(key, value);
    }
    let process = RunnerProcess::start(&mut command)?;
    Ok(Runner {
        base: process.base.clone(),
        process,
    })
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Runner {
    pub fn get(&self, path: &str) -> Reply {
        let response = client()
            .get(format!("{}{path}", self.base))
            .send()
            .expect("request");
        reply(response)
    }

    pub fn get_with_host(&self, path: &str, host: &str) -> Reply {
        let response = client()
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::HOST, host)
            .send()
            .expect("request");
        reply(response)
    }

    pub fn post(&self, path: &str, body: Vec<u8>) -> Reply {
        let response = client()
            .post(format!("{}{path}", self.base))
            .body(body)
            .send()
            .expect("request");
        reply(response)
    }

    pub fn addr(&self) -> SocketAddr {
        self.base
            .trim_start_matches("http://")
            .parse()
            .expect("addr")
    }

    pub fn log(&self) -> String {
        self.process.log()
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

fn reply(response: reqwest::blocking::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

/// A plain HTTP server on port 0 that answers every request with `body`.
pub fn static_server(body: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}
