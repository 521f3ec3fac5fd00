//! Which servers, and which of their tools, a subject may use, from the policy rows, with the
//! rule that decided each one.
//!
//! Identities, not names: a group grant matches a group's object id within a tenant (the
//! mapping's display name is a label, linked to the object id by an administrator), and a user
//! rule matches the user's object id (`oid`) within their tenant (`tid`); usernames are labels.
//!
//! Order of precedence for one server: a user deny (for that server or `*`) wins; then a user
//! grant; then a group grant; otherwise no access. API keys carry their own server list; a
//! forwarded user's access is additionally bounded by the forwarder key's list.
//!
//! Tools of an allowed server: every grant that gives the server adds its tools (the whole
//! server, or the tools its patterns match); a tool deny of the user or of one of their groups
//! hides a tool whatever the grants give. API keys reach every tool of their servers.

use std::collections::BTreeSet;
use std::fmt;

use crate::api_key::ApiKeyRecord;
use crate::decision::AllowedServers;
use crate::tools::{GrantedTools, ToolAccess, ToolPattern, join};

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
/// members of that group may use `tools` of `server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupGrant {
    /// The administrators' label (`MCP-Admin`); never matched against a token.
    pub group: String,
    pub tenant_id: String,
    pub object_id: String,
    pub server: String,
    pub tools: GrantedTools,
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
    /// What a grant gives (a deny always takes the whole server).
    pub tools: GrantedTools,
}

/// Who a tool deny applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeniedTo {
    /// The members of a group (`group_tool_denies`, by label linked like a mapping's).
    Group {
        group: String,
        tenant_id: String,
        object_id: String,
    },
    /// A user by object id within their tenant (`user_tool_denies`).
    User {
        label: String,
        tenant_id: String,
        object_id: String,
    },
}

/// A `group_tool_denies` or `user_tool_denies` row: the tools `tool` matches of `server` are
/// hidden from whom it names, whatever the grants give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolDeny {
    pub to: DeniedTo,
    pub server: String,
    pub tool: ToolPattern,
}

fn is_member(tenant_id: &str, object_id: &str, user: &UserIdentity<'_>) -> bool {
    tenant_id.eq_ignore_ascii_case(user.tenant_id)
        && user
            .groups
            .iter()
            .any(|group| group.eq_ignore_ascii_case(object_id))
}

fn is_user(tenant_id: &str, object_id: &str, user: &UserIdentity<'_>) -> bool {
    tenant_id.eq_ignore_ascii_case(user.tenant_id) && object_id.eq_ignore_ascii_case(user.object_id)
}

/// How `explain` names a user: label and identity.
fn describe_user(label: &str, tenant_id: &str, object_id: &str) -> String {
    if object_id == label {
        format!("{object_id} in tenant {tenant_id}")
    } else {
        format!("{label} (object id {object_id} in tenant {tenant_id})")
    }
}

impl UserRule {
    fn names(&self, user: &UserIdentity<'_>) -> bool {
        match &self.user {
            RuleUser::Object {
                tenant_id,
                object_id,
            } => is_user(tenant_id, object_id, user),
            RuleUser::Legacy => {
                self.effect == Effect::Deny
                    && std::iter::once(user.object_id)
                        .chain(user.username)
                        .any(|id| id.eq_ignore_ascii_case(&self.label))
            }
        }
    }

    fn describe(&self) -> String {
        match &self.user {
            RuleUser::Object {
                tenant_id,
                object_id,
            } => describe_user(&self.label, tenant_id, object_id),
            RuleUser::Legacy => format!("{} (legacy label rule)", self.label),
        }
    }
}

impl GroupGrant {
    fn names(&self, user: &UserIdentity<'_>) -> bool {
        is_member(&self.tenant_id, &self.object_id, user)
    }
}

impl ToolDeny {
    fn names(&self, user: &UserIdentity<'_>) -> bool {
        match &self.to {
            DeniedTo::Group {
                tenant_id,
                object_id,
                ..
            } => is_member(tenant_id, object_id, user),
            DeniedTo::User {
                tenant_id,
                object_id,
                ..
            } => is_user(tenant_id, object_id, user),
        }
    }

