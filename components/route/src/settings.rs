//! The component's variables (one set per server entry in spin.toml), read once per request.

use auth_core::pins::PinMode;
use gateway_core::GatewayError;
use spin_sdk::variables;

pub const VAR_SERVER_ID: &str = "server_id";
pub const VAR_SERVER_NAME: &str = "server_name";
pub const VAR_TIER: &str = "tier";
pub const VAR_UPSTREAM_URL: &str = "upstream_url";
pub const VAR_UPSTREAM_TOKEN: &str = "upstream_token";
pub const VAR_UPSTREAM_AUTH: &str = "upstream_auth";
/// The shared secret of `bridges/mcp-bridge`; read by the bridge tiers only.
pub const VAR_BRIDGE_SECRET: &str = "bridge_secret";
pub const VAR_TIMEOUT_SECS: &str = "timeout_secs";
pub const VAR_GATEWAY_SECRET: &str = "gateway_secret";
pub const VAR_OPENAPI_PUBLIC: &str = "openapi_public";
pub const VAR_PUBLIC_URL: &str = "public_url";
/// Optional: comma-separated browser origins allowed besides `public_url` (e.g. Open WebUI's).
pub const VAR_ALLOWED_ORIGINS: &str = "allowed_origins";
/// The largest request body accepted, in bytes (4 MiB when the entry does not set it).
pub const VAR_MAX_BODY_BYTES: &str = "max_body_bytes";
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// `off`, `warn` or `enforce` (`auth_core::pins`); `off` when the entry does not set it.
pub const VAR_PIN: &str = "pin";
/// Set on the aggregate entry only (`/mcp`, `/openapi.json`): comma-separated component ids
/// of the route entries it combines, each reachable at `http://<id>.spin.internal`.
pub const VAR_MEMBERS: &str = "members";

const MIN_SECRET_LEN: usize = 32;
/// The tiers served through `bridges/mcp-bridge`.
const BRIDGE_TIERS: [&str; 2] = ["sse", "stdio"];
/// The header the bridge checks (`bridges/mcp-bridge/src/http.rs`).
const BRIDGE_SECRET_HEADER: &str = "x-bridge-secret";

/// How the upstream credential is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamAuth {
    None,
    Bearer,
    Header(String),
}

/// What this entry fronts.
#[derive(Debug, Clone)]
pub enum Target {
    /// One upstream MCP server.
    Upstream(UpstreamTarget),
    /// The other route entries (`members`), through their own `/<s>/mcp` and
    /// `/<s>/openapi.json` with the caller's credentials: each member authorizes, validates and
    /// audits as if the caller had come to it directly.
    Aggregate { members: Vec<String> },
}

#[derive(Debug, Clone)]
pub struct UpstreamTarget {
    pub tier: String,
    pub url: String,
    token: String,
    pub auth: UpstreamAuth,
    /// `Some` for a bridge tier, whose every request carries it; empty when not configured.
    bridge_secret: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// The server id (the route prefix); `mcp` for the aggregate entry.
    pub server_id: String,
    pub server_name: String,
    pub target: Target,
    pub timeout: std::time::Duration,
    pub gateway_secret: Vec<u8>,
    pub openapi_public: bool,
    pub public_url: String,
    pub allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub pin: PinMode,
}

fn var(name: &str) -> Result<String, GatewayError> {
    variables::get(name).map_err(|_| {
        GatewayError::NotConfigured(format!(
            "this server is not configured (variable {name} missing)"
        ))
    })
}

