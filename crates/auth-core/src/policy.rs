//! Which servers a subject may use, from the policy rows, with the rule that decided each one.
//!
//! Identities, not names: a group grant matches a group's object id within a tenant (the
//! mapping's display name is a label, linked to the object id by an administrator), and a user
//! rule matches the user's object id (`oid`) within their tenant (`tid`); usernames are labels.
//!
//! Order of precedence for one server: a user deny (for that server or `*`) wins; then a user
//! grant; then a group grant; otherwise no access. API keys carry their own server list; a
//! forwarded user's access is additionally bounded by the forwarder key's list.

use std::collections::BTreeSet;
use std::fmt;

use crate::api_key::ApiKeyRecord;
use crate::decision::AllowedServers;

/// Server column value meaning "every server".
pub const ALL_SERVERS: &str = "*";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Grant,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Deny => "deny",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "grant" => Some(Self::Grant),
            "deny" => Some(Self::Deny),
            _ => None,
        }
    }
}

/// A `group_tenant_mapping` row whose label is linked (`group_links`) to a group in a tenant:
/// members of that group may use `server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupGrant {
    /// The administrators' label (`MCP-Admin`); never matched against a token.
    pub group: String,
    pub tenant_id: String,
    pub object_id: String,
    pub server: String,
}

/// Whom a `user_tenant_access` row names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleUser {
    /// The user's object id within their tenant.
    Object {
        tenant_id: String,
        object_id: String,
    },
    /// A row written before rules named identities (a UPN, email or object id without tenant).
    /// Only as a deny does it still apply (it can only narrow access); as a grant it grants
    /// nothing.
    Legacy,
}

/// A `user_tenant_access` row: the user is granted or denied `server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRule {
    pub user: RuleUser,
    /// The administrators' label (UPN or email; the object id when none was given).
    pub label: String,
    pub server: String,
    pub effect: Effect,
}

impl UserRule {
    fn names(&self, user: &UserIdentity<'_>) -> bool {
        match &self.user {
            RuleUser::Object {
                tenant_id,
                object_id,
            } => {
                tenant_id.eq_ignore_ascii_case(user.tenant_id)
                    && object_id.eq_ignore_ascii_case(user.object_id)
            }
            RuleUser::Legacy => {
                self.effect == Effect::Deny
                    && std::iter::once(user.object_id)
                        .chain(user.username)
                        .any(|id| id.eq_ignore_ascii_case(&self.label))
            }
        }
    }

    /// How `explain` names the user: label and identity.
    fn describe(&self) -> String {
        match &self.user {
            RuleUser::Object {
                tenant_id,
                object_id,
            } if *object_id == self.label => format!("{object_id} in tenant {tenant_id}"),
            RuleUser::Object {
                tenant_id,
                object_id,
            } => format!(
                "{} (object id {object_id} in tenant {tenant_id})",
                self.label
            ),
            RuleUser::Legacy => format!("{} (legacy label rule)", self.label),
        }
    }
}

impl GroupGrant {
    fn names(&self, user: &UserIdentity<'_>) -> bool {
        self.tenant_id.eq_ignore_ascii_case(user.tenant_id)
            && user
                .groups
                .iter()
                .any(|group| group.eq_ignore_ascii_case(&self.object_id))
    }
}

/// The policy rows an evaluation needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Registered server ids.
    pub servers: BTreeSet<String>,
    pub group_grants: Vec<GroupGrant>,
    pub user_rules: Vec<UserRule>,
}

/// A user as a validated token (or a trusted forwarder) names them.
#[derive(Debug, Clone, Copy)]
pub struct UserIdentity<'a> {
    pub tenant_id: &'a str,
    pub object_id: &'a str,
    /// `preferred_username`/`upn`/`email`: a label, matched only by legacy denies.
    pub username: Option<&'a str>,
    /// Group object ids.
    pub groups: &'a [String],
}

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    User(UserIdentity<'a>),
    ApiKey(&'a ApiKeyRecord),
    /// A trusted forwarder speaking for a user: the user's rules and groups, bounded by the key.
    Forwarder {
        key: &'a ApiKeyRecord,
        user: UserIdentity<'a>,
    },
}

/// The rule that decided one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `user` names label and identity.
    UserDeny {
        user: String,
        server: String,
    },
    UserGrant {
        user: String,
        server: String,
    },
    GroupGrant {
        group: String,
        object_id: String,
        server: String,
    },
    ApiKeyServers {
        key_id: i64,
    },
    OutsideApiKeyServers {
        key_id: i64,
    },
    UnknownServer,
    NoMatchingRule,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UserDeny { user, server } => write!(
                f,
                "user_tenant_access denies user '{user}' server '{server}' (a deny wins over every grant)"
            ),
            Self::UserGrant { user, server } => write!(
                f,
                "user_tenant_access grants user '{user}' server '{server}'"
            ),
            Self::GroupGrant {
                group,
                object_id,
                server,
            } => write!(
                f,
                "group_tenant_mapping maps group '{group}' (object id {object_id}) to server '{server}'"
            ),
            Self::ApiKeyServers { key_id } => {
                write!(f, "API key {key_id} lists this server")
            }
            Self::OutsideApiKeyServers { key_id } => {
                write!(f, "API key {key_id} does not list this server")
            }
            Self::UnknownServer => write!(f, "no such server is registered"),
            Self::NoMatchingRule => write!(
                f,
                "no group_tenant_mapping or user_tenant_access row gives access (default deny)"
            ),
        }
    }
}