    fn rule(&self) -> ToolRule {
        let (who, server, tool) = (self.to.clone(), self.server.clone(), self.tool.clone());
        match who {
            DeniedTo::Group {
                group, object_id, ..
            } => ToolRule::GroupDeny {
                group,
                object_id,
                server,
                tool,
            },
            DeniedTo::User {
                label,
                tenant_id,
                object_id,
            } => ToolRule::UserDeny {
                user: describe_user(&label, &tenant_id, &object_id),
                server,
                tool,
            },
        }
    }
}

/// The policy rows an evaluation needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Registered server ids.
    pub servers: BTreeSet<String>,
    pub group_grants: Vec<GroupGrant>,
    pub user_rules: Vec<UserRule>,
    pub tool_denies: Vec<ToolDeny>,
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
        tools: GrantedTools,
    },
    GroupGrant {
        group: String,
        object_id: String,
        server: String,
        tools: GrantedTools,
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
            Self::UserGrant {
                user,
                server,
                tools,
            } => write!(
                f,
                "user_tenant_access grants user '{user}' server '{server}' ({tools})"
            ),
            Self::GroupGrant {
                group,
                object_id,
                server,
                tools,
            } => write!(
                f,
                "group_tenant_mapping maps group '{group}' (object id {object_id}) to server '{server}' ({tools})"
            ),
            Self::ApiKeyServers { key_id } => {
                write!(f, "API key {key_id} lists this server (every tool)")
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

/// The rule that decided one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolRule {
    /// The caller may not use the server at all, for this reason.
    Server(Rule),
    /// This grant gives the server with the tool.
    Granted(Rule),
    GroupDeny {
        group: String,
        object_id: String,
        server: String,
        tool: ToolPattern,
    },
    /// `user` names label and identity.
    UserDeny {
        user: String,
        server: String,
        tool: ToolPattern,
    },
    /// The server is granted, but only with tools that do not include this one.
    NotGranted {
        server: String,
        granted: BTreeSet<ToolPattern>,
    },
}

impl fmt::Display for ToolRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Server(rule) => write!(f, "the server is not allowed: {rule}"),
            Self::Granted(rule) => write!(f, "{rule}"),
            Self::GroupDeny {
                group,
                object_id,
                server,
                tool,
            } => write!(
                f,
                "group_tool_denies denies group '{group}' (object id {object_id}) tools '{tool}' of server '{server}' (a deny wins over every grant)"
            ),
            Self::UserDeny { user, server, tool } => write!(
                f,
                "user_tool_denies denies user '{user}' tools '{tool}' of server '{server}' (a deny wins over every grant)"
            ),
            Self::NotGranted { server, granted } => write!(
                f,
                "no grant of server '{server}' gives this tool; they give only tools {}",
                join(granted)
            ),
        }
    }
}

/// The outcome for one tool of one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolVerdict {
    pub allowed: bool,
    pub rule: ToolRule,
}

