//! The outcome of authorization, shared by the auth component (writer) and the route components
//! (readers of the cached copy).

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::credentials::{CredentialError, Credentials};
use crate::tools::ToolAccess;

/// Longest time a decision is reused before the policy is read again (revocation latency).
pub const DECISION_TTL_MS: u64 = 60_000;
/// Prefix of the key-value keys holding cached decisions; versioned with the Decision format.
pub const DECISION_KEY_PREFIX: &str = "authz:v2:";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A user authenticated by an Entra ID access token.
    Entra,
    /// A service authenticated by an API key.
    ApiKey,
    /// A user whose identity a trusted forwarder (API key flagged as such) asserts.
    Forwarder,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Stable id: the Entra object id (`oid`) of a user (also a forwarded one), or
    /// `apikey:<id>` for API keys.
    pub id: String,
    /// Human-readable name: UPN/email for users, the owner for API keys.
    pub name: String,
    pub kind: PrincipalKind,
    /// The user's tenant (`tid`); none for API keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Group object ids.
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    /// For a forwarded user, the forwarder key that asserted them (`apikey:<id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowedServers {
    /// Every server and every tool, including servers registered later.
    All,
    /// These servers, each with the tools the caller may use there.
    Set(BTreeMap<String, ToolAccess>),
}

impl AllowedServers {
    /// These servers, every tool of each.
    pub fn whole<S: Into<String>>(ids: impl IntoIterator<Item = S>) -> Self {
        Self::Set(
            ids.into_iter()
                .map(|id| (id.into(), ToolAccess::whole()))
                .collect(),
        )
    }

    pub fn allows(&self, server_id: &str) -> bool {
        self.access(server_id).is_some()
    }

    pub fn allows_tool(&self, server_id: &str, tool: &str) -> bool {
        self.access(server_id)
            .is_some_and(|access| access.allows(tool))
    }

    /// The caller's tools on `server_id`; none when the server is not theirs.
    pub fn access(&self, server_id: &str) -> Option<ToolAccess> {
        match self {
            Self::All => Some(ToolAccess::whole()),
            Self::Set(servers) => servers.get(server_id).cloned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub principal: Principal,
    pub servers: AllowedServers,
    /// Unix milliseconds after which this decision must not be used.
    pub expires_at_ms: u64,
}

impl Decision {
    pub fn allows(&self, server_id: &str) -> bool {
        self.servers.allows(server_id)
    }

    /// Whether the caller may see and call `tool` of `server_id`.
    pub fn allows_tool(&self, server_id: &str, tool: &str) -> bool {
        self.servers.allows_tool(server_id, tool)
    }

    pub fn is_fresh(&self, now_ms: u64) -> bool {
        now_ms < self.expires_at_ms
    }
}

/// When a decision taken at `now_ms` expires: at the credential's own expiry, at most
/// [`DECISION_TTL_MS`] later.
pub fn decision_expiry(now_ms: u64, credential_expires_at_ms: Option<u64>) -> u64 {
    let ttl_end = now_ms.saturating_add(DECISION_TTL_MS);
    credential_expires_at_ms.map_or(ttl_end, |expiry| expiry.min(ttl_end))
}

/// Key-value key of the decision for these credentials: [`DECISION_KEY_PREFIX`] + hex
/// HMAC-SHA256 of their [`Credentials::cache_identity`] under the gateway secret, so the store
/// never holds a credential.
pub fn decision_cache_key(
    gateway_secret: &[u8],
    credentials: &Credentials,
) -> Result<String, CredentialError> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(gateway_secret).expect("HMAC accepts keys of any length");
    mac.update(&credentials.cache_identity()?);
    Ok(format!(
        "{DECISION_KEY_PREFIX}{}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{GrantedTools, ToolPattern};

    fn decision(servers: AllowedServers) -> Decision {
        Decision {
            principal: Principal {
                id: "oid-1".into(),
                name: "alice@example.com".into(),
                kind: PrincipalKind::Entra,
                tenant_id: Some("t".into()),
                groups: vec!["MCP-GitHub".into()],
                roles: vec![],
                forwarded_by: None,
            },
            servers,
            expires_at_ms: 1_000,
        }
    }

    fn read_only_github() -> AllowedServers {
        AllowedServers::Set(BTreeMap::from([(
            "github".to_owned(),
            ToolAccess {
                granted: GrantedTools::Patterns([ToolPattern::parse("get_*").unwrap()].into()),
                denied: [ToolPattern::parse("get_secret").unwrap()].into(),
            },
        )]))
    }

    #[test]
    fn set_allows_only_its_members_and_all_allows_everything() {
        let set = decision(AllowedServers::whole(["github"]));
        assert!(set.allows("github"));
        assert!(set.allows_tool("github", "anything"));
        assert!(!set.allows("linear"));
        assert!(!set.allows_tool("linear", "anything"));
        let all = decision(AllowedServers::All);
        assert!(all.allows("linear"));
        assert!(all.allows_tool("linear", "anything"));
    }

    #[test]
    fn tools_are_allowed_by_the_server_access() {
        let d = decision(read_only_github());
        assert!(d.allows("github"));
        assert!(d.allows_tool("github", "get_issue"));
        assert!(!d.allows_tool("github", "get_secret"));
        assert!(!d.allows_tool("github", "delete_repo"));
        assert!(!d.allows_tool("linear", "get_issue"));
    }

    #[test]
    fn decision_round_trips_through_json() {
        for servers in [AllowedServers::whole(["github"]), read_only_github()] {
            let original = decision(servers);
            let json = serde_json::to_string(&original).unwrap();
            assert_eq!(serde_json::from_str::<Decision>(&json).unwrap(), original);
            assert!(json.contains(r#""kind":"entra""#), "{json}");
        }
    }

    #[test]
    fn a_decision_of_the_previous_format_is_not_read() {
        let v1 = r#"{"principal":{"id":"o","name":"n","kind":"entra","groups":[],"roles":[]},"servers":{"set":["github"]},"expires_at_ms":1}"#;
        assert!(serde_json::from_str::<Decision>(v1).is_err());
        assert_ne!(DECISION_KEY_PREFIX, "authz:v1:");
    }

    #[test]
    fn freshness_ends_at_expiry() {
        let d = decision(AllowedServers::All);
        assert!(d.is_fresh(999));
        assert!(!d.is_fresh(1_000));
    }

    #[test]
    fn expiry_is_the_earlier_of_credential_expiry_and_ttl() {
        assert_eq!(decision_expiry(1_000, None), 61_000);
        assert_eq!(decision_expiry(1_000, Some(5_000)), 5_000);
        assert_eq!(decision_expiry(1_000, Some(100_000)), 61_000);
    }

    #[test]
    fn cache_key_depends_on_secret_and_credentials_and_hides_them() {
        let alice = Credentials {
            authorization: Some("Bearer token-a".into()),
            ..Credentials::default()
        };
        let bob = Credentials {
            authorization: Some("Bearer token-b".into()),
            ..Credentials::default()
        };
        let key = decision_cache_key(b"secret-1", &alice).unwrap();
        assert!(key.starts_with(DECISION_KEY_PREFIX));
        assert_eq!(key.len(), DECISION_KEY_PREFIX.len() + 64);
        assert!(!key.contains("token-a"));
        assert_eq!(key, decision_cache_key(b"secret-1", &alice).unwrap());
        assert_ne!(key, decision_cache_key(b"secret-2", &alice).unwrap());
        assert_ne!(key, decision_cache_key(b"secret-1", &bob).unwrap());
    }
}
