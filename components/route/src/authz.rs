//! Who is calling and may they use this server and which of its tools: the decision the auth
//! component cached in key-value (no chaining hop in steady state), else a chained call to
//! `auth.spin.internal`.

use auth_core::audit::AUDIT_DETAIL;
use auth_core::{
    CredentialError, Credentials, Decision, Principal, decision_cache_key, reject_query_credentials,
};
use gateway_core::GatewayError;
use sealed_kv::SealedKv;
use serde_json::Value;
use spin_sdk::http::{Method, Request, Response, send};

use crate::Inbound;
use crate::clock;
use crate::settings::{Settings, Target};

const AUTH_AUTHORIZE: &str = "http://auth.spin.internal/authorize";

/// A refusal, with the body the caller sees (from the auth component, never a secret), and
/// what the audit records of it: who, if they were authenticated, and why.
pub struct Refusal {
    pub status: u16,
    pub body: Value,
    pub www_authenticate: Option<String>,
    pub principal: Option<Principal>,
    pub detail: String,
}

impl From<GatewayError> for Refusal {
    fn from(error: GatewayError) -> Self {
        if error.status() >= 500 {
            eprintln!("{error}");
        }
        Self {
            status: error.status(),
            www_authenticate: error.www_authenticate().map(str::to_string),
            body: error.body(),
            principal: None,
            detail: error.to_string(),
        }
    }
}

/// `WWW-Authenticate` for this server; MCP endpoints point clients at RFC 9728 metadata when
/// the gateway's public URL is known (never one built from an untrusted `Host`).
pub fn challenge(settings: &Settings, inbound: &Inbound, mcp: bool) -> String {
    match settings.base_url(&inbound.full_url) {
        Some(base) if mcp => format!(
            "Bearer realm=\"mcp-gateway\", resource_metadata=\"{base}/.well-known/oauth-protected-resource{}\"",
            settings.mcp_path()
        ),
        _ => "Bearer realm=\"mcp-gateway\"".to_string(),
    }
}

/// 401 with this entry's challenge.
pub fn unauthenticated(
    settings: &Settings,
    inbound: &Inbound,
    mcp: bool,
    message: &str,
) -> Refusal {
    Refusal {
        status: 401,
        body: serde_json::json!({"error": "unauthorized", "message": message}),
        www_authenticate: Some(challenge(settings, inbound, mcp)),
        principal: None,
        detail: message.to_owned(),
    }
}

/// The caller's decision for this server: 401 without valid credentials, 404 when the server
/// is not theirs (it looks as if it did not exist), 503 when the policy cannot be read. The
/// aggregate entry takes every authenticated caller (it offers each only their own servers).
pub async fn authorize(
    settings: &Settings,
    inbound: &Inbound,
    mcp: bool,
) -> Result<Decision, Refusal> {
    let unauthorized = |message: String| unauthenticated(settings, inbound, mcp, &message);
    reject_query_credentials(inbound.query()).map_err(|err| unauthorized(err.to_string()))?;
    let credentials = credentials(inbound);
    credentials
        .presented()
        .map_err(|err| unauthorized(err.to_string()))?;

    let decision = match cached(settings, &credentials) {
        Some(decision) => decision,
        None => ask_auth(&credentials, &unauthorized).await?,
    };
    let in_scope = match settings.target {
        Target::Upstream(_) => decision.allows(&settings.server_id),
        Target::Aggregate { .. } => true,
    };
    if in_scope {
        Ok(decision)
    } else {
        Err(Refusal {
            principal: Some(decision.principal),
            detail: "the server is not granted to the caller".into(),
            ..GatewayError::NotFound.into()
        })
    }
}

/// The credentials the caller presented, as headers.
pub fn credentials(inbound: &Inbound) -> Credentials {
    Credentials::from_headers(
        inbound
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

/// Whether the request carries no credential at all (an empty `Bearer ` counts as none).
pub fn is_anonymous(inbound: &Inbound) -> bool {
    matches!(
        credentials(inbound).presented(),
        Err(CredentialError::Missing)
    )
}

/// The caller's tool rule on this server: whether they may see and call a tool. Every surface
/// filters its tool list and refuses calls with it (`gateway_core::pipeline`).
pub fn tool_rule<'a>(settings: &'a Settings, decision: &'a Decision) -> impl Fn(&str) -> bool + 'a {
    move |tool| decision.allows_tool(&settings.server_id, tool)
}

fn cached(settings: &Settings, credentials: &Credentials) -> Option<Decision> {
    let key = decision_cache_key(&settings.gateway_secret, credentials).ok()?;
    let decision: Decision = SealedKv::open(&settings.gateway_secret).get_json(&key)?;
    decision.is_fresh(clock::now_ms()).then_some(decision)
}

async fn ask_auth(
    credentials: &Credentials,
    unauthorized: &dyn Fn(String) -> Refusal,
) -> Result<Decision, Refusal> {
    let mut builder = Request::builder();
    builder.method(Method::Post).uri(AUTH_AUTHORIZE);
    for (name, value) in credentials.headers() {
        builder.header(name, value);
    }
    let response: Response = send(builder.body(Vec::new()).build())
        .await
        .map_err(|err| {
            Refusal::from(GatewayError::AuthorizationUnavailable(format!(
                "auth component unreachable: {err:?}"
            )))
        })?;
    let mut body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    let detail = body
        .as_object_mut()
        .and_then(|body| body.remove(AUDIT_DETAIL))
        .and_then(|detail| detail.as_str().map(str::to_owned));
    match *response.status() {
        200 => serde_json::from_value(body).map_err(|err| {
            Refusal::from(GatewayError::AuthorizationUnavailable(format!(
                "auth component sent an unreadable decision: {err}"
            )))
        }),
        401 => {
            let message = body["message"].as_str().unwrap_or("invalid credentials");
            let mut refusal = unauthorized(message.to_owned());
            if let Some(detail) = detail {
                refusal.detail = detail;
            }
            Err(refusal)
        }
        status => {
            let detail = format!("the auth component answered HTTP {status}: {body}");
            Err(Refusal {
                status: if status >= 500 { 503 } else { status },
                body: if body.is_object() {
                    body
                } else {
                    serde_json::json!({"error": "unavailable", "message": "authorization is unavailable"})
                },
                www_authenticate: None,
                principal: None,
                detail,
            })
        }
    }
}
