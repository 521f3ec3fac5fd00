//! From an authenticated caller and the policy to a [`Decision`].

use crate::api_key::ApiKeyRecord;
use crate::decision::{Decision, Principal, PrincipalKind, decision_expiry};
use crate::entra::EntraIdentity;
use crate::policy::{Policy, Subject, evaluate};

/// The decision for an Entra user whose complete group list is `groups` (the token's, or
/// Microsoft Graph's after an overage).
pub fn entra_decision(
    identity: &EntraIdentity,
    groups: Vec<String>,
    policy: &Policy,
    now_ms: u64,
) -> Decision {
    let ids = user_ids(identity);
    let servers = evaluate(
        Subject::User {
            ids: &ids,
            groups: &groups,
        },
        policy,
    )
    .servers();
    Decision {
        principal: Principal {
            id: identity.object_id.clone(),
            name: identity
                .username
                .clone()
                .unwrap_or_else(|| identity.object_id.clone()),
            kind: PrincipalKind::Entra,
            groups,
            roles: identity.roles.clone(),
        },
        servers,
        expires_at_ms: decision_expiry(now_ms, Some(identity.expires_at_secs.saturating_mul(1000))),
    }
}

/// Every identifier `user_tenant_access` may name this user by.
pub fn user_ids(identity: &EntraIdentity) -> Vec<String> {
    std::iter::once(identity.object_id.clone())
        .chain(identity.username.clone())
        .collect()
}

/// The decision for a usable API key. Groups asserted with the forwarder headers count only
/// when the key is flagged as a forwarder; from any other key they are ignored.
pub fn api_key_decision(
    key: &ApiKeyRecord,
    asserted_groups: Option<Vec<String>>,
    policy: &Policy,
    now_ms: u64,
) -> Decision {
    let (kind, groups) = match asserted_groups {
        Some(groups) if key.forwarder => (PrincipalKind::Forwarder, groups),
        _ => (PrincipalKind::ApiKey, Vec::new()),
    };
    let subject = match kind {
        PrincipalKind::Forwarder => Subject::Forwarder {
            key,
            groups: &groups,
        },
        _ => Subject::ApiKey(key),
    };
    let servers = evaluate(subject, policy).servers();
    Decision {
        principal: Principal {
            id: key.principal_id(),
            name: key.owner.clone(),
            kind,
            groups,
            roles: Vec::new(),
        },
        servers,
        expires_at_ms: decision_expiry(now_ms, key.expires_at_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::AllowedServers;
    use crate::policy::GroupGrant;

    fn policy() -> Policy {
        Policy {
            servers: ["github", "slack"].map(str::to_owned).into_iter().collect(),
            group_grants: vec![GroupGrant {
                group: "MCP-GitHub".into(),
                server: "github".into(),
            }],
            user_rules: vec![],
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
        let decision = entra_decision(&identity, vec!["MCP-GitHub".into()], &policy(), 1_000);
        assert!(decision.allows("github"));
        assert!(!decision.allows("slack"));
        assert_eq!(decision.principal.name, "alice@example.com");
        assert_eq!(decision.expires_at_ms, 30_000);
    }

    #[test]
    fn forwarder_headers_count_only_for_forwarder_keys() {
        let groups = Some(vec!["MCP-GitHub".to_owned()]);
        let forwarded = api_key_decision(&key(true), groups.clone(), &policy(), 0);
        assert_eq!(forwarded.principal.kind, PrincipalKind::Forwarder);
        assert!(forwarded.allows("github"));
        assert!(!forwarded.allows("slack"));

        let plain = api_key_decision(&key(false), groups, &policy(), 0);
        assert_eq!(plain.principal.kind, PrincipalKind::ApiKey);
        assert!(plain.principal.groups.is_empty());
        assert_eq!(plain.servers, AllowedServers::All);
        assert_eq!(plain.expires_at_ms, 10_000);
    }
}
