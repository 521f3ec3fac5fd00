//! Runner overhead: a native hyper server answering `hello`, the runner serving the probe
//! component's `/hello`, and a chained call (public probe → private probe over
//! `http://back.spin.internal`), each at 1 and 16 concurrent keep-alive clients, measured in one
//! run on loopback. Prints p50/p99, requests/s and the p50 overhead against native hyper.
//!
//! `cargo build --target wasm32-wasip2 --release -p runner-probe`, then
//! `cargo bench -p spin-runner --bench overhead` (`MCPGW_WASM_DIR` overrides where the probe is
//! read from; `cargo xtask bench` does both).
//!
//! The runner keeps Spin's default of no `TCP_NODELAY` on accepted connections; the client sets
//! it on its own side only.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use test_support::ChildGuard;
use tokio::net::{TcpListener, TcpStream};

const BODY: &str = "hello";
const WARMUP: Duration = Duration::from_secs(2);
const MEASURED: Duration = Duration::from_secs(5);
const CONCURRENCY: [usize; 2] = [1, 16];

const MANIFEST: &str = r#"
spin_manifest_version = 2
[application]
name = "overhead-bench"
[[trigger.http]]
route = "/..."
component = "front"
[[trigger.http]]
route = { private = true }
component = "back"
[component.front]
source = "PROBE"
allowed_outbound_hosts = ["http://back.spin.internal"]
[component.back]
source = "PROBE"
"#;

/// One thing to measure: a server address, the path to GET and what the body must contain.
struct Target {
    name: &'static str,
    addr: SocketAddr,
    path: &'static str,
    expect: &'static str,
}

struct Stats {
    p50: Duration,
    p99: Duration,
    requests_per_second: f64,
}

/// The baseline: hyper 1.x on its own runtime, answering `hello` with a content-length.
fn native_server() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind native server");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("native server addr");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("native server runtime");
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let service = service_fn(|_request: Request<hyper::body::Incoming>| async {
                        Ok::<_, std::convert::Infallible>(Response::new(Full::new(
                            Bytes::from_static(BODY.as_bytes()),
                        )))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    addr
}

fn probe_wasm() -> PathBuf {
    let dir = std::env::var_os(test_support::ENV_WASM_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            test_support::workspace_root()
                .join("target")
                .join("wasm32-wasip2")
                .join("release")
        });
    let wasm = dir.join("runner_probe.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run `cargo build --target wasm32-wasip2 --release -p runner-probe` \
         (or `cargo xtask bench`)",
        wasm.display()
    );
    wasm
}

/// Starts the release runner (cargo builds it for the bench) on the two-probe manifest.
fn runner() -> (SocketAddr, ChildGuard) {
    let dir = std::env::temp_dir().join(format!("spin-runner-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create app dir");
    let manifest = dir.join("spin.toml");
    let text = MANIFEST.replace("PROBE", &probe_wasm().display().to_string());
    std::fs::write(&manifest, text).expect("write manifest");
    let cache = test_support::workspace_root()
        .join("target")
        .join("spin-runner-cache");
    let mut child = ChildGuard::spawn(
        Command::new(env!("CARGO_BIN_EXE_spin-runner"))
            .args(["up", "--from"])
            .arg(&manifest)
            .args(["--listen", "127.0.0.1:0", "--cache-dir"])
            .arg(&cache)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    );
    let stdout = child.0.stdout.take().expect("runner stdout");
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let addr = lines
        .by_ref()
        .find_map(|line| {
            line.strip_prefix("Serving http://")
                .map(|addr| addr.trim().parse().expect("runner address"))
        })
        .expect("the runner exited instead of serving");
    // Keep reading stdout so the runner never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (addr, child)
}

/// One keep-alive client: GETs `target.path` back to back until `end`, recording the latency
/// of each request begun after `measured_from`.
async fn client(target: &Target, measured_from: Instant, end: Instant) -> Vec<Duration> {
    let stream = TcpStream::connect(target.addr).await.expect("connect");
    stream.set_nodelay(true).expect("client TCP_NODELAY");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let host = target.addr.to_string();
    let mut latencies = Vec::new();
    loop {
        let begun = Instant::now();
        if begun >= end {
            return latencies;
        }
        let request = Request::get(target.path)
            .header(hyper::header::HOST, &host)
            .body(Empty::<Bytes>::new())
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = String::from_utf8_lossy(&body);
        assert!(
            status.is_success() && body.contains(target.expect),
            "{}: {status} {body}",
            target.name
        );
        if begun >= measured_from {
            latencies.push(begun.elapsed());
        }
    }
}

async fn measure(target: &'static Target, concurrency: usize) -> Stats {
    let measured_from = Instant::now() + WARMUP;
    let end = measured_from + MEASURED;
    let clients: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(client(target, measured_from, end)))
        .collect();
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.expect("client task"));
    }
    let window = measured_from.elapsed();
    latencies.sort();
    let at = |quantile: f64| {
        latencies[((latencies.len() as f64 * quantile) as usize).min(latencies.len() - 1)]
    };
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        requests_per_second: latencies.len() as f64 / window.as_secs_f64(),
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let native = native_server();
    let (runner, _runner) = runner();
    let targets: &'static [Target] = Box::leak(Box::new([
        Target {
            name: "native hyper",
            addr: native,
            path: "/hello",
            expect: BODY,
        },
        Target {
            name: "runner, trivial",
            addr: runner,
            path: "/hello",
            expect: BODY,
        },
        Target {
            name: "runner, chained",
            addr: runner,
            path: "/outbound?url=http://back.spin.internal/hello",
            expect: r#""body":"hello""#,
        },
    ]));
    println!(
        "GET on loopback, keep-alive clients; {}s warm-up + {}s measured per row\n",
        WARMUP.as_secs(),
        MEASURED.as_secs()
    );
    println!(
        "{:<16} {:>7} {:>10} {:>10} {:>10} {:>14} {:>8}",
        "target", "clients", "p50 ms", "p99 ms", "req/s", "p50 +ms/native", "p50 ×"
    );
    for concurrency in CONCURRENCY {
        let mut native_p50 = None;
        for target in targets {
            let stats = measure(target, concurrency).await;
            let baseline = *native_p50.get_or_insert(stats.p50);
            println!(
                "{:<16} {concurrency:>7} {:>10.3} {:>10.3} {:>10.0} {:>14.3} {:>8.1}",
                target.name,
                millis(stats.p50),
                millis(stats.p99),
                stats.requests_per_second,
                millis(stats.p50) - millis(baseline),
                stats.p50.as_secs_f64() / baseline.as_secs_f64(),
            );
        }
        println!();
    }
}
