//! From an authenticated caller and the policy to a [`Decision`].

use crate::api_key::ApiKeyRecord;
use crate::credentials::{Credentials, ForwardedIdentity, IncompleteForwardedIdentity};
use crate::decision::{Decision, Principal, PrincipalKind, decision_expiry};
use crate::entra::EntraIdentity;
use crate::policy::{Policy, Subject, UserIdentity, evaluate};

/// The user a validated token names, with their complete group list (the token's, or Microsoft
/// Graph's after an overage).
pub fn entra_user<'a>(identity: &'a EntraIdentity, groups: &'a [String]) -> UserIdentity<'a> {
    UserIdentity {
        tenant_id: &identity.tenant_id,
        object_id: &identity.object_id,
        username: identity.username.as_deref(),
        groups,
    }
}

/// The decision for an Entra user whose complete group list is `groups`.
pub fn entra_decision(
    identity: &EntraIdentity,
    groups: Vec<String>,
    policy: &Policy,
    now_ms: u64,
) -> Decision {
    let servers = evaluate(Subject::User(entra_user(identity, &groups)), policy).servers();
    Decision {
        principal: Principal {
            id: identity.object_id.clone(),
            name: identity
                .username
                .clone()
                .unwrap_or_else(|| identity.object_id.clone()),
            kind: PrincipalKind::Entra,
            tenant_id: Some(identity.tenant_id.clone()),
            groups,
            roles: identity.roles.clone(),
            forwarded_by: None,
        },
        servers,
        expires_at_ms: decision_expiry(now_ms, Some(identity.expires_at_secs.saturating_mul(1000))),
    }
}

/// Why a trusted-forwarder key was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ForwarderRefusal {
    /// A forwarder key alone names nobody: it is never a credential of its own.
    #[error(
        "a trusted-forwarder key is accepted only with the identity of the user it speaks for (X-Auth-Source: entra-token, X-Entra-Oid, X-Entra-Tid, X-Entra-Groups)"
    )]
    NoIdentity,
    #[error(transparent)]
    Incomplete(#[from] IncompleteForwardedIdentity),
}

/// Who a usable API key speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeyCaller<'k> {
    /// An ordinary key: the service itself. Forwarding headers sent with it are ignored.
    Service(&'k ApiKeyRecord),
    /// A forwarder key with the user it forwards.
    Forwarder(&'k ApiKeyRecord, ForwardedIdentity),
}

impl<'k> ApiKeyCaller<'k> {
    pub fn new(key: &'k ApiKeyRecord, credentials: &Credentials) -> Result<Self, ForwarderRefusal> {
        if !key.forwarder {
            return Ok(Self::Service(key));
        }
        let user = credentials
            .forwarded_identity()
            .ok_or(ForwarderRefusal::NoIdentity)??;
        Ok(Self::Forwarder(key, user))
    }

    /// The forwarded user, whose rules and groups apply.
    pub fn user(&self) -> Option<UserIdentity<'_>> {
        match self {
            Self::Service(_) => None,
            Self::Forwarder(_, user) => Some(UserIdentity {
                tenant_id: &user.tenant_id,
                object_id: &user.object_id,
                username: None,
                groups: &user.groups,
            }),
        }
    }
}

