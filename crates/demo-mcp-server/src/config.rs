//! What one server instance serves and how.

use std::net::{Ipv4Addr, SocketAddr};

/// Default address: the port the demo gateway configuration points at.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 3001);

/// Which protocol era the server accepts, so tests can force either path of a client or gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Era {
    /// 2026-07-28 stateless requests and handshake-era sessions.
    #[default]
    Both,
    /// 2026-07-28 only: `initialize` is refused, GET and DELETE are 405.
    Modern,
    /// Handshake era only: anything outside an `initialize`d session is refused the way a
    /// 2025 server refuses it (400, JSON-RPC -32000 "Server not initialized").
    Legacy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    pub era: Era,
    /// Answer stateless requests with SSE streams instead of JSON bodies.
    /// Handshake-era sessions always answer with SSE (rmcp has no JSON mode for sessions).
    pub sse: bool,
    /// `ttlMs` of `tools/list` results for 2026-07-28 clients (`cacheScope` is `public`).
    pub tools_ttl_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN,
            era: Era::Both,
            sse: false,
            tools_ttl_ms: 0,
        }
    }
}
