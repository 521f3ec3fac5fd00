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

/// Maps an upstream failure to the status the caller sees; details stay in the log.
pub fn gateway_error(server: &str, error: UpstreamError) -> GatewayError {
    eprintln!("upstream {server}: {error}");
    match error {
        UpstreamError::Unreachable(why) => GatewayError::UpstreamUnreachable(why),
        UpstreamError::Timeout => GatewayError::UpstreamTimeout,
        UpstreamError::Status { status } => {
            GatewayError::UpstreamGarbage(format!("upstream answered HTTP {status}"))
        }
        UpstreamError::Protocol(why) => GatewayError::UpstreamGarbage(why),
        UpstreamError::JsonRpc { code: -32601, .. } => GatewayError::NotFound,
        UpstreamError::JsonRpc {
            code: -32602,
            message,
            ..
        } => GatewayError::Unprocessable(message),
        UpstreamError::JsonRpc { message, .. } => GatewayError::ToolFailed(message),
    }
}