/// The outcome for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub rule: Rule,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = if self.allowed { "allowed" } else { "denied" };
        write!(f, "{outcome}: {}", self.rule)
    }
}

fn names_server(column: &str, server: &str) -> bool {
    column == ALL_SERVERS || column == server
}

/// The evaluation of one subject against one policy.
pub struct Evaluation<'a> {
    subject: Subject<'a>,
    policy: &'a Policy,
}

pub fn evaluate<'a>(subject: Subject<'a>, policy: &'a Policy) -> Evaluation<'a> {
    Evaluation { subject, policy }
}

impl<'a> Evaluation<'a> {
    fn user(&self) -> Option<UserIdentity<'a>> {
        match self.subject {
            Subject::User(user) | Subject::Forwarder { user, .. } => Some(user),
            Subject::ApiKey(_) => None,
        }
    }

    fn user_rules(&self) -> impl Iterator<Item = &UserRule> {
        let user = self.user();
        self.policy
            .user_rules
            .iter()
            .filter(move |rule| user.is_some_and(|user| rule.names(&user)))
    }

    fn group_grants(&self) -> impl Iterator<Item = &GroupGrant> {
        let user = self.user();
        self.policy
            .group_grants
            .iter()
            .filter(move |grant| user.is_some_and(|user| grant.names(&user)))
    }

    /// The user and group rules for `server`, before any API-key bound.
    fn identity_verdict(&self, server: &str) -> Verdict {
        let rules: Vec<&UserRule> = self
            .user_rules()
            .filter(|rule| names_server(&rule.server, server))
            .collect();
        if let Some(deny) = rules.iter().find(|rule| rule.effect == Effect::Deny) {
            return Verdict {
                allowed: false,
                rule: Rule::UserDeny {
                    user: deny.describe(),
                    server: deny.server.clone(),
                },
            };
        }
        if let Some(grant) = rules.iter().find(|rule| rule.effect == Effect::Grant) {
            return Verdict {
                allowed: true,
                rule: Rule::UserGrant {
                    user: grant.describe(),
                    server: grant.server.clone(),
                },
            };
        }
        match self
            .group_grants()
            .find(|grant| names_server(&grant.server, server))
        {
            Some(grant) => Verdict {
                allowed: true,
                rule: Rule::GroupGrant {
                    group: grant.group.clone(),
                    object_id: grant.object_id.clone(),
                    server: grant.server.clone(),
                },
            },
            None => Verdict {
                allowed: false,
                rule: Rule::NoMatchingRule,
            },
        }
    }

    fn rule_verdict(&self, server: &str) -> Verdict {
        match self.subject {
            Subject::User(_) => self.identity_verdict(server),
            Subject::ApiKey(key) => Verdict {
                allowed: key.servers.allows(server),
                rule: if key.servers.allows(server) {
                    Rule::ApiKeyServers { key_id: key.id }
                } else {
                    Rule::OutsideApiKeyServers { key_id: key.id }
                },
            },
            Subject::Forwarder { key, .. } if !key.servers.allows(server) => Verdict {
                allowed: false,
                rule: Rule::OutsideApiKeyServers { key_id: key.id },
            },
            Subject::Forwarder { .. } => self.identity_verdict(server),
        }
    }

    /// `*` reaches every server, including ones registered later, only when nothing narrows it.
    fn reaches_all(&self) -> bool {
        let star_grant = self
            .user_rules()
            .any(|rule| rule.effect == Effect::Grant && rule.server == ALL_SERVERS)
            || self.group_grants().any(|grant| grant.server == ALL_SERVERS);
        let any_deny = self.user_rules().any(|rule| rule.effect == Effect::Deny);
        match self.subject {
            Subject::User(_) => star_grant && !any_deny,
            Subject::ApiKey(key) => key.servers == AllowedServers::All,
            Subject::Forwarder { key, .. } => {
                key.servers == AllowedServers::All && star_grant && !any_deny
            }
        }
    }

    pub fn servers(&self) -> AllowedServers {
        if self.reaches_all() {
            return AllowedServers::All;
        }
        AllowedServers::Set(
            self.policy
                .servers
                .iter()
                .filter(|server| self.rule_verdict(server).allowed)
                .cloned()
                .collect(),
        )
    }

    /// Whether `server` is allowed and which rule decided it; agrees with [`Self::servers`].
    pub fn explain(&self, server: &str) -> Verdict {
        if !self.policy.servers.contains(server) && !self.reaches_all() {
            return Verdict {
                allowed: false,
                rule: Rule::UnknownServer,
            };
        }
        self.rule_verdict(server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "t-1";
    const GITHUB_GROUP: &str = "g-github";
    const ADMIN_GROUP: &str = "g-admin";

    fn group(label: &str, object_id: &str, server: &str) -> GroupGrant {
        GroupGrant {
            group: label.into(),
            tenant_id: TENANT.into(),
            object_id: object_id.into(),
            server: server.into(),
        }
    }

    fn rule(object_id: &str, label: &str, server: &str, effect: Effect) -> UserRule {
        UserRule {
            user: RuleUser::Object {
                tenant_id: TENANT.into(),
                object_id: object_id.into(),
            },
            label: label.into(),
            server: server.into(),
            effect,
        }
    }

    fn policy() -> Policy {
        Policy {
            servers: ["github", "linear", "notion"]
                .map(str::to_owned)
                .into_iter()
                .collect(),
            group_grants: vec![
                group("MCP-GitHub", GITHUB_GROUP, "github"),
                group("MCP-Admin", ADMIN_GROUP, "*"),
            ],
            user_rules: vec![
                rule("oid-alice", "alice@example.com", "linear", Effect::Grant),
                rule("oid-mallory", "mallory@example.com", "github", Effect::Deny),
            ],
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    fn set(items: &[&str]) -> AllowedServers {
        AllowedServers::Set(items.iter().map(|item| (*item).to_owned()).collect())
    }

    fn user<'a>(object_id: &'a str, groups: &'a [String]) -> UserIdentity<'a> {
        UserIdentity {
            tenant_id: TENANT,
            object_id,
            username: None,
            groups,
        }
    }

    #[test]
    fn group_grant_allows_its_server_only() {
        let policy = policy();
        let groups = strings(&["G-GITHUB"]);
        let eval = evaluate(Subject::User(user("oid-bob", &groups)), &policy);
        assert_eq!(eval.servers(), set(&["github"]));
        assert_eq!(
            eval.explain("github").rule,
            Rule::GroupGrant {
                group: "MCP-GitHub".into(),
                object_id: GITHUB_GROUP.into(),
                server: "github".into()
            }
        );
        assert!(
            eval.explain("github")
                .to_string()
                .contains("'MCP-GitHub' (object id g-github)")
        );
        assert_eq!(
            eval.explain("linear"),
            Verdict {
                allowed: false,
                rule: Rule::NoMatchingRule
            }
        );
    }

    #[test]
    fn group_labels_and_other_tenants_match_nothing() {
        let policy = policy();
        let labels = strings(&["MCP-Admin", "mcp-github"]);
        let by_label = evaluate(Subject::User(user("oid-bob", &labels)), &policy);
        assert_eq!(by_label.servers(), set(&[]));

        let ids = strings(&[ADMIN_GROUP]);
        let elsewhere = UserIdentity {
            tenant_id: "t-2",
            ..user("oid-bob", &ids)
        };
        assert_eq!(
            evaluate(Subject::User(elsewhere), &policy).servers(),
            set(&[])
        );
        assert_eq!(
            evaluate(Subject::User(user("oid-bob", &ids)), &policy).servers(),
            AllowedServers::All,
            "the same id in its own tenant"
        );
    }

    #[test]
    fn user_grant_matches_the_object_id_within_its_tenant_only() {
        let policy = policy();
        let groups = strings(&[]);
        let alice = UserIdentity {
            username: Some("someone@example.com"),
            ..user("OID-ALICE", &groups)
        };
        let eval = evaluate(Subject::User(alice), &policy);
        assert_eq!(eval.servers(), set(&["linear"]));
        assert!(
            eval.explain("linear")
                .to_string()
                .contains("alice@example.com (object id oid-alice in tenant t-1)")
        );

        let by_username = UserIdentity {
            username: Some("alice@example.com"),
            ..user("oid-eve", &groups)
        };
        assert_eq!(
            evaluate(Subject::User(by_username), &policy).servers(),
            set(&[])
        );
        let elsewhere = UserIdentity {
            tenant_id: "t-2",
            ..user("oid-alice", &groups)
        };
        assert_eq!(
            evaluate(Subject::User(elsewhere), &policy).servers(),
            set(&[])
        );
    }

    #[test]
    fn legacy_label_rules_still_deny_but_never_grant() {
        let mut policy = policy();
        for (label, server, effect) in [
            ("eve@example.com", "notion", Effect::Grant),
            ("root@example.com", "github", Effect::Deny),
        ] {
            policy.user_rules.push(UserRule {
                user: RuleUser::Legacy,
                label: label.into(),
                server: server.into(),
                effect,
            });
        }
        let none = strings(&[]);
        let eve = UserIdentity {
            username: Some("eve@example.com"),
            ..user("oid-eve", &none)
        };
        assert_eq!(evaluate(Subject::User(eve), &policy).servers(), set(&[]));

        let admin = strings(&[ADMIN_GROUP]);
        let root = UserIdentity {
            username: Some("ROOT@example.com"),
            ..user("oid-root", &admin)
        };
        let eval = evaluate(Subject::User(root), &policy);
        assert_eq!(eval.servers(), set(&["linear", "notion"]));
        assert!(
            eval.explain("github")
                .to_string()
                .contains("legacy label rule")
        );
    }

    #[test]
    fn deny_wins_over_a_star_group_grant() {
        let policy = policy();
        let groups = strings(&[ADMIN_GROUP]);
        let eval = evaluate(Subject::User(user("oid-mallory", &groups)), &policy);
        assert_eq!(eval.servers(), set(&["linear", "notion"]));
        let verdict = eval.explain("github");
        assert!(!verdict.allowed);
        assert!(matches!(verdict.rule, Rule::UserDeny { .. }));
        assert!(
            verdict
                .to_string()
                .starts_with("denied: user_tenant_access denies")
        );
    }

    #[test]
    fn star_without_denies_reaches_all_servers() {
        let policy = policy();
        let groups = strings(&[ADMIN_GROUP]);
        let eval = evaluate(Subject::User(user("oid-root", &groups)), &policy);
        assert_eq!(eval.servers(), AllowedServers::All);
        assert!(eval.explain("registered-later").allowed);
    }

    #[test]
    fn unknown_servers_are_denied_without_a_star() {
        let policy = policy();
        let groups = strings(&[GITHUB_GROUP]);
        let eval = evaluate(Subject::User(user("oid-bob", &groups)), &policy);
        assert_eq!(eval.explain("nope").rule, Rule::UnknownServer);
    }

    fn key(servers: AllowedServers, forwarder: bool) -> ApiKeyRecord {
        ApiKeyRecord {
            id: 3,
            owner: "svc".into(),
            servers,
            forwarder,
            revoked: false,
            expires_at_ms: None,
        }
    }

    #[test]
    fn api_key_reaches_exactly_its_servers() {
        let policy = policy();
        let key = key(set(&["notion"]), false);
        let eval = evaluate(Subject::ApiKey(&key), &policy);
        assert_eq!(eval.servers(), set(&["notion"]));
        assert!(!eval.explain("github").allowed);
    }

    #[test]
    fn forwarded_users_are_bounded_by_the_key() {
        let policy = policy();
        let key = key(set(&["github", "linear"]), true);
        let groups = strings(&[ADMIN_GROUP]);
        let eval = evaluate(
            Subject::Forwarder {
                key: &key,
                user: user("oid-bob", &groups),
            },
            &policy,
        );
        assert_eq!(eval.servers(), set(&["github", "linear"]));
        assert_eq!(
            eval.explain("notion").rule,
            Rule::OutsideApiKeyServers { key_id: 3 }
        );
    }

    #[test]
    fn user_denies_apply_to_a_forwarded_user() {
        let policy = policy();
        let key = key(AllowedServers::All, true);
        let groups = strings(&[ADMIN_GROUP]);
        let eval = evaluate(
            Subject::Forwarder {
                key: &key,
                user: user("oid-mallory", &groups),
            },
            &policy,
        );
        assert_eq!(eval.servers(), set(&["linear", "notion"]));
        assert!(matches!(eval.explain("github").rule, Rule::UserDeny { .. }));
    }
}
