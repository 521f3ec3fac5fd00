//! What a caller presented: the credential headers, read once, in one canonical form.

use crate::api_key::API_KEY_PREFIX;

pub const HEADER_AUTHORIZATION: &str = "authorization";
pub const HEADER_API_KEY: &str = "x-api-key";
pub const HEADER_AUTH_SOURCE: &str = "x-auth-source";
pub const HEADER_FORWARDED_GROUPS: &str = "x-entra-groups";
pub const HEADER_FORWARDED_OID: &str = "x-entra-oid";
pub const HEADER_FORWARDED_TID: &str = "x-entra-tid";

/// `X-Auth-Source` value with which a trusted forwarder asserts the user's Entra identity.
pub const AUTH_SOURCE_ENTRA: &str = "entra-token";

/// Query parameters that commonly carry credentials; a request using them is refused, because
/// URLs end up in logs, browser history and `Referer` headers.
pub const CREDENTIAL_QUERY_PARAMS: [&str; 4] = ["access_token", "token", "api_key", "key"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    #[error(
        "credentials are not accepted in the query string (parameter `{0}`); send them in the Authorization or X-API-Key header"
    )]
    InQueryString(String),
    #[error(
        "no credentials: send `Authorization: Bearer <Entra access token or API key>` or `X-API-Key`"
    )]
    Missing,
    #[error("the Authorization header must use the Bearer scheme")]
    NotBearer,
    #[error("the request carries two different API keys")]
    ConflictingApiKeys,
}

/// A forwarded identity that does not name its user completely.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "a trusted forwarder must name the user: send X-Auth-Source: entra-token with X-Entra-Oid, X-Entra-Tid and X-Entra-Groups"
)]
pub struct IncompleteForwardedIdentity;

/// The user a trusted forwarder speaks for, as its headers name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedIdentity {
    pub object_id: String,
    pub tenant_id: String,
    pub groups: Vec<String>,
}

/// The credential headers of one request, verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub authorization: Option<String>,
    pub api_key: Option<String>,
    pub auth_source: Option<String>,
    pub forwarded_groups: Option<String>,
    pub forwarded_oid: Option<String>,
    pub forwarded_tid: Option<String>,
}

