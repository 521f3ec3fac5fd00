//! The upstream MCP servers of this entry, through mcp-proto's client: the one server a route
//! entry fronts, or (aggregate) a member route entry reached by service chaining.

use auth_core::Credentials;
use gateway_core::GatewayError;
use gateway_core::server_status::{ServerStatus, StatusFact, fact_key};
use mcp_proto::types::{Implementation, Tool};
use mcp_proto::upstream::{ToolList, UpstreamClient, UpstreamConfig, UpstreamError};

use crate::clock;
use crate::pins::{self, PinScope};
use crate::settings::{Settings, Target};
use sealed_kv::{STATE_LIFETIME_MS, SealedKv};

use crate::spin_io::SpinTransport;

pub struct Upstream {
    transport: SpinTransport,
    store: SealedKv,
    config: UpstreamConfig,
    /// The server whose status this upstream's tool lists tell the catalog (own upstream only).
    reports_for: Option<String>,
    /// Its pins (own upstream only: a member's lists come pinned by the member).
    pins: Option<PinScope>,
}

impl Upstream {
    /// The server this route entry fronts, with its credential.
    pub fn new(settings: &Settings) -> Result<Self, GatewayError> {
        let Target::Upstream(target) = &settings.target else {
            return Err(GatewayError::NotFound);
        };
        let headers = target.credential_headers().inspect_err(|error| {
            record_status(
                &SealedKv::open(&settings.gateway_secret),
                &settings.server_id,
                error,
            );
        })?;
        let mut upstream = Self::with(target.url.clone(), headers, settings);
        upstream.reports_for = Some(settings.server_id.clone());
        upstream.pins = Some(PinScope::of(settings));
        Ok(upstream)
    }

    /// Member `id` of the aggregate, as the caller: its own `/<id>/mcp`, presented with the
    /// caller's credentials (the client's cached state is therefore the caller's own).
    pub fn member(settings: &Settings, id: &str, credentials: &Credentials) -> Self {
        let headers = credentials
            .headers()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Self::with(member_url(id, "mcp"), headers, settings)
    }

    fn with(url: String, extra_headers: Vec<(String, String)>, settings: &Settings) -> Self {
        Self {
            transport: SpinTransport,
            store: SealedKv::open(&settings.gateway_secret),
            config: UpstreamConfig {
                url,
                extra_headers,
                client_info: Implementation::new("mcp-gateway", env!("CARGO_PKG_VERSION")),
                timeout_ms: Some(settings.timeout.as_millis() as u64),
            },
            reports_for: None,
            pins: None,
        }
    }

    /// The upstream's tools (cached) as this server serves them (`pins`); a refresh or a
    /// failure is recorded for the catalog.
    pub async fn tools(&self) -> Result<ToolList, UpstreamError> {
        let list = self.client().list_tools().await;
        if let Some(server) = &self.reports_for {
            match &list {
                Ok(list) if list.fetched => save_status(&self.store, server, ServerStatus::Ok),
                Ok(_) => {}
                Err(error) => {
                    record_status(&self.store, server, &GatewayError::from(error.clone()))
                }
            }
        }
        let mut list = list?;
        list.tools = self.pinned(list.tools).await;
        Ok(list)
    }

    /// `tools` as this server serves them.
    pub async fn pinned(&self, tools: Vec<Tool>) -> Vec<Tool> {
        match &self.pins {
            Some(scope) => pins::tools(scope, tools).await,
            None => tools,
        }
    }

    /// The pins of this upstream's lists, when it is the entry's own.
    pub fn pin_scope(&self) -> Option<&PinScope> {
        self.pins.as_ref()
    }

    pub fn client(&self) -> UpstreamClient<'_, SpinTransport, SealedKv> {
        UpstreamClient::new(
            self.config.clone(),
            &self.transport,
            &self.store,
            clock::now_ms(),
        )
    }
}

fn record_status(store: &SealedKv, server: &str, error: &GatewayError) {
    if let Some(status) = ServerStatus::of_error(error) {
        save_status(store, server, status);
    }
}

fn save_status(store: &SealedKv, server: &str, status: ServerStatus) {
    let checked_ms = clock::now_ms();
    let fact = StatusFact { status, checked_ms };
    store.set_json(
        &fact_key(server),
        &fact,
        checked_ms.saturating_add(STATE_LIFETIME_MS),
    );
}

/// `http://<id>.spin.internal/<id>/<tail>`: a member route entry's endpoint by service chaining.
pub fn member_url(id: &str, tail: &str) -> String {
    format!("http://{id}.spin.internal/{id}/{tail}")
}

/// An upstream failure as the caller sees it; the details go to the log.
pub fn gateway_error(server: &str, error: UpstreamError) -> GatewayError {
    eprintln!("upstream {server}: {error}");
    GatewayError::from(error)
}
