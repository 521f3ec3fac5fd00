//! A small MCP server of both protocol eras, for the demo and the tests.
//!
//! It serves MCP Streamable HTTP at `/mcp`: 2026-07-28 stateless requests and handshake-era
//! sessions (`initialize`, `Mcp-Session-Id`, DELETE), or only one era (see [`Era`]). `GET /stats`
//! counts what reached `/mcp` (`POST /stats/reset` clears it) so tests can prove how many
//! upstream requests a gateway made.

mod catalog;
mod config;
mod era_gate;
mod http_server;
mod png;
mod server;
mod stats;
mod tools;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::{Config, DEFAULT_LISTEN, Era};
pub use http_server::{MCP_PATH, STATS_PATH, STATS_RESET_PATH};
pub use stats::Counts;
pub use tools::{GREETING_TEXT, GREETING_URI};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Binds `config.listen` and serves until the returned task is aborted (or the runtime ends);
/// aborting stops accepting connections, already open ones run to their end.
/// Returns the bound address, whose port is the real one when `config.listen` asked for port 0.
pub async fn serve(config: Config) -> Result<(SocketAddr, JoinHandle<()>), ServeError> {
    let bind_error = |source| ServeError::Bind {
        addr: config.listen,
        source,
    };
    let listener = TcpListener::bind(config.listen).await.map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let app = Arc::new(http_server::App::new(&config));
    tracing::info!(%addr, era = ?config.era, sse = config.sse, "serving MCP");
    Ok((addr, tokio::spawn(http_server::accept_loop(listener, app))))
}
