//! The upstream MCP server of this route, through mcp-proto's client.

use gateway_core::GatewayError;
use mcp_proto::types::Implementation;
use mcp_proto::upstream::{UpstreamClient, UpstreamConfig, UpstreamError};

use crate::clock;
use crate::settings::Settings;
use crate::spin_io::{KvState, SpinTransport};

pub struct Upstream {
    transport: SpinTransport,
    store: KvState,
    config: UpstreamConfig,
}

impl Upstream {
    pub fn new(settings: &Settings) -> Result<Self, GatewayError> {
        Ok(Self {
            transport: SpinTransport,
            store: KvState::open(),
            config: UpstreamConfig {
                url: settings.upstream_url.clone(),
                extra_headers: settings.credential_headers()?,
                client_info: Implementation::new("mcp-gateway", env!("CARGO_PKG_VERSION")),
                timeout_ms: Some(settings.timeout.as_millis() as u64),
            },
        })
    }

    pub fn client(&self) -> UpstreamClient<'_, SpinTransport, KvState> {
        UpstreamClient::new(
            self.config.clone(),
            &self.transport,
            &self.store,
            clock::now_ms(),
        )
    }
}

/// An upstream failure as the caller sees it; the details go to the log.
pub fn gateway_error(server: &str, error: UpstreamError) -> GatewayError {
    eprintln!("upstream {server}: {error}");
    GatewayError::from(error)
}