/// The credential a request authenticates with, after the headers are interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    /// From `X-API-Key`, or `Authorization: Bearer mcpk_...`. With `X-API-Key`, a bearer token
    /// that is not an API key (what Open WebUI forwards next to a forwarder key) is ignored.
    ApiKey(&'a str),
    /// An Entra access token.
    Bearer(&'a str),
}

impl Credentials {
    /// Reads the credential headers; names compare case-insensitively, the first occurrence wins.
    pub fn from_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut credentials = Self::default();
        for (name, value) in headers {
            let slot = match name.to_ascii_lowercase().as_str() {
                HEADER_AUTHORIZATION => &mut credentials.authorization,
                HEADER_API_KEY => &mut credentials.api_key,
                HEADER_AUTH_SOURCE => &mut credentials.auth_source,
                HEADER_FORWARDED_GROUPS => &mut credentials.forwarded_groups,
                HEADER_FORWARDED_OID => &mut credentials.forwarded_oid,
                HEADER_FORWARDED_TID => &mut credentials.forwarded_tid,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.to_owned());
            }
        }
        credentials
    }

    /// The headers as (name, value) pairs, for forwarding them verbatim to the auth component.
    pub fn headers(&self) -> Vec<(&'static str, &str)> {
        [
            (HEADER_AUTHORIZATION, &self.authorization),
            (HEADER_API_KEY, &self.api_key),
            (HEADER_AUTH_SOURCE, &self.auth_source),
            (HEADER_FORWARDED_GROUPS, &self.forwarded_groups),
            (HEADER_FORWARDED_OID, &self.forwarded_oid),
            (HEADER_FORWARDED_TID, &self.forwarded_tid),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
        .collect()
    }

    /// Unambiguous bytes of what authenticates the request, for the decision cache key: the
    /// credential used and, next to an API key, the identity a forwarder asserts. Headers that
    /// take no part (a second token next to `X-API-Key`, forwarded headers next to an Entra
    /// token, an `X-Auth-Source` that asserts nothing) are left out, so they cannot mint new
    /// entries; an identity's groups count as a set.
    pub fn cache_identity(&self) -> Result<Vec<u8>, CredentialError> {
        let mut bytes = Vec::new();
        let mut push = |part: &str| {
            bytes.extend_from_slice(&(part.len() as u64).to_be_bytes());
            bytes.extend_from_slice(part.as_bytes());
        };
        match self.presented()? {
            Presented::Bearer(token) => {
                push("bearer");
                push(token);
            }
            Presented::ApiKey(key) => {
                push("api-key");
                push(key);
                match self.forwarded_identity() {
                    None => push("no identity"),
                    Some(Err(IncompleteForwardedIdentity)) => push("incomplete identity"),
                    Some(Ok(user)) => {
                        push("identity");
                        push(&user.object_id);
                        push(&user.tenant_id);
                        let groups: std::collections::BTreeSet<&String> =
                            user.groups.iter().collect();
                        for group in groups {
                            push(group);
                        }
                    }
                }
            }
        }
        Ok(bytes)
    }

    /// Which credential the request authenticates with. An empty `Bearer ` (what Open WebUI
    /// sends when no key is configured) counts as no bearer token.
    pub fn presented(&self) -> Result<Presented<'_>, CredentialError> {
        let bearer = match self.authorization.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(value) => {
                let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
                if !scheme.eq_ignore_ascii_case("bearer") {
                    return Err(CredentialError::NotBearer);
                }
                Some(token.trim()).filter(|token| !token.is_empty())
            }
        };
        let header_key = self
            .api_key
            .as_deref()
            .map(str::trim)
            .filter(|key| !key.is_empty());
        match (header_key, bearer) {
            (None, None) => Err(CredentialError::Missing),
            (None, Some(bearer)) if bearer.starts_with(API_KEY_PREFIX) => {
                Ok(Presented::ApiKey(bearer))
            }
            (None, Some(bearer)) => Ok(Presented::Bearer(bearer)),
            (Some(key), None) => Ok(Presented::ApiKey(key)),
            (Some(key), Some(bearer)) if bearer == key => Ok(Presented::ApiKey(key)),
            (Some(_), Some(bearer)) if bearer.starts_with(API_KEY_PREFIX) => {
                Err(CredentialError::ConflictingApiKeys)
            }
            (Some(key), Some(_)) => Ok(Presented::ApiKey(key)),
        }
    }

    /// The identity a forwarder asserts with `X-Auth-Source: entra-token`: `None` when it asserts
    /// none, an error when the user's object id, tenant or groups header is missing. Whether to
    /// believe it is the caller's decision.
    pub fn forwarded_identity(
        &self,
    ) -> Option<Result<ForwardedIdentity, IncompleteForwardedIdentity>> {
        let source = self.auth_source.as_deref()?.trim();
        if !source.eq_ignore_ascii_case(AUTH_SOURCE_ENTRA) {
            return None;
        }
        let present = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let (Some(object_id), Some(tenant_id), Some(groups)) = (
            present(&self.forwarded_oid),
            present(&self.forwarded_tid),
            self.forwarded_groups.as_deref(),
        ) else {
            return Some(Err(IncompleteForwardedIdentity));
        };
        let groups = groups
            .split(',')
            .map(str::trim)
            .filter(|group| !group.is_empty())
            .map(str::to_owned)
            .collect();
        Some(Ok(ForwardedIdentity {
            object_id,
            tenant_id,
            groups,
        }))
    }
}