/// The decision for a usable API key. A forwarded user is the principal (so the audit names
/// them); the servers are the user's policy bounded by the key's own list.
pub fn api_key_decision(caller: &ApiKeyCaller<'_>, policy: &Policy, now_ms: u64) -> Decision {
    let (key, principal) = match caller {
        ApiKeyCaller::Service(key) => (
            *key,
            Principal {
                id: key.principal_id(),
                name: key.owner.clone(),
                kind: PrincipalKind::ApiKey,
                tenant_id: None,
                groups: Vec::new(),
                roles: Vec::new(),
                forwarded_by: None,
            },
        ),
        ApiKeyCaller::Forwarder(key, user) => (
            *key,
            Principal {
                id: user.object_id.clone(),
                name: user.object_id.clone(),
                kind: PrincipalKind::Forwarder,
                tenant_id: Some(user.tenant_id.clone()),
                groups: user.groups.clone(),
                roles: Vec::new(),
                forwarded_by: Some(key.principal_id()),
            },
        ),
    };
    let subject = match caller.user() {
        Some(user) => Subject::Forwarder { key, user },
        None => Subject::ApiKey(key),
    };
    let servers = evaluate(subject, policy).servers();
    Decision {
        principal,
        servers,
        expires_at_ms: decision_expiry(now_ms, key.expires_at_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::AllowedServers;
    use crate::policy::GroupGrant;
    use crate::tools::GrantedTools;

    const GITHUB_GROUP: &str = "0f0e0d0c-0000-0000-0000-000000000001";

    fn policy() -> Policy {
        Policy {
            servers: ["github", "slack"].map(str::to_owned).into_iter().collect(),
            group_grants: vec![GroupGrant {
                group: "MCP-GitHub".into(),
                tenant_id: "t".into(),
                object_id: GITHUB_GROUP.into(),
                server: "github".into(),
                tools: GrantedTools::All,
            }],
            user_rules: vec![],
            tool_denies: vec![],
        }
    }

    fn key(forwarder: bool) -> ApiKeyRecord {
        ApiKeyRecord {
            id: 1,
            owner: "open-webui".into(),
            servers: AllowedServers::All,
            forwarder,
            revoked: false,
            expires_at_ms: Some(10_000),
        }
    }

    #[test]
    fn entra_decision_uses_groups_and_token_expiry() {
        let identity = EntraIdentity {
            object_id: "oid-1".into(),
            tenant_id: "t".into(),
            username: Some("alice@example.com".into()),
            groups: vec![],
            roles: vec!["Reader".into()],
            group_overage: false,
            expires_at_secs: 30,
        };
        let decision = entra_decision(&identity, vec![GITHUB_GROUP.into()], &policy(), 1_000);
        assert!(decision.allows("github"));
        assert_eq!(decision.principal.tenant_id.as_deref(), Some("t"));
        assert!(!decision.allows("slack"));
        assert_eq!(decision.principal.name, "alice@example.com");
        assert_eq!(decision.expires_at_ms, 30_000);
    }

    fn forwarded(headers: &[(&'static str, &'static str)]) -> Credentials {
        Credentials::from_headers(
            [("x-auth-source", "entra-token")]
                .into_iter()
                .chain(headers.iter().copied()),
        )
    }

    #[test]
    fn forwarder_speaks_for_the_forwarded_user_within_its_key() {
        let key = key(true);
        let credentials = forwarded(&[
            ("x-entra-groups", GITHUB_GROUP),
            ("x-entra-oid", "oid-7"),
            ("x-entra-tid", "t"),
        ]);
        let caller = ApiKeyCaller::new(&key, &credentials).unwrap();
        assert_eq!(caller.user().map(|user| user.object_id), Some("oid-7"));
        let decision = api_key_decision(&caller, &policy(), 0);
        assert_eq!(decision.principal.kind, PrincipalKind::Forwarder);
        assert_eq!(decision.principal.id, "oid-7");
        assert_eq!(decision.principal.forwarded_by.as_deref(), Some("apikey:1"));
        assert!(decision.allows("github"));
        assert!(!decision.allows("slack"));
    }

    #[test]
    fn forwarder_key_without_a_complete_user_gets_nothing() {
        let key = key(true);
        assert_eq!(
            ApiKeyCaller::new(&key, &Credentials::default()),
            Err(ForwarderRefusal::NoIdentity)
        );
        let groups_only = forwarded(&[("x-entra-groups", "MCP-GitHub")]);
        assert_eq!(
            ApiKeyCaller::new(&key, &groups_only),
            Err(ForwarderRefusal::Incomplete(IncompleteForwardedIdentity))
        );
    }

    #[test]
    fn forwarding_headers_are_ignored_from_ordinary_keys() {
        let key = key(false);
        let credentials = forwarded(&[
            ("x-entra-groups", "MCP-GitHub"),
            ("x-entra-oid", "oid-7"),
            ("x-entra-tid", "t"),
        ]);
        let caller = ApiKeyCaller::new(&key, &credentials).unwrap();
        assert_eq!(caller, ApiKeyCaller::Service(&key));
        let plain = api_key_decision(&caller, &policy(), 0);
        assert_eq!(plain.principal.kind, PrincipalKind::ApiKey);
        assert!(plain.principal.groups.is_empty());
        assert_eq!(plain.servers, AllowedServers::All);
        assert_eq!(plain.expires_at_ms, 10_000);
    }
}
