//! One upstream MCP server, stdio or legacy SSE: the bridge's client connection to it, kept up
//! by a supervisor task that reconnects (respawns) with exponential backoff.
//!
//! All downstream requests share one connection: the rmcp client gives every forwarded request
//! its own JSON-RPC id and progress token, so they are multiplexed over one process or stream.

mod progress;
mod sse;
mod stdio;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ServerPeerInfo};
use rmcp::service::{Peer, RoleClient, RunningService};
use rmcp::transport::Transport;
use rmcp::transport::async_rw::AsyncRwTransport;
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use progress::ProgressTap;
pub use progress::{PROGRESS_BUFFER, ProgressRoutes};
use sse::SseTransport;
use stdio::StdioChild;

use crate::config::{ServerConfig, StartMode, TransportConfig};
use crate::metrics::Metrics;

/// A connection that stayed up this long resets the backoff to its initial delay.
const STABLE_AFTER: Duration = Duration::from_secs(10);
/// Idle keep-alive connections to an SSE server are dropped before Node's default 5 s server
/// timeout, so a POST never goes out on a connection the server is closing.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("invalid sse settings: {0}")]
    Settings(#[from] sse::SseError),
    #[error("upstream {server} is not ready: {reason}")]
    NotReady { server: String, reason: String },
}

/// What `/readyz` reports about a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Lazy server not used yet.
    Idle,
    Starting,
    Ready,
    /// Down, waiting before the next attempt.
    Backoff,
    Stopped,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub transport: &'static str,
    pub start: StartMode,
    pub state: Phase,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    pub restarts: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Clone)]
struct Link {
    status: Status,
    peer: Option<Peer<RoleClient>>,
}

