//! Serves stdio and legacy HTTP+SSE MCP servers as MCP Streamable HTTP, in both protocol eras.
//!
//! Each configured server `<name>` is reachable at `/<name>/mcp`, for callers that send the shared
//! secret (`X-Bridge-Secret`). The bridge is an MCP proxy: a client of each upstream (one
//! supervised connection per server, shared by all requests) and a server to the gateway.

pub mod config;
mod http;
mod metrics;
mod proxy;
mod upstream;

use std::future::Future;
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::{Config, ConfigError};
pub use http::SECRET_HEADER;
pub use proxy::{CODE_UPSTREAM_TIMEOUT, CODE_UPSTREAM_UNAVAILABLE};
pub use upstream::UpstreamError;

/// Builds every upstream from `config` (boot-mode servers start connecting at once) and serves
/// HTTP on `listener` until `shutdown` resolves; then stops the upstreams and reaps children.
///
/// Fails before serving when a server's settings are unusable.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let metrics = Arc::new(metrics::Metrics::default());
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    let upstreams = config
        .servers
        .into_iter()
        .map(|server| {
            upstream::Upstream::new(
                server,
                (config.bridge.backoff_initial, config.bridge.backoff_max),
                Arc::clone(&metrics),
                stop.clone(),
                tasks.clone(),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let app = Arc::new(http::App::new(
        &config.bridge,
        upstreams,
        metrics,
        stop.clone(),
    ));
    let stop_on_signal = stop.clone();
    // Responses are often written in several small pieces (headers, SSE events): without
    // TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms to each of them.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::warn!(%error, "could not set TCP_NODELAY");
        }
    });
    let served = axum::serve(listener, app.router())
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down");
            stop_on_signal.cancel();
        })
        .await;
    stop.cancel();
    tasks.close();
    tasks.wait().await;
    served.map_err(ServeError::Io)
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("HTTP server failed: {0}")]
    Io(std::io::Error),
}