/// Refuses a request whose query string (without the leading `?`) carries a credential parameter.
pub fn reject_query_credentials(query: &str) -> Result<(), CredentialError> {
    for pair in query.split('&') {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
        if let Some(param) = CREDENTIAL_QUERY_PARAMS
            .iter()
            .find(|param| name.eq_ignore_ascii_case(param))
        {
            return Err(CredentialError::InQueryString((*param).to_owned()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(headers: &[(&str, &str)]) -> Credentials {
        Credentials::from_headers(headers.iter().copied())
    }

    #[test]
    fn reads_headers_case_insensitively_and_ignores_others() {
        let c = creds(&[
            ("AUTHORIZATION", "Bearer abc"),
            ("X-Api-Key", "mcpk_x"),
            ("x-auth-source", "entra-token"),
            ("X-Entra-Groups", "a,b"),
            ("cookie", "secret"),
        ]);
        assert_eq!(c.authorization.as_deref(), Some("Bearer abc"));
        assert_eq!(c.api_key.as_deref(), Some("mcpk_x"));
        assert_eq!(c.auth_source.as_deref(), Some("entra-token"));
        assert_eq!(c.forwarded_groups.as_deref(), Some("a,b"));
        assert_eq!(c.headers().len(), 4);
        let forwarded = creds(&[("x-entra-oid", "o"), ("x-entra-tid", "t")]);
        assert_eq!(forwarded.headers().len(), 2);
    }

    #[test]
    fn bearer_api_key_and_jwt_are_told_apart() {
        assert_eq!(
            creds(&[("authorization", "Bearer mcpk_abc")]).presented(),
            Ok(Presented::ApiKey("mcpk_abc"))
        );
        assert_eq!(
            creds(&[("authorization", "bearer eyJ.x.y")]).presented(),
            Ok(Presented::Bearer("eyJ.x.y"))
        );
        assert_eq!(
            creds(&[("x-api-key", "mcpk_k"), ("authorization", "Bearer eyJ.x.y")]).presented(),
            Ok(Presented::ApiKey("mcpk_k"))
        );
    }

    #[test]
    fn empty_bearer_is_no_credential_and_other_schemes_are_refused() {
        assert_eq!(
            creds(&[("authorization", "Bearer ")]).presented(),
            Err(CredentialError::Missing)
        );
        assert_eq!(creds(&[]).presented(), Err(CredentialError::Missing));
        assert_eq!(
            creds(&[("authorization", "Basic dXNlcjpwYXNz")]).presented(),
            Err(CredentialError::NotBearer)
        );
        assert_eq!(
            creds(&[("x-api-key", "mcpk_a"), ("authorization", "Bearer mcpk_b")]).presented(),
            Err(CredentialError::ConflictingApiKeys)
        );
    }

    #[test]
    fn forwarded_identity_needs_the_entra_source() {
        let forwarded = creds(&[
            ("x-auth-source", "entra-token"),
            ("x-entra-groups", " g-1 , ,g-2"),
            ("x-entra-oid", "oid-1"),
            ("X-Entra-Tid", "tid-1"),
        ]);
        assert_eq!(
            forwarded.forwarded_identity(),
            Some(Ok(ForwardedIdentity {
                object_id: "oid-1".into(),
                tenant_id: "tid-1".into(),
                groups: vec!["g-1".to_owned(), "g-2".to_owned()],
            }))
        );
        let no_source = creds(&[("x-entra-groups", "g-1"), ("x-entra-oid", "oid-1")]);
        assert_eq!(no_source.forwarded_identity(), None);
    }

    #[test]
    fn forwarded_identity_without_its_user_is_incomplete() {
        let full = [
            ("x-auth-source", "entra-token"),
            ("x-entra-groups", ""),
            ("x-entra-oid", "oid-1"),
            ("x-entra-tid", "tid-1"),
        ];
        assert!(matches!(creds(&full).forwarded_identity(), Some(Ok(_))));
        for missing in ["x-entra-groups", "x-entra-oid", "x-entra-tid"] {
            let headers: Vec<_> = full
                .into_iter()
                .filter(|(name, _)| *name != missing)
                .collect();
            assert_eq!(
                creds(&headers).forwarded_identity(),
                Some(Err(IncompleteForwardedIdentity)),
                "{missing}"
            );
        }
        let blank_oid = creds(&[
            ("x-auth-source", "entra-token"),
            ("x-entra-groups", "g-1"),
            ("x-entra-oid", " "),
            ("x-entra-tid", "tid-1"),
        ]);
        assert_eq!(
            blank_oid.forwarded_identity(),
            Some(Err(IncompleteForwardedIdentity))
        );
    }

    #[test]
    fn the_cache_identity_covers_the_credential_used_and_nothing_else() {
        let bearer = creds(&[("authorization", "Bearer x")]);
        let key = creds(&[("x-api-key", "mcpk_x")]);
        assert_ne!(bearer.cache_identity(), key.cache_identity());
        // Headers that take no part in the decision do not make a new entry.
        for extra in [
            creds(&[("Authorization", "Bearer x"), ("x-entra-groups", "g1")]),
            creds(&[
                ("authorization", "Bearer x"),
                ("x-auth-source", "entra-token"),
            ]),
        ] {
            assert_eq!(extra.cache_identity(), bearer.cache_identity());
        }
        for extra in [
            creds(&[
                ("x-api-key", "mcpk_x"),
                ("authorization", "Bearer owui-token"),
            ]),
            creds(&[
                ("x-api-key", "mcpk_x"),
                ("x-entra-oid", "o"),
                ("x-entra-tid", "t"),
            ]),
        ] {
            assert_eq!(extra.cache_identity(), key.cache_identity());
        }
        // An asserted identity is part of it; its groups as a set.
        let forwarded = |groups: &str| {
            creds(&[
                ("x-api-key", "mcpk_x"),
                ("x-auth-source", "entra-token"),
                ("x-entra-oid", "o"),
                ("x-entra-tid", "t"),
                ("x-entra-groups", groups),
            ])
        };
        assert_ne!(forwarded("g1").cache_identity(), key.cache_identity());
        assert_ne!(
            forwarded("g1").cache_identity(),
            forwarded("g2").cache_identity()
        );
        assert_eq!(
            forwarded("g1, g2").cache_identity(),
            forwarded("g2,g1").cache_identity()
        );
        assert_eq!(
            creds(&[]).cache_identity(),
            Err(CredentialError::Missing),
            "nothing to cache"
        );
    }

    #[test]
    fn credentials_in_the_query_string_are_refused() {
        for query in [
            "access_token=abc",
            "a=1&token=x",
            "API_KEY=x",
            "k=1&key",
            "%61ccess_token=x",
        ] {
            assert!(
                matches!(
                    reject_query_credentials(query),
                    Err(CredentialError::InQueryString(_))
                ),
                "{query}"
            );
        }
        for query in ["", "page=2&keyword=x", "tokens=1"] {
            assert_eq!(reject_query_credentials(query), Ok(()), "{query}");
        }
    }
}