/// A variable an entry may leave undeclared.
fn optional_var(name: &str) -> Option<String> {
    variables::get(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

fn not_configured(why: &str) -> GatewayError {
    GatewayError::NotConfigured(format!("this server is not configured: {why}"))
}

impl Settings {
    /// Fails with 503 "not configured" when a needed value is missing or invalid.
    pub fn load() -> Result<Self, GatewayError> {
        let gateway_secret = var(VAR_GATEWAY_SECRET)?.into_bytes();
        if gateway_secret.len() < MIN_SECRET_LEN {
            return Err(not_configured("gateway_secret must be at least 32 bytes"));
        }
        let timeout_secs: f64 = var(VAR_TIMEOUT_SECS)?
            .trim()
            .parse()
            .ok()
            .filter(|s: &f64| *s > 0.0)
            .ok_or_else(|| not_configured("the timeout must be a positive number of seconds"))?;
        let max_body_bytes = match optional_var(VAR_MAX_BODY_BYTES) {
            None => DEFAULT_MAX_BODY_BYTES,
            Some(value) => value
                .trim()
                .parse()
                .ok()
                .filter(|bytes: &usize| *bytes > 0)
                .ok_or_else(|| not_configured("max_body_bytes must be a positive integer"))?,
        };
        let pin = match optional_var(VAR_PIN) {
            None => PinMode::Off,
            Some(mode) => mode.parse().map_err(|why: String| not_configured(&why))?,
        };
        let target = match optional_var(VAR_MEMBERS) {
            Some(members) => Target::Aggregate {
                members: comma_list(&members),
            },
            None => Target::Upstream(UpstreamTarget::load()?),
        };
        Ok(Self {
            server_id: var(VAR_SERVER_ID)?,
            server_name: var(VAR_SERVER_NAME)?,
            target,
            timeout: std::time::Duration::from_secs_f64(timeout_secs),
            gateway_secret,
            openapi_public: var(VAR_OPENAPI_PUBLIC)?.trim().eq_ignore_ascii_case("true"),
            public_url: var(VAR_PUBLIC_URL)?.trim_end_matches('/').to_string(),
            allowed_origins: optional_var(VAR_ALLOWED_ORIGINS)
                .map(|list| comma_list(&list))
                .unwrap_or_default(),
            max_body_bytes,
            pin,
        })
    }

    /// The gateway's public base URL, if it may be told (see `gateway_core::public_url`).
    pub fn base_url(&self, full_url: &str) -> Option<String> {
        gateway_core::public_url::base_url(&self.public_url, full_url)
    }

    pub fn tier(&self) -> &str {
        match &self.target {
            Target::Upstream(target) => &target.tier,
            Target::Aggregate { .. } => "aggregate",
        }
    }

    /// Where this entry's MCP endpoint is: `/<s>/mcp`, or `/mcp` for the aggregate.
    pub fn mcp_path(&self) -> String {
        match self.target {
            Target::Upstream(_) => format!("/{}/mcp", self.server_id),
            Target::Aggregate { .. } => "/mcp".to_owned(),
        }
    }
}

fn comma_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

impl UpstreamTarget {
    fn load() -> Result<Self, GatewayError> {
        let auth = match var(VAR_UPSTREAM_AUTH)?.as_str() {
            "none" => UpstreamAuth::None,
            "bearer" => UpstreamAuth::Bearer,
            other => match other.strip_prefix("header:") {
                Some(name) if !name.is_empty() => UpstreamAuth::Header(name.to_string()),
                _ => {
                    return Err(not_configured(
                        "upstream_auth must be none, bearer or header:<Name>",
                    ));
                }
            },
        };
        let tier = var(VAR_TIER)?;
        // Never read for other tiers: the bridge's secret must not reach a third-party upstream.
        let bridge_secret = BRIDGE_TIERS
            .contains(&tier.as_str())
            .then(|| optional_var(VAR_BRIDGE_SECRET).unwrap_or_default());
        Ok(Self {
            tier,
            url: var(VAR_UPSTREAM_URL)?,
            token: var(VAR_UPSTREAM_TOKEN)?,
            auth,
            bridge_secret,
        })
    }

    /// The headers carrying the upstream credential and, on a bridge tier, the bridge secret;
    /// 503 when the server needs either and has none (never a request without them).
    pub fn credential_headers(&self) -> Result<Vec<(String, String)>, GatewayError> {
        let token = self.token.trim();
        let mut headers = match &self.auth {
            UpstreamAuth::None => Vec::new(),
            _ if token.is_empty() => return Err(not_configured("no upstream credential is set")),
            UpstreamAuth::Bearer => vec![("authorization".into(), format!("Bearer {token}"))],
            UpstreamAuth::Header(name) => vec![(name.clone(), token.to_string())],
        };
        if let Some(secret) = &self.bridge_secret {
            let secret = secret.trim();
            if secret.is_empty() {
                return Err(not_configured(&format!(
                    "the bridge secret ({VAR_BRIDGE_SECRET}) is not set, and the {} tier's bridge refuses requests without it",
                    self.tier
                )));
            }
            headers.push((BRIDGE_SECRET_HEADER.into(), secret.to_string()));
        }
        Ok(headers)
    }
}
