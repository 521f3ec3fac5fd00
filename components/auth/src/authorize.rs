//! `POST /authorize`: from credential headers to a decision, with the I/O around auth-core.

use auth_core::api_key::check_api_key_format;
use auth_core::authorize::{
    ApiKeyCaller, ForwarderRefusal, api_key_decision, entra_decision, entra_user,
};
use auth_core::entra::{TokenError, token_kid};
use auth_core::{ApiKeyError, Credentials, Decision, Presented, decision_cache_key};
use sealed_kv::SealedKv;

use crate::settings::Settings;
use crate::{graph, jwks_cache, policy_db};

/// Why a request was not authorized. Messages go to the caller: they explain, never leak.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Unauthorized(String),
    /// Malformed, unknown, revoked or expired: the caller is told none of which (no oracle);
    /// the reason goes to the log.
    #[error("the API key is not valid")]
    InvalidApiKey(ApiKeyError),
    #[error("{0}")]
    BadRequest(String),
    /// A dependency is down: never a reason to allow.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal,
}

impl From<ApiKeyError> for Failure {
    fn from(err: ApiKeyError) -> Self {
        Self::InvalidApiKey(err)
    }
}

impl Failure {
    /// What the log gets beyond the public message.
    pub fn log_detail(&self) -> Option<String> {
        match self {
            Self::InvalidApiKey(reason) => Some(format!("API key refused: {reason}")),
            _ => None,
        }
    }
}

impl From<ForwarderRefusal> for Failure {
    fn from(err: ForwarderRefusal) -> Self {
        Self::Unauthorized(err.to_string())
    }
}

impl From<TokenError> for Failure {
    fn from(err: TokenError) -> Self {
        Self::Unauthorized(err.to_string())
    }
}

pub async fn authorize(
    settings: &Settings,
    credentials: &Credentials,
    now_ms: u64,
) -> Result<Decision, Failure> {
    let store = SealedKv::open(&settings.gateway_secret);
    let cache_key = decision_cache_key(&settings.gateway_secret, credentials)
        .map_err(|err| Failure::Unauthorized(err.to_string()))?;
    if let Some(cached) = store
        .get_json::<Decision>(&cache_key)
        .filter(|decision| decision.is_fresh(now_ms))
    {
        return Ok(cached);
    }
    let presented = credentials
        .presented()
        .map_err(|err| Failure::Unauthorized(err.to_string()))?;
    let decision = match presented {
        Presented::ApiKey(key) => api_key(settings, key, credentials, now_ms)?,
        Presented::Bearer(token) => entra_token(settings, &store, token, now_ms).await?,
    };
    // Read by the route components too.
    store.set_json(&cache_key, &decision, decision.expires_at_ms);
    Ok(decision)
}

fn api_key(
    settings: &Settings,
    key: &str,
    credentials: &Credentials,
    now_ms: u64,
) -> Result<Decision, Failure> {
    check_api_key_format(key)?;
    let record =
        policy_db::find_api_key(&settings.database_url, key)?.ok_or(ApiKeyError::Unknown)?;
    record.check_usable(now_ms)?;
    let caller = ApiKeyCaller::new(&record, credentials)?;
    let policy = policy_db::load_policy(&settings.database_url, caller.user().as_ref())?;
    Ok(api_key_decision(&caller, &policy, now_ms))
}

async fn entra_token(
    settings: &Settings,
    store: &SealedKv,
    token: &str,
    now_ms: u64,
) -> Result<Decision, Failure> {
    let Some(entra) = &settings.entra else {
        return Err(Failure::Unauthorized(
            "Entra ID sign-in is not configured on this gateway; use an API key".into(),
        ));
    };
    // Tokens refusable without the signing keys (malformed, Graph audience, wrong algorithm,
    // no kid) are refused before any fetch.
    token_kid(token, entra)?;
    // Entra signs the tokens of every tenant with the same keys: one key set serves all.
    let tenant = &entra.tenants()[0];
    let identity = jwks_cache::verified_identity(store, entra, tenant, token, now_ms).await?;
    let groups = if identity.group_overage {
        graph::member_groups(settings, store, entra, &identity, now_ms).await?
    } else {
        identity.groups.clone()
    };
    let user = entra_user(&identity, &groups);
    let policy = policy_db::load_policy(&settings.database_url, Some(&user))?;
    Ok(entra_decision(&identity, groups, &policy, now_ms))
}
