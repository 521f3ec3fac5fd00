//! The component variables, read and checked once per request (instances do not outlive one).

use auth_core::entra::{ConfigError, EntraConfig};
use spin_sdk::variables;

pub const VAR_DATABASE_URL: &str = "database_url";
pub const VAR_TENANT_ID: &str = "entra_tenant_id";
pub const VAR_AUDIENCE: &str = "entra_audience";
pub const VAR_AUTHORITY: &str = "entra_authority";
pub const VAR_CLIENT_ID: &str = "entra_client_id";
pub const VAR_CLIENT_SECRET: &str = "entra_client_secret";
pub const VAR_GRAPH_ORIGIN: &str = "graph_origin";
pub const VAR_GATEWAY_SECRET: &str = "gateway_secret";
/// Comma-separated app roles with which app-only tokens are accepted (optional; default none).
pub const VAR_ACCEPTED_APP_ROLES: &str = "entra_accepted_app_roles";

/// Shortest accepted `gateway_secret`, in bytes (it keys the decision cache HMAC).
const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("variable {0} cannot be read")]
    Unreadable(&'static str),
    #[error("variable {0} is empty")]
    Empty(&'static str),
    #[error("gateway_secret must be at least {MIN_SECRET_BYTES} bytes")]
    ShortSecret,
    #[error(transparent)]
    Entra(#[from] ConfigError),
}

/// The app's credentials for Microsoft Graph (group overage lookups).
pub struct GraphClient {
    pub origin: String,
    pub client_id: String,
    pub client_secret: String,
}

pub struct Settings {
    pub database_url: String,
    pub gateway_secret: Vec<u8>,
    /// `None` when no tenant is configured: bearer tokens are then refused, API keys still work.
    pub entra: Option<EntraConfig>,
    /// `None` without client id and secret: group overage is refused with an explanation.
    pub graph: Option<GraphClient>,
}

fn var(name: &'static str) -> Result<String, SettingsError> {
    variables::get(name)
        .map(|value| value.trim().to_owned())
        .map_err(|_| SettingsError::Unreadable(name))
}

/// A variable a manifest may leave undeclared: then empty.
fn optional(name: &'static str) -> Result<String, SettingsError> {
    match variables::get(name) {
        Ok(value) => Ok(value.trim().to_owned()),
        Err(variables::Error::Undefined(_)) => Ok(String::new()),
        Err(_) => Err(SettingsError::Unreadable(name)),
    }
}

fn required(name: &'static str) -> Result<String, SettingsError> {
    let value = var(name)?;
    if value.is_empty() {
        return Err(SettingsError::Empty(name));
    }
    Ok(value)
}

impl Settings {
    pub fn load() -> Result<Self, SettingsError> {
        let database_url = required(VAR_DATABASE_URL)?;
        let gateway_secret = required(VAR_GATEWAY_SECRET)?.into_bytes();
        if gateway_secret.len() < MIN_SECRET_BYTES {
            return Err(SettingsError::ShortSecret);
        }
        let tenant_ids = var(VAR_TENANT_ID)?;
        let entra = if tenant_ids.is_empty() {
            None
        } else {
            Some(
                EntraConfig::new(&tenant_ids, &var(VAR_AUDIENCE)?, &var(VAR_AUTHORITY)?)?
                    .with_accepted_app_roles(&optional(VAR_ACCEPTED_APP_ROLES)?),
            )
        };
        let (client_id, client_secret) = (var(VAR_CLIENT_ID)?, var(VAR_CLIENT_SECRET)?);
        let graph = if client_id.is_empty() || client_secret.is_empty() {
            None
        } else {
            Some(GraphClient {
                origin: required(VAR_GRAPH_ORIGIN)?.trim_end_matches('/').to_owned(),
                client_id,
                client_secret,
            })
        };
        Ok(Self {
            database_url,
            gateway_secret,
            entra,
            graph,
        })
    }
}
