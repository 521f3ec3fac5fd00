//! Which servers a subject may use, from the policy rows, with the rule that decided each one.
//!
//! Order of precedence for one server: a user deny (for that server or `*`) wins; then a user
//! grant; then a group grant; otherwise no access. API keys carry their own server list; a
//! forwarder's asserted groups are additionally bounded by its key's list.

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

/// A `group_tenant_mapping` row: members of `group` (name or object id) may use `server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupGrant {
    pub group: String,
    pub server: String,
}

/// A `user_tenant_access` row: `user` (object id, UPN or email) is granted or denied `server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRule {
    pub user: String,
    pub server: String,
    pub effect: Effect,
}

/// The policy rows an evaluation needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Registered server ids.
    pub servers: BTreeSet<String>,
    pub group_grants: Vec<GroupGrant>,
    pub user_rules: Vec<UserRule>,
}

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A user: every identifier the policy may name them by, and their groups.
    User {
        ids: &'a [String],
        groups: &'a [String],
    },
    ApiKey(&'a ApiKeyRecord),
    /// A trusted forwarder speaking for a user: the user's rules and groups, bounded by the key.
    Forwarder {
        key: &'a ApiKeyRecord,
        ids: &'a [String],
        groups: &'a [String],
    },
}

/// The rule that decided one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    UserDeny { user: String, server: String },
    UserGrant { user: String, server: String },
    GroupGrant { group: String, server: String },
    ApiKeyServers { key_id: i64 },
    OutsideApiKeyServers { key_id: i64 },
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
            Self::GroupGrant { group, server } => write!(
                f,
                "group_tenant_mapping maps group '{group}' to server '{server}'"
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

fn contains_ignore_case(haystack: &[String], needle: &str) -> bool {
    haystack
        .iter()
        .any(|item| item.eq_ignore_ascii_case(needle))
}

/// The evaluation of one subject against one policy.
pub struct Evaluation<'a> {
    subject: Subject<'a>,
    policy: &'a Policy,
}

pub fn evaluate<'a>(subject: Subject<'a>, policy: &'a Policy) -> Evaluation<'a> {
    Evaluation { subject, policy }
}

impl Evaluation<'_> {
    fn user_rules(&self) -> impl Iterator<Item = &UserRule> {
        let ids: &[String] = match self.subject {
            Subject::User { ids, .. } | Subject::Forwarder { ids, .. } => ids,
            Subject::ApiKey(_) => &[],
        };
        self.policy
            .user_rules
            .iter()
            .filter(move |rule| contains_ignore_case(ids, &rule.user))
    }

    fn group_grants(&self) -> impl Iterator<Item = &GroupGrant> {
        let groups: &[String] = match self.subject {
            Subject::User { groups, .. } | Subject::Forwarder { groups, .. } => groups,
            Subject::ApiKey(_) => &[],
        };
        self.policy
            .group_grants
            .iter()
            .filter(move |grant| contains_ignore_case(groups, &grant.group))
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
                    user: deny.user.clone(),
                    server: deny.server.clone(),
                },
            };
        }
        if let Some(grant) = rules.first() {
            return Verdict {
                allowed: true,
                rule: Rule::UserGrant {
                    user: grant.user.clone(),
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
            Subject::User { .. } => self.identity_verdict(server),
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
            Subject::User { .. } => star_grant && !any_deny,
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

    fn policy() -> Policy {
        Policy {
            servers: ["github", "linear", "notion"]
                .map(str::to_owned)
                .into_iter()
                .collect(),
            group_grants: vec![
                GroupGrant {
                    group: "MCP-GitHub".into(),
                    server: "github".into(),
                },
                GroupGrant {
                    group: "MCP-Admin".into(),
                    server: "*".into(),
                },
            ],
            user_rules: vec![
                UserRule {
                    user: "alice@example.com".into(),
                    server: "linear".into(),
                    effect: Effect::Grant,
                },
                UserRule {
                    user: "mallory@example.com".into(),
                    server: "github".into(),
                    effect: Effect::Deny,
                },
            ],
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    fn set(items: &[&str]) -> AllowedServers {
        AllowedServers::Set(items.iter().map(|item| (*item).to_owned()).collect())
    }

    #[test]
    fn group_grant_allows_its_server_only() {
        let policy = policy();
        let (ids, groups) = (strings(&["bob@example.com"]), strings(&["mcp-github"]));
        let eval = evaluate(
            Subject::User {
                ids: &ids,
                groups: &groups,
            },
            &policy,
        );
        assert_eq!(eval.servers(), set(&["github"]));
        assert_eq!(
            eval.explain("github").rule,
            Rule::GroupGrant {
                group: "MCP-GitHub".into(),
                server: "github".into()
            }
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
    fn user_grant_adds_to_groups() {
        let policy = policy();
        let (ids, groups) = (strings(&["oid-a", "Alice@Example.com"]), strings(&[]));
        let eval = evaluate(
            Subject::User {
                ids: &ids,
                groups: &groups,
            },
            &policy,
        );
        assert_eq!(eval.servers(), set(&["linear"]));
        assert!(matches!(
            eval.explain("linear").rule,
            Rule::UserGrant { .. }
        ));
    }

    #[test]
    fn deny_wins_over_a_star_group_grant() {
        let policy = policy();
        let (ids, groups) = (strings(&["mallory@example.com"]), strings(&["MCP-Admin"]));
        let eval = evaluate(
            Subject::User {
                ids: &ids,
                groups: &groups,
            },
            &policy,
        );
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
        let (ids, groups) = (strings(&["root"]), strings(&["MCP-Admin"]));
        let eval = evaluate(
            Subject::User {
                ids: &ids,
                groups: &groups,
            },
            &policy,
        );
        assert_eq!(eval.servers(), AllowedServers::All);
        assert!(eval.explain("registered-later").allowed);
    }

    #[test]
    fn unknown_servers_are_denied_without_a_star() {
        let policy = policy();
        let (ids, groups) = (strings(&["bob"]), strings(&["MCP-GitHub"]));
        let eval = evaluate(
            Subject::User {
                ids: &ids,
                groups: &groups,
            },
            &policy,
        );
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
    fn forwarder_groups_are_bounded_by_its_key() {
        let policy = policy();
        let key = key(set(&["github", "linear"]), true);
        let (ids, groups) = (strings(&["bob@example.com"]), strings(&["MCP-Admin"]));
        let eval = evaluate(
            Subject::Forwarder {
                key: &key,
                ids: &ids,
                groups: &groups,
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
        let (ids, groups) = (strings(&["mallory@example.com"]), strings(&["MCP-Admin"]));
        let eval = evaluate(
            Subject::Forwarder {
                key: &key,
                ids: &ids,
                groups: &groups,
            },
            &policy,
        );
        assert_eq!(eval.servers(), set(&["linear", "notion"]));
        assert!(matches!(eval.explain("github").rule, Rule::UserDeny { .. }));
    }
}
