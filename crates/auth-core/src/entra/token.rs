//! Validation of an Entra ID access token (compact JWS, RS256) against a key set.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::Pkcs1v15Sign;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

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

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

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

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    aud: Option<Audience>,
    exp: Option<u64>,
    nbf: Option<u64>,
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

fn decode_part<T: DeserializeOwned>(part: &str, what: &'static str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed(what))?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed(what))
}

/// A token split and decoded, before its signature is checked.
struct Parsed<'t> {
    claims: Claims,
    kid: String,
    signing_input: &'t str,
    signature_b64: &'t str,
}

/// Everything that can be checked without the signing keys: shape, Graph audience, algorithm,
/// key id.
fn parse<'t>(token: &'t str, config: &EntraConfig) -> Result<Parsed<'t>, TokenError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("a JWT has three dot-separated parts"));
    };
    let header: Header = decode_part(header_b64, "header is not base64url JSON")?;
    let claims: Claims = decode_part(claims_b64, "payload is not base64url JSON")?;

    // A Graph token is refused whatever else is wrong with it, with advice on how to get the
    // right one (Graph tokens cannot be verified by third parties anyway).
    let is_graph = claims.aud.as_ref().is_some_and(|aud| {
        aud.values()
            .iter()
            .any(|audience| GRAPH_AUDIENCES.contains(&audience.as_str()))
    });
    if is_graph {
        return Err(TokenError::GraphAudience(config.graph_token_advice()));
    }
    if header.alg != "RS256" {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    let kid = header.kid.ok_or(TokenError::MissingKid)?;
    Ok(Parsed {
        claims,
        kid,
        signing_input: &token[..header_b64.len() + 1 + claims_b64.len()],
        signature_b64,
    })
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
    let Parsed {
        claims,
        kid,
        signing_input,
        signature_b64,
    } = parse(token, config)?;
    let jwk = jwks.find(&kid).ok_or(TokenError::UnknownKid(kid))?;
    let key = jwk.rsa_public_key().map_err(|_| TokenError::BadKey)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| TokenError::Malformed("signature is not base64url"))?;
    let digest = Sha256::digest(signing_input.as_bytes());
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &signature)
        .map_err(|_| TokenError::BadSignature)?;

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
    let expires_at_secs = claims.exp.ok_or(TokenError::MissingClaim("exp"))?;
    if now_secs > expires_at_secs.saturating_add(MAX_CLOCK_SKEW_SECS) {
        return Err(TokenError::Expired);
    }
    if claims
        .nbf
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