impl fmt::Display for ToolVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = if self.allowed { "allowed" } else { "hidden" };
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

    fn tool_denies(&self) -> impl Iterator<Item = &ToolDeny> {
        let user = self.user();
        self.policy
            .tool_denies
            .iter()
            .filter(move |deny| user.is_some_and(|user| deny.names(&user)))
    }

    /// The rule that refuses `server` whatever grants there are: outside the API key's list,
    /// or a user deny.
    fn refusal(&self, server: &str) -> Option<Rule> {
        match self.subject {
            Subject::ApiKey(key) | Subject::Forwarder { key, .. }
                if !key.servers.allows(server) =>
            {
                Some(Rule::OutsideApiKeyServers { key_id: key.id })
            }
            Subject::ApiKey(_) => None,
            Subject::User(_) | Subject::Forwarder { .. } => self
                .user_rules()
                .find(|rule| rule.effect == Effect::Deny && names_server(&rule.server, server))
                .map(|deny| Rule::UserDeny {
                    user: deny.describe(),
                    server: deny.server.clone(),
                }),
        }
    }

    /// Every rule that gives `server`, with the tools it gives (user grants first), unless it
    /// is refused.
    fn grants(&self, server: &str) -> Vec<(Rule, GrantedTools)> {
        if self.refusal(server).is_some() {
            return Vec::new();
        }
        if let Subject::ApiKey(key) = self.subject {
            return vec![(Rule::ApiKeyServers { key_id: key.id }, GrantedTools::All)];
        }
        let users = self
            .user_rules()
            .filter(|rule| rule.effect == Effect::Grant && names_server(&rule.server, server))
            .map(|grant| {
                let rule = Rule::UserGrant {
                    user: grant.describe(),
                    server: grant.server.clone(),
                    tools: grant.tools.clone(),
                };
                (rule, grant.tools.clone())
            });
        let groups = self
            .group_grants()
            .filter(|grant| names_server(&grant.server, server))
            .map(|grant| {
                let rule = Rule::GroupGrant {
                    group: grant.group.clone(),
                    object_id: grant.object_id.clone(),
                    server: grant.server.clone(),
                    tools: grant.tools.clone(),
                };
                (rule, grant.tools.clone())
            });
        users.chain(groups).collect()
    }

    /// The caller's tools on `server`; none when they may not use it.
    fn access(&self, server: &str) -> Option<ToolAccess> {
        let granted = self
            .grants(server)
            .into_iter()
            .map(|(_, tools)| tools)
            .reduce(GrantedTools::union)?;
        let denied = self
            .tool_denies()
            .filter(|deny| names_server(&deny.server, server))
            .map(|deny| deny.tool.clone())
            .collect();
        Some(ToolAccess { granted, denied })
    }

    fn rule_verdict(&self, server: &str) -> Verdict {
        if let Some(rule) = self.refusal(server) {
            return Verdict {
                allowed: false,
                rule,
            };
        }
        match self.grants(server).into_iter().next() {
            Some((rule, _)) => Verdict {
                allowed: true,
                rule,
            },
            None => Verdict {
                allowed: false,
                rule: Rule::NoMatchingRule,
            },
        }
    }

    /// `*` reaches every server and tool, including ones registered later, only when nothing
    /// narrows it.
    fn reaches_all(&self) -> bool {
        let whole = |tools: &GrantedTools| *tools == GrantedTools::All;
        let star_grant = self.user_rules().any(|rule| {
            rule.effect == Effect::Grant && rule.server == ALL_SERVERS && whole(&rule.tools)
        }) || self
            .group_grants()
            .any(|grant| grant.server == ALL_SERVERS && whole(&grant.tools));
        let narrowed = self.user_rules().any(|rule| rule.effect == Effect::Deny)
            || self.tool_denies().next().is_some();
        match self.subject {
            Subject::User(_) => star_grant && !narrowed,
            Subject::ApiKey(key) => key.servers == AllowedServers::All,
            Subject::Forwarder { key, .. } => {
                key.servers == AllowedServers::All && star_grant && !narrowed
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
                .filter_map(|server| Some((server.clone(), self.access(server)?)))
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

    /// Whether `tool` of `server` is allowed and which rule decided it: the deny that hides it,
    /// the first grant that gives it, or why none does; agrees with [`Self::servers`].
    pub fn explain_tool(&self, server: &str, tool: &str) -> ToolVerdict {
        let verdict = self.explain(server);
        if !verdict.allowed {
            return ToolVerdict {
                allowed: false,
                rule: ToolRule::Server(verdict.rule),
            };
        }
        if let Some(deny) = self
            .tool_denies()
            .find(|deny| names_server(&deny.server, server) && deny.tool.matches(tool))
        {
            return ToolVerdict {
                allowed: false,
                rule: deny.rule(),
            };
        }
        let grants = self.grants(server);
        if let Some((rule, _)) = grants.iter().find(|(_, tools)| tools.matches(tool)) {
            return ToolVerdict {
                allowed: true,
                rule: ToolRule::Granted(rule.clone()),
            };
        }
        let granted = grants
            .into_iter()
            .flat_map(|(_, tools)| match tools {
                GrantedTools::All => BTreeSet::new(),
                GrantedTools::Patterns(patterns) => patterns,
            })
            .collect();
        ToolVerdict {
            allowed: false,
            rule: ToolRule::NotGranted {
                server: server.to_owned(),
                granted,
            },
        }
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
            tools: GrantedTools::All,
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
            tools: GrantedTools::All,
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
            tool_denies: vec![],
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    fn set(items: &[&str]) -> AllowedServers {
        AllowedServers::whole(items.iter().copied())
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
                server: "github".into(),
                tools: GrantedTools::All,
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
                tools: GrantedTools::All,
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

    const READERS: &str = "g-readers";
    const WRITERS: &str = "g-writers";

    fn patterns(items: &[&str]) -> GrantedTools {
        GrantedTools::Patterns(
            items
                .iter()
                .map(|item| ToolPattern::parse(item).unwrap())
                .collect(),
        )
    }

    fn group_deny(object_id: &str, server: &str, tool: &str) -> ToolDeny {
        ToolDeny {
            to: DeniedTo::Group {
                group: format!("label-{object_id}"),
                tenant_id: TENANT.into(),
                object_id: object_id.into(),
            },
            server: server.into(),
            tool: ToolPattern::parse(tool).unwrap(),
        }
    }

    /// github: readers get `get_*`/`list_*`, writers `create_issue`, MCP-GitHub everything.
    fn tool_policy() -> Policy {
        let mut policy = policy();
        policy.group_grants.extend([
            GroupGrant {
                tools: patterns(&["get_*", "list_*"]),
                ..group("Readers", READERS, "github")
            },
            GroupGrant {
                tools: patterns(&["create_issue"]),
                ..group("Writers", WRITERS, "github")
            },
        ]);
        policy
    }

    fn access(servers: &AllowedServers, server: &str) -> ToolAccess {
        servers.access(server).expect("the server is allowed")
    }

    #[test]
    fn pattern_grants_add_up_and_a_whole_server_grant_gives_every_tool() {
        let policy = tool_policy();
        let readers = strings(&[READERS]);
        let eval = evaluate(Subject::User(user("oid-bob", &readers)), &policy);
        let servers = eval.servers();
        assert!(servers.allows_tool("github", "get_issue"));
        assert!(servers.allows_tool("github", "list_repos"));
        assert!(!servers.allows_tool("github", "create_issue"));
        assert!(!servers.allows_tool("github", "delete_repo"));
        assert!(!servers.allows("linear"));

        let both = strings(&[READERS, WRITERS]);
        let servers = evaluate(Subject::User(user("oid-bob", &both)), &policy).servers();
        assert_eq!(
            access(&servers, "github").granted,
            patterns(&["create_issue", "get_*", "list_*"])
        );
        assert!(!servers.allows_tool("github", "delete_repo"));

        let with_whole = strings(&[READERS, GITHUB_GROUP]);
        let servers = evaluate(Subject::User(user("oid-bob", &with_whole)), &policy).servers();
        assert_eq!(access(&servers, "github"), ToolAccess::whole());
        assert!(servers.allows_tool("github", "delete_repo"));
    }

    #[test]
    fn explain_tool_names_the_grant_that_gives_it_or_says_none_does() {
        let policy = tool_policy();
        let both = strings(&[READERS, WRITERS]);
        let eval = evaluate(Subject::User(user("oid-bob", &both)), &policy);
        let granted = eval.explain_tool("github", "create_issue");
        assert!(granted.allowed);
        assert!(
            matches!(&granted.rule, ToolRule::Granted(Rule::GroupGrant { group, object_id, .. })
                if group == "Writers" && object_id == WRITERS),
            "{granted}"
        );
        assert!(
            granted
                .to_string()
                .contains("'Writers' (object id g-writers)"),
            "{granted}"
        );
        let hidden = eval.explain_tool("github", "delete_repo");
        assert!(!hidden.allowed);
        assert_eq!(
            hidden.rule,
            ToolRule::NotGranted {
                server: "github".into(),
                granted: ["create_issue", "get_*", "list_*"]
                    .iter()
                    .map(|p| ToolPattern::parse(p).unwrap())
                    .collect(),
            }
        );
        assert!(
            hidden.to_string().starts_with("hidden: no grant"),
            "{hidden}"
        );
        let elsewhere = eval.explain_tool("linear", "get_issue");
        assert_eq!(elsewhere.rule, ToolRule::Server(Rule::NoMatchingRule));
        assert!(!elsewhere.allowed);
    }

    #[test]
    fn a_tool_deny_of_any_group_hides_the_tool_whatever_the_grants() {
        let mut policy = tool_policy();
        policy
            .tool_denies
            .push(group_deny(READERS, "github", "get_secret*"));
        for groups in [vec![READERS], vec![READERS, GITHUB_GROUP]] {
            let groups = strings(&groups);
            let eval = evaluate(Subject::User(user("oid-bob", &groups)), &policy);
            let servers = eval.servers();
            assert!(servers.allows_tool("github", "get_issue"), "{groups:?}");
            assert!(
                !servers.allows_tool("github", "get_secret_value"),
                "{groups:?}"
            );
            let verdict = eval.explain_tool("github", "get_secret_value");
            assert!(!verdict.allowed);
            assert!(
                matches!(&verdict.rule, ToolRule::GroupDeny { object_id, .. } if object_id == READERS),
                "{verdict}"
            );
        }
        let not_a_member = strings(&[GITHUB_GROUP]);
        let servers = evaluate(Subject::User(user("oid-bob", &not_a_member)), &policy).servers();
        assert!(servers.allows_tool("github", "get_secret_value"));
    }

    #[test]
    fn a_user_tool_deny_applies_to_that_user_in_their_tenant_only() {
        let mut policy = tool_policy();
        policy.tool_denies.push(ToolDeny {
            to: DeniedTo::User {
                label: "alice@example.com".into(),
                tenant_id: TENANT.into(),
                object_id: "oid-alice".into(),
            },
            server: "*".into(),
            tool: ToolPattern::parse("delete_*").unwrap(),
        });
        let groups = strings(&[GITHUB_GROUP]);
        let alice = evaluate(Subject::User(user("oid-alice", &groups)), &policy);
        assert!(!alice.servers().allows_tool("github", "delete_repo"));
        assert!(alice.servers().allows_tool("github", "create_issue"));
        let verdict = alice.explain_tool("github", "delete_repo");
        assert!(
            verdict.to_string().contains(
                "user_tool_denies denies user 'alice@example.com (object id oid-alice in tenant t-1)'"
            ),
            "{verdict}"
        );
        let bob = evaluate(Subject::User(user("oid-bob", &groups)), &policy);
        assert!(bob.servers().allows_tool("github", "delete_repo"));
        let elsewhere = UserIdentity {
            tenant_id: "t-2",
            ..user("oid-alice", &groups)
        };
        let mut other_tenant = policy.clone();
        other_tenant.group_grants.push(GroupGrant {
            tenant_id: "t-2".into(),
            ..group("MCP-GitHub", GITHUB_GROUP, "github")
        });
        let servers = evaluate(Subject::User(elsewhere), &other_tenant).servers();
        assert!(servers.allows_tool("github", "delete_repo"));
    }

    #[test]
    fn star_reaches_all_only_with_every_tool_and_no_tool_deny() {
        let mut policy = policy();
        let admin = strings(&[ADMIN_GROUP]);
        policy
            .tool_denies
            .push(group_deny(ADMIN_GROUP, "github", "delete_*"));
        let servers = evaluate(Subject::User(user("oid-root", &admin)), &policy).servers();
        assert_ne!(servers, AllowedServers::All);
        assert!(!servers.allows_tool("github", "delete_repo"));
        assert!(servers.allows_tool("github", "create_issue"));
        assert!(servers.allows_tool("notion", "delete_page"));

        let mut policy = self::policy();
        policy.group_grants[1].tools = patterns(&["get_*"]);
        let eval = evaluate(Subject::User(user("oid-root", &admin)), &policy);
        let servers = eval.servers();
        assert_ne!(servers, AllowedServers::All);
        assert!(servers.allows_tool("notion", "get_page"));
        assert!(!servers.allows_tool("notion", "create_page"));
        assert_eq!(eval.explain("registered-later").rule, Rule::UnknownServer);
    }

    #[test]
    fn api_keys_reach_every_tool_and_forwarded_users_keep_their_tool_rules() {
        let mut policy = tool_policy();
        policy
            .tool_denies
            .push(group_deny(READERS, "github", "list_*"));
        let service = key(set(&["github"]), false);
        let eval = evaluate(Subject::ApiKey(&service), &policy);
        assert!(eval.servers().allows_tool("github", "delete_repo"));
        assert_eq!(
            eval.explain_tool("github", "delete_repo").rule,
            ToolRule::Granted(Rule::ApiKeyServers { key_id: 3 })
        );

        let forwarder = key(AllowedServers::All, true);
        let readers = strings(&[READERS]);
        let eval = evaluate(
            Subject::Forwarder {
                key: &forwarder,
                user: user("oid-bob", &readers),
            },
            &policy,
        );
        let servers = eval.servers();
        assert!(servers.allows_tool("github", "get_issue"));
        assert!(!servers.allows_tool("github", "list_repos"));
        assert!(!servers.allows_tool("github", "delete_repo"));
    }
}