pub struct Upstream {
    config: ServerConfig,
    backoff: (Duration, Duration),
    http: reqwest::Client,
    sse_headers: reqwest::header::HeaderMap,
    metrics: Arc<Metrics>,
    progress: ProgressRoutes,
    link: watch::Sender<Link>,
    started: AtomicBool,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl Upstream {
    pub fn new(
        config: ServerConfig,
        backoff: (Duration, Duration),
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
        tasks: TaskTracker,
    ) -> Result<Arc<Self>, UpstreamError> {
        let (transport, sse_headers) = match &config.transport {
            TransportConfig::Stdio(_) => ("stdio", Default::default()),
            TransportConfig::Sse(sse) => ("sse", sse::header_map(sse)?),
        };
        let status = Status {
            transport,
            start: config.start,
            state: Phase::Idle,
            pid: None,
            restarts: 0,
            last_error: None,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build()
            .expect("the HTTP client has a valid configuration");
        let upstream = Arc::new(Self {
            config,
            backoff,
            http,
            sse_headers,
            metrics,
            progress: ProgressRoutes::default(),
            link: watch::Sender::new(Link { status, peer: None }),
            started: AtomicBool::new(false),
            shutdown,
            tasks,
        });
        if upstream.config.start == StartMode::Boot {
            upstream.ensure_started();
        }
        Ok(upstream)
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    pub fn progress_routes(&self) -> &ProgressRoutes {
        &self.progress
    }

    pub fn status(&self) -> Status {
        self.link.borrow().status.clone()
    }

    /// What the upstream said about itself in its last handshake.
    pub fn peer_info(&self) -> Option<Arc<ServerPeerInfo>> {
        self.link.borrow().peer.as_ref().and_then(Peer::peer_info)
    }

    /// The live connection. A lazy server is started; a server that is starting is waited for
    /// (up to `wait`); a server known to be down (backing off) fails at once rather than holding
    /// the caller for its whole timeout.
    pub async fn peer(self: &Arc<Self>, wait: Duration) -> Result<Peer<RoleClient>, UpstreamError> {
        self.ensure_started();
        let mut link = self.link.subscribe();
        let settled = link.wait_for(|link| {
            link.peer.is_some() || matches!(link.status.state, Phase::Backoff | Phase::Stopped)
        });
        if let Ok(Ok(link)) = tokio::time::timeout(wait, settled).await
            && let Some(peer) = &link.peer
        {
            return Ok(peer.clone());
        }
        let status = self.status();
        Err(UpstreamError::NotReady {
            server: self.config.name.clone(),
            reason: match status.state {
                Phase::Backoff => status.last_error.unwrap_or_default(),
                state => format!("{state:?} after {} ms", wait.as_millis()).to_lowercase(),
            },
        })
    }

    fn ensure_started(self: &Arc<Self>) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let upstream = Arc::clone(self);
        self.tasks.spawn(async move { upstream.supervise().await });
    }

    fn update(&self, change: impl FnOnce(&mut Link)) {
        self.link.send_modify(change);
    }

    async fn supervise(self: Arc<Self>) {
        let name = self.config.name.clone();
        let (initial, max) = self.backoff;
        let mut delay = initial;
        let mut connected_before = false;
        while !self.shutdown.is_cancelled() {
            self.update(|link| link.status.state = Phase::Starting);
            let attempt = tokio::select! {
                attempt = tokio::time::timeout(self.config.connect_timeout, self.connect()) => attempt,
                () = self.shutdown.cancelled() => break,
            };
            let error = match attempt {
                Ok(Ok(connection)) => {
                    if connected_before {
                        self.metrics.record_restart(&name);
                        self.update(|link| link.status.restarts += 1);
                    }
                    connected_before = true;
                    let up_since = Instant::now();
                    let ended = self.serve(connection).await;
                    if up_since.elapsed() >= STABLE_AFTER {
                        delay = initial;
                    }
                    match ended {
                        Some(reason) => reason,
                        None => break,
                    }
                }
                Ok(Err(error)) => error,
                Err(_) => format!(
                    "no handshake within {} ms",
                    self.config.connect_timeout.as_millis()
                ),
            };
            tracing::warn!(server = %name, error = %error, retry_in_ms = delay.as_millis() as u64, "upstream down");
            self.update(|link| {
                link.status.state = Phase::Backoff;
                link.status.last_error = Some(error);
            });
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.shutdown.cancelled() => break,
            }
            delay = (delay * 2).min(max);
        }
        self.update(|link| {
            link.peer = None;
            link.status.state = Phase::Stopped;
            link.status.pid = None;
        });
    }

    /// Spawns or connects, then does the MCP handshake.
    async fn connect(&self) -> Result<Connection, String> {
        match &self.config.transport {
            TransportConfig::Stdio(stdio) => {
                let (child, pipes) = StdioChild::spawn(&self.config.name, stdio)
                    .map_err(|err| format!("cannot start {:?}: {err}", stdio.command))?;
                let pid = child.pid();
                let transport = AsyncRwTransport::new_client(pipes.stdout, pipes.stdin);
                match self.handshake(transport).await {
                    Ok(service) => Ok(Connection {
                        service,
                        child: Some(child),
                        pid,
                    }),
                    Err(err) => {
                        child.stop(&self.config.name).await;
                        Err(err)
                    }
                }
            }
            TransportConfig::Sse(sse) => {
                let transport =
                    SseTransport::connect(self.http.clone(), &sse.url, self.sse_headers.clone())
                        .await
                        .map_err(|err| err.to_string())?;
                Ok(Connection {
                    service: self.handshake(transport).await?,
                    child: None,
                    pid: None,
                })
            }
        }
    }

    /// The `initialize` handshake: every stdio and legacy SSE server speaks it.
    async fn handshake<T: Transport<RoleClient> + 'static>(
        &self,
        transport: T,
    ) -> Result<RunningService<RoleClient, ClientConfig>, String> {
        let identity = ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("mcp-bridge", env!("CARGO_PKG_VERSION")),
        );
        rmcp::serve_client(identity, ProgressTap::new(transport, self.progress.clone()))
            .await
            .map_err(|err| format!("handshake failed: {err}"))
    }

    /// Publishes the connection until it ends; `None` when the bridge is shutting down.
    async fn serve(&self, connection: Connection) -> Option<String> {
        let Connection {
            service,
            child,
            pid,
        } = connection;
        let name = &self.config.name;
        tracing::info!(server = %name, pid, "upstream ready");
        self.update(|link| {
            link.peer = Some(service.peer().clone());
            link.status.state = Phase::Ready;
            link.status.pid = pid;
        });
        let cancel = service.cancellation_token();
        let reason = tokio::select! {
            quit = service.waiting() => Some(match quit {
                Ok(reason) => format!("connection closed ({reason:?})"),
                Err(err) => format!("connection task failed: {err}"),
            }),
            () = self.shutdown.cancelled() => {
                cancel.cancel();
                None
            }
        };
        // Requests started after this point wait for the next connection; those in flight
        // already failed when the service dropped their responders.
        self.update(|link| {
            link.peer = None;
            link.status.pid = None;
        });
        if let Some(child) = child {
            child.stop(name).await;
        }
        reason
    }
}

struct Connection {
    service: RunningService<RoleClient, ClientConfig>,
    child: Option<StdioChild>,
    pid: Option<u32>,
}
