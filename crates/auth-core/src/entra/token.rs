//! Validation of an Entra ID access token against a key set: the compact JWS (parsing, RS256
//! signature) through `jwt-compact`; the Entra-specific checks (issuer forms, tenant, Graph
//! audience, app-only tokens, overage) here.

use jwt_compact::alg::Rsa;
use jwt_compact::{AlgorithmExt as _, UntrustedToken, ValidationError};
use serde::Deserialize;

use super::config::{EntraConfig, GRAPH_AUDIENCES, MAX_CLOCK_SKEW_SECS};
use super::jwks::Jwks;

/// Why a token was refused. Messages describe the token, never repeat it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("{0}")]
    GraphAudience(String),
    #[error("token algorithm must be RS256")]
    UnsupportedAlgorithm,
    #[error("token header has no key id (kid)")]
    MissingKid,
    #[error("token is signed with a key the issuer does not publish")]
    UnknownKid(String),
    #[error("token signing key is unusable")]
    BadKey,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token tenant (tid) is not accepted by this gateway")]
    WrongTenant,
    #[error("token issuer (iss) does not match its tenant")]
    WrongIssuer,
    #[error("token audience (aud) is not this gateway")]
    WrongAudience,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet (nbf)")]
    NotYetValid,
    #[error("token lacks the `{0}` claim")]
    MissingClaim(&'static str),
    #[error(
        "app-only tokens (client credentials, without a delegated scope) are not accepted by this gateway"
    )]
    AppOnly,
}

/// Who a validated token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraIdentity {
    pub object_id: String,
    pub tenant_id: String,
    /// `preferred_username`, else `upn`, else `email`.
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    /// The user has more groups than fit in a token: `groups` is incomplete and must be read from
    /// Microsoft Graph.
    pub group_overage: bool,
    pub expires_at_secs: u64,
}

/// The only algorithm accepted: Entra signs access tokens with RS256.
const RS256: Rsa = Rsa::rs256();

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn values(&self) -> &[String] {
        match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many,
        }
    }
}

/// The claims besides `exp`/`nbf`/`iat`, which `jwt_compact::Claims` reads itself.
#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    aud: Option<Audience>,
    tid: Option<String>,
    oid: Option<String>,
    preferred_username: Option<String>,
    upn: Option<String>,
    email: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default, rename = "_claim_names")]
    claim_names: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    hasgroups: Option<bool>,
    /// Delegated scopes; absent from app-only tokens.
    #[serde(default)]
    scp: Option<String>,
    /// `app` for app-only tokens (optional claim).
    #[serde(default)]
    idtyp: Option<String>,
}

impl Claims {
    /// A token the app obtained for itself rather than on behalf of a signed-in user.
    fn is_app_only(&self) -> bool {
        self.idtyp.as_deref() == Some("app")
            || self.scp.as_deref().is_none_or(|scp| scp.trim().is_empty())
    }
}

/// A token parsed, before its signature is checked.
struct Parsed<'t> {
    token: UntrustedToken<'t>,
    kid: String,
}

/// Everything that can be checked without the signing keys: shape, Graph audience, algorithm,
/// key id.
fn parse<'t>(token: &'t str, config: &EntraConfig) -> Result<Parsed<'t>, TokenError> {
    let token = UntrustedToken::new(token)
        .map_err(|_| TokenError::Malformed("not a compact JWS of three base64url parts"))?;
    let claims = token
        .deserialize_claims_unchecked::<Claims>()
        .map_err(|_| TokenError::Malformed("payload is not JSON claims"))?;

    // A Graph token is refused whatever else is wrong with it, with advice on how to get the
    // right one (Graph tokens cannot be verified by third parties anyway).
    let is_graph = claims.custom.aud.as_ref().is_some_and(|aud| {
        aud.values()
            .iter()
            .any(|audience| GRAPH_AUDIENCES.contains(&audience.as_str()))
    });
    if is_graph {
        return Err(TokenError::GraphAudience(config.graph_token_advice()));
    }
    if token.algorithm() != "RS256" {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    let kid = token
        .header()
        .key_id
        .clone()
        .ok_or(TokenError::MissingKid)?;
    Ok(Parsed { token, kid })
}

fn unix_secs(time: chrono::DateTime<chrono::Utc>) -> u64 {
    u64::try_from(time.timestamp()).unwrap_or(0)
}

/// The key id of a token that passes every check not needing the keys; so a malformed or
/// misdirected token is refused before the key set is fetched, and a refetch is keyed by `kid`.
pub fn token_kid(token: &str, config: &EntraConfig) -> Result<String, TokenError> {
    parse(token, config).map(|parsed| parsed.kid)
}

/// Validates `token` completely: RS256 signature with a key of `jwks`, tenant, issuer, audience
/// and lifetime (with [`MAX_CLOCK_SKEW_SECS`] leeway) at `now_secs`.
pub fn validate_token(
    token: &str,
    jwks: &Jwks,
    config: &EntraConfig,
    now_secs: u64,
) -> Result<EntraIdentity, TokenError> {
    let Parsed { token, kid } = parse(token, config)?;
    let jwk = jwks.find(&kid).ok_or(TokenError::UnknownKid(kid))?;
    let key = jwk.rsa_public_key().map_err(|_| TokenError::BadKey)?;
    let verified = RS256
        .validator::<Claims>(&key)
        .validate(&token)
        .map_err(|err| match err {
            ValidationError::MalformedClaims(_) => {
                TokenError::Malformed("payload is not JSON claims")
            }
            _ => TokenError::BadSignature,
        })?;
    let (_, jwt_claims) = verified.into_parts();
    let claims = jwt_claims.custom;

    let app_only = claims.is_app_only();
    let tenant_id = claims.tid.ok_or(TokenError::MissingClaim("tid"))?;
    if !config.allows_tenant(&tenant_id) {
        return Err(TokenError::WrongTenant);
    }
    let issuer = claims.iss.ok_or(TokenError::MissingClaim("iss"))?;
    if !config.issuers(&tenant_id).contains(&issuer) {
        return Err(TokenError::WrongIssuer);
    }
    let audiences = claims
        .aud
        .as_ref()
        .map(Audience::values)
        .unwrap_or_default();
    if audiences.is_empty() {
        return Err(TokenError::MissingClaim("aud"));
    }
    if !audiences
        .iter()
        .any(|audience| config.allows_audience(audience))
    {
        return Err(TokenError::WrongAudience);
    }
    let expires_at_secs = jwt_claims
        .expiration
        .map(unix_secs)
        .ok_or(TokenError::MissingClaim("exp"))?;
    if now_secs > expires_at_secs.saturating_add(MAX_CLOCK_SKEW_SECS) {
        return Err(TokenError::Expired);
    }
    if jwt_claims
        .not_before
        .map(unix_secs)
        .is_some_and(|nbf| now_secs.saturating_add(MAX_CLOCK_SKEW_SECS) < nbf)
    {
        return Err(TokenError::NotYetValid);
    }
    if app_only && !config.accepts_app_with_roles(&claims.roles) {
        return Err(TokenError::AppOnly);
    }
    let object_id = claims.oid.ok_or(TokenError::MissingClaim("oid"))?;

    let group_overage = claims.groups.is_empty()
        && (claims.hasgroups == Some(true)
            || claims
                .claim_names
                .as_ref()
                .is_some_and(|names| names.contains_key("groups")));
    Ok(EntraIdentity {
        object_id,
        tenant_id,
        username: claims.preferred_username.or(claims.upn).or(claims.email),
        groups: claims.groups,
        roles: claims.roles,
        group_overage,
        expires_at_secs,
    })
}
