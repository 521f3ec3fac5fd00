//! Group and user rules, per server and per tool: changes, listing, and explanations through
//! `auth_core::policy`.

use std::fmt;

use auth_core::policy::{
    DeniedTo, Effect, GroupGrant, Policy, RuleUser, Subject, ToolDeny, ToolVerdict, UserIdentity,
    UserRule, Verdict, evaluate,
};
use auth_core::{AllowedServers, GrantedTools, sql};
use sqlx::PgConnection;

use crate::{Admin, AdminError, Result, validate};

/// Whether a command changed anything (repeating a grant is not an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Applied,
    Unchanged,
}

/// A group mapping with the object ids its label is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMapping {
    pub group: String,
    pub server: String,
    pub tools: GrantedTools,
    /// (tenant id, object id); none: the mapping grants nothing yet.
    pub links: Vec<(String, String)>,
}

/// A group's tool deny with the object ids its label is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupToolDeny {
    pub group: String,
    pub server: String,
    pub tool: String,
    /// (tenant id, object id); none: the deny applies to nobody yet.
    pub links: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub servers: Vec<String>,
    pub group_mappings: Vec<GroupMapping>,
    pub user_rules: Vec<UserRule>,
    pub group_tool_denies: Vec<GroupToolDeny>,
    /// Each names a user ([`DeniedTo::User`]).
    pub user_tool_denies: Vec<ToolDeny>,
}

fn links_text(links: &[(String, String)], unlinked: &str) -> String {
    if links.is_empty() {
        return format!("not linked to an object id: {unlinked}");
    }
    let links: Vec<String> = links
        .iter()
        .map(|(tenant, object)| format!("object id {object} in tenant {tenant}"))
        .collect();
    links.join("; ")
}

/// ` tools a, b` for a grant of some tools; nothing for a whole server.
fn tools_suffix(tools: &GrantedTools) -> String {
    match tools {
        GrantedTools::All => String::new(),
        patterns => format!(" {patterns}"),
    }
}

fn user_text(label: &str, tenant_id: &str, object_id: &str) -> String {
    format!("{label} (object id {object_id} in tenant {tenant_id})")
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "servers: {}", self.servers.join(", "))?;
        writeln!(f, "group_tenant_mapping:")?;
        for mapping in &self.group_mappings {
            writeln!(
                f,
                "  {} -> {}{} ({})",
                mapping.group,
                mapping.server,
                tools_suffix(&mapping.tools),
                links_text(&mapping.links, "grants nothing")
            )?;
        }
        writeln!(f, "user_tenant_access:")?;
        for rule in &self.user_rules {
            let who = match &rule.user {
                RuleUser::Object {
                    tenant_id,
                    object_id,
                } => user_text(&rule.label, tenant_id, object_id),
                RuleUser::Legacy => format!("{} (legacy label rule: denies only)", rule.label),
            };
            writeln!(
                f,
                "  {who} {} {}{}",
                rule.effect.as_str(),
                rule.server,
                tools_suffix(&rule.tools)
            )?;
        }
        writeln!(f, "group_tool_denies:")?;
        for deny in &self.group_tool_denies {
            writeln!(
                f,
                "  {} denied {} tools {} ({})",
                deny.group,
                deny.server,
                deny.tool,
                links_text(&deny.links, "applies to nobody")
            )?;
        }
        writeln!(f, "user_tool_denies:")?;
        for deny in &self.user_tool_denies {
            if let DeniedTo::User {
                label,
                tenant_id,
                object_id,
            } = &deny.to
            {
                let who = user_text(label, tenant_id, object_id);
                writeln!(f, "  {who} denied {} tools {}", deny.server, deny.tool)?;
            }
        }
        Ok(())
    }
}

/// The verdict for one server (and one of its tools, when asked) and everything the subject
/// may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub server: String,
    pub verdict: Verdict,
    /// The tool asked about, and its verdict.
    pub tool: Option<(String, ToolVerdict)>,
    pub servers: AllowedServers,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.server, self.verdict)?;
        if let Some((tool, verdict)) = &self.tool {
            writeln!(f, "{} tool '{tool}': {verdict}", self.server)?;
        }
        match &self.servers {
            AllowedServers::All => writeln!(f, "may use: every server, every tool"),
            AllowedServers::Set(servers) if servers.is_empty() => {
                writeln!(f, "may use: no server")
            }
            AllowedServers::Set(servers) => {
                let servers: Vec<String> = servers
                    .iter()
                    .map(|(id, access)| format!("{id} ({access})"))
                    .collect();
                writeln!(f, "may use: {}", servers.join(", "))
            }
        }
    }
}

fn changed(rows: u64) -> Change {
    if rows == 0 {
        Change::Unchanged
    } else {
        Change::Applied
    }
}

/// The rule for `user` on `server`, if any: its effect and, for a grant, its tools.
async fn user_rule(
    conn: &mut PgConnection,
    user: &User,
    server: &str,
) -> Result<Option<(Effect, GrantedTools)>> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT access, array_to_string(tools, ',') FROM user_tenant_access \
         WHERE tenant_id = $1 AND object_id = $2 AND server_id = $3 FOR UPDATE",
    )
    .bind(&user.tenant_id)
    .bind(&user.object_id)
    .bind(server)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(access, tools)| -> Result<_> {
        let effect = Effect::parse(&access).ok_or(sql::RowError::Access(access))?;
        Ok((effect, sql::granted_tools(tools.as_deref())?))
    })
    .transpose()
}

/// The tools column of a grant (NULL: the whole server).
fn tools_column(tools: &GrantedTools) -> Option<Vec<String>> {
    match tools {
        GrantedTools::All => None,
        GrantedTools::Patterns(patterns) => {
            Some(patterns.iter().map(|p| p.as_str().to_owned()).collect())
        }
    }
}

/// What a grant gives after `tools` are granted on top of `existing` (a grant only adds);
/// `None` when that changes nothing.
fn widened(existing: GrantedTools, tools: &GrantedTools) -> Option<GrantedTools> {
    let merged = existing.clone().union(tools.clone());
    (merged != existing).then_some(merged)
}

/// A user as a rule names them: object id within a tenant, and a label for administrators.
pub struct User {
    tenant_id: String,
    object_id: String,
    label: String,
}

impl User {
    /// `object_id` must be the user's object id: a username or email is a label, and a rule
    /// written against a label could later match whoever carries it.
    pub fn new(tenant_id: &str, object_id: &str, label: Option<&str>) -> Result<Self> {
        let object_id = validate::name("user", object_id)?;
        let label = match label {
            Some(label) => validate::name("label", label)?,
            None => object_id,
        }
        .to_owned();
        Ok(Self {
            tenant_id: validate::object_id("tenant", tenant_id)?,
            object_id: validate::object_id("user", object_id).map_err(|_| {
                AdminError::Invalid(format!(
                    "'{object_id}' is not an object id: a user rule names the user's Entra object \
                     id (oid), not a username or email, which are labels (give one with --label); \
                     find the id with `az ad user show --id {object_id} --query id`"
                ))
            })?,
            label,
        })
    }
}

impl Admin {
    /// Maps `group` to `tools` of `server`, widening an existing mapping of the server.
    pub async fn grant_group(
        &self,
        group: &str,
        server: &str,
        tools: &GrantedTools,
    ) -> Result<Change> {
        let group = validate::name("group", group)?;
        let mut tx = self.pool.begin().await?;
        validate::server(&mut tx, server, true).await?;
        let existing: Option<(i64, Option<String>)> = sqlx::query_as(
            "SELECT id, array_to_string(tools, ',') FROM group_tenant_mapping \
             WHERE lower(group_name) = lower($1) AND server_id = $2 FOR UPDATE",
        )
        .bind(group)
        .bind(server)
        .fetch_optional(&mut *tx)
        .await?;
        match existing {
            None => {
                sqlx::query(
                    "INSERT INTO group_tenant_mapping (group_name, server_id, tools) \
                     VALUES ($1, $2, $3)",
                )
                .bind(group)
                .bind(server)
                .bind(tools_column(tools))
                .execute(&mut *tx)
                .await?;
            }
            Some((id, existing)) => {
                let existing = sql::granted_tools(existing.as_deref())?;
                let Some(widened) = widened(existing, tools) else {
                    return Ok(Change::Unchanged);
                };
                sqlx::query("UPDATE group_tenant_mapping SET tools = $2 WHERE id = $1")
                    .bind(id)
                    .bind(tools_column(&widened))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(Change::Applied)
    }

    /// Links the label `group` to the group with `object_id` in `tenant`: its mappings then
    /// grant that group's members (and only them).
    pub async fn link_group(&self, group: &str, tenant: &str, object_id: &str) -> Result<Change> {
        let group = validate::name("group", group)?;
        let tenant = validate::object_id("tenant", tenant)?;
        let object_id = validate::object_id("group object id", object_id)?;
        let mut tx = self.pool.begin().await?;
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT group_name FROM group_links \
             WHERE tenant_id = $1 AND object_id = $2 AND lower(group_name) <> lower($3)",
        )
        .bind(&tenant)
        .bind(&object_id)
        .bind(group)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(other) = taken {
            return Err(AdminError::Invalid(format!(
                "object id {object_id} is already linked to group '{other}' in tenant {tenant}"
            )));
        }
        let rows = sqlx::query(
            "INSERT INTO group_links (group_name, tenant_id, object_id) VALUES ($1, $2, $3) \
             ON CONFLICT (lower(group_name), tenant_id) DO UPDATE SET object_id = EXCLUDED.object_id \
             WHERE group_links.object_id <> EXCLUDED.object_id",
        )
        .bind(group)
        .bind(&tenant)
        .bind(&object_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(changed(rows))
    }

    /// Grants `user` `tools` of `server`, widening an existing grant of the server.
    pub async fn grant_user(
        &self,
        user: &User,
        server: &str,
        tools: &GrantedTools,
    ) -> Result<Change> {
        let mut tx = self.pool.begin().await?;
        validate::server(&mut tx, server, true).await?;
        match user_rule(&mut tx, user, server).await? {
            Some((Effect::Deny, _)) => {
                return Err(AdminError::Invalid(format!(
                    "user '{}' is denied server '{server}'; run `revoke user` first to lift the deny",
                    user.label
                )));
            }
            Some((Effect::Grant, existing)) => {
                let Some(widened) = widened(existing, tools) else {
                    return Ok(Change::Unchanged);
                };
                sqlx::query(
                    "UPDATE user_tenant_access SET tools = $4 \
                     WHERE tenant_id = $1 AND object_id = $2 AND server_id = $3",
                )
                .bind(&user.tenant_id)
                .bind(&user.object_id)
                .bind(server)
                .bind(tools_column(&widened))
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO user_tenant_access \
                     (user_id, tenant_id, object_id, server_id, access, tools) \
                     VALUES ($1, $2, $3, $4, 'grant', $5)",
                )
                .bind(&user.label)
                .bind(&user.tenant_id)
                .bind(&user.object_id)
                .bind(server)
                .bind(tools_column(tools))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(Change::Applied)
    }

    /// Denies `server` to `user`, replacing a grant of the same server.
    pub async fn deny_user(&self, user: &User, server: &str) -> Result<Change> {
        let mut tx = self.pool.begin().await?;
        validate::server(&mut tx, server, true).await?;
        let rows = sqlx::query(
            "INSERT INTO user_tenant_access (user_id, tenant_id, object_id, server_id, access) \
             VALUES ($1, $2, $3, $4, 'deny') \
             ON CONFLICT (tenant_id, object_id, server_id) WHERE object_id IS NOT NULL \
             DO UPDATE SET access = 'deny', tools = NULL WHERE user_tenant_access.access <> 'deny'",
        )
        .bind(&user.label)
        .bind(&user.tenant_id)
        .bind(&user.object_id)
        .bind(server)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(changed(rows))
    }

    /// Hides the tools `pattern` matches of `server` (`*`: every server) from the members of
    /// `group` (by label, linked like its mappings).
    pub async fn deny_group_tool(
        &self,
        group: &str,
        server: &str,
        pattern: &str,
    ) -> Result<Change> {
        let group = validate::name("group", group)?;
        let tool = validate::tool(pattern)?;
        let mut tx = self.pool.begin().await?;
        validate::server(&mut tx, server, true).await?;
        let rows = sqlx::query(
            "INSERT INTO group_tool_denies (group_name, server_id, tool) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(group)
        .bind(server)
        .bind(tool.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(changed(rows))
    }

    /// Hides the tools `pattern` matches of `server` (`*`: every server) from `user`.
    pub async fn deny_user_tool(&self, user: &User, server: &str, pattern: &str) -> Result<Change> {
        let tool = validate::tool(pattern)?;
        let mut tx = self.pool.begin().await?;
        validate::server(&mut tx, server, true).await?;
        let rows = sqlx::query(
            "INSERT INTO user_tool_denies (user_id, tenant_id, object_id, server_id, tool) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&user.label)
        .bind(&user.tenant_id)
        .bind(&user.object_id)
        .bind(server)
        .bind(tool.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(changed(rows))
    }

    pub async fn revoke_group_tool_deny(
        &self,
        group: &str,
        server: &str,
        pattern: &str,
    ) -> Result<Change> {
        let group = validate::name("group", group)?;
        let rows = sqlx::query(
            "DELETE FROM group_tool_denies \
             WHERE lower(group_name) = lower($1) AND server_id = $2 AND tool = $3",
        )
        .bind(group)
        .bind(server)
        .bind(pattern.trim())
        .execute(&self.pool)
        .await?
        .rows_affected();
        if rows == 0 {
            return Err(AdminError::Invalid(format!(
                "group '{group}' has no deny of tools '{pattern}' of server '{server}'"
            )));
        }
        Ok(Change::Applied)
    }

    pub async fn revoke_user_tool_deny(
        &self,
        user: &User,
        server: &str,
        pattern: &str,
    ) -> Result<Change> {
        let rows = sqlx::query(
            "DELETE FROM user_tool_denies \
             WHERE tenant_id = $1 AND object_id = $2 AND server_id = $3 AND tool = $4",
        )
        .bind(&user.tenant_id)
        .bind(&user.object_id)
        .bind(server)
        .bind(pattern.trim())
        .execute(&self.pool)
        .await?
        .rows_affected();
        if rows == 0 {
            return Err(AdminError::Invalid(format!(
                "user '{}' has no deny of tools '{pattern}' of server '{server}' in tenant {}",
                user.object_id, user.tenant_id
            )));
        }
        Ok(Change::Applied)
    }

    pub async fn revoke_group(&self, group: &str, server: &str) -> Result<Change> {
        let group = validate::name("group", group)?;
        let rows = sqlx::query(
            "DELETE FROM group_tenant_mapping WHERE lower(group_name) = lower($1) AND server_id = $2",
        )
        .bind(group)
        .bind(server)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if rows == 0 {
            return Err(AdminError::Invalid(format!(
                "group '{group}' has no mapping to server '{server}'"
            )));
        }
        Ok(Change::Applied)
    }

    /// Removes a user's grant or deny for `server`; `user` may also be the label of a legacy
    /// rule (one written before rules named object ids).
    pub async fn revoke_user(&self, tenant: &str, user: &str, server: &str) -> Result<Change> {
        let user = validate::name("user", user)?;
        let tenant = validate::object_id("tenant", tenant)?;
        let rows = sqlx::query(
            "DELETE FROM user_tenant_access WHERE server_id = $3 \
             AND ((tenant_id = $1 AND object_id = lower($2)) \
                  OR (object_id IS NULL AND lower(user_id) = lower($2)))",
        )
        .bind(&tenant)
        .bind(user)
        .bind(server)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if rows == 0 {
            return Err(AdminError::Invalid(format!(
                "user '{user}' has no rule for server '{server}' in tenant {tenant}"
            )));
        }
        Ok(Change::Applied)
    }

    pub async fn list(&self) -> Result<Listing> {
        let servers = sqlx::query_scalar(sql::SELECT_SERVERS)
            .fetch_all(&self.pool)
            .await?;
        let mappings: Vec<LinkedRow<Option<String>>> = sqlx::query_as(
            "SELECT m.group_name, m.server_id, array_to_string(m.tools, ','), \
                     array_remove(array_agg(l.tenant_id ORDER BY l.tenant_id), NULL), \
                     array_remove(array_agg(l.object_id ORDER BY l.tenant_id), NULL) \
                 FROM group_tenant_mapping m \
                 LEFT JOIN group_links l ON lower(l.group_name) = lower(m.group_name) \
                 GROUP BY m.id ORDER BY m.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT user_id, tenant_id, object_id, server_id, access, \
                 array_to_string(tools, ',') FROM user_tenant_access \
             ORDER BY lower(user_id), server_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let group_denies: Vec<LinkedRow<String>> = sqlx::query_as(
            "SELECT d.group_name, d.server_id, d.tool, \
                     array_remove(array_agg(l.tenant_id ORDER BY l.tenant_id), NULL), \
                     array_remove(array_agg(l.object_id ORDER BY l.tenant_id), NULL) \
                 FROM group_tool_denies d \
                 LEFT JOIN group_links l ON lower(l.group_name) = lower(d.group_name) \
                 GROUP BY d.id ORDER BY lower(d.group_name), d.server_id, d.tool",
        )
        .fetch_all(&self.pool)
        .await?;
        let user_denies: Vec<DenyRow> = sqlx::query_as(
            "SELECT 'user', user_id, tenant_id, object_id, server_id, tool FROM user_tool_denies \
             ORDER BY lower(user_id), server_id, tool",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(Listing {
            servers,
            group_mappings: mappings
                .into_iter()
                .map(|(group, server, tools, tenants, objects)| {
                    Ok(GroupMapping {
                        group,
                        server,
                        tools: sql::granted_tools(tools.as_deref())?,
                        links: tenants.into_iter().zip(objects).collect(),
                    })
                })
                .collect::<Result<_>>()?,
            user_rules: user_rules(rows)?,
            group_tool_denies: group_denies
                .into_iter()
                .map(|(group, server, tool, tenants, objects)| GroupToolDeny {
                    group,
                    server,
                    tool,
                    links: tenants.into_iter().zip(objects).collect(),
                })
                .collect(),
            user_tool_denies: tool_denies(user_denies)?,
        })
    }

    /// The group object ids named by `groups` (object ids, or labels linked in `tenant`).
    async fn group_object_ids(&self, tenant: &str, groups: &[String]) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for group in groups {
            let group = validate::name("group", group)?;
            if let Ok(id) = validate::object_id("group", group) {
                ids.push(id);
                continue;
            }
            let linked: Option<String> = sqlx::query_scalar(
                "SELECT object_id FROM group_links WHERE lower(group_name) = lower($1) AND tenant_id = $2",
            )
            .bind(group)
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await?;
            ids.push(linked.ok_or_else(|| {
                AdminError::Invalid(format!(
                    "group '{group}' is not linked to an object id in tenant {tenant}; run `group link`"
                ))
            })?);
        }
        Ok(ids)
    }

    /// The policy the auth component would load for the user with object id `user` in
    /// `tenant`, member of `groups` (object ids or linked labels), and the user's identity.
    async fn user_policy(
        &self,
        tenant: &str,
        user: &str,
        groups: &[String],
    ) -> Result<(User, Vec<String>, Policy)> {
        let user = User::new(tenant, user, None)?;
        let group_ids = self.group_object_ids(&user.tenant_id, groups).await?;
        let servers = sqlx::query_scalar(sql::SELECT_SERVERS)
            .fetch_all(&self.pool)
            .await?;
        let grants: Vec<(String, String, String, String, Option<String>)> =
            sqlx::query_as(sql::SELECT_GROUP_GRANTS)
                .bind(&user.tenant_id)
                .fetch_all(&self.pool)
                .await?;
        let rules: Vec<UserRow> = sqlx::query_as(sql::SELECT_USER_RULES)
            .bind(&user.tenant_id)
            .bind(&user.object_id)
            .bind(&user.object_id)
            .fetch_all(&self.pool)
            .await?;
        let denies: Vec<DenyRow> = sqlx::query_as(sql::SELECT_TOOL_DENIES)
            .bind(&user.tenant_id)
            .bind(&user.object_id)
            .fetch_all(&self.pool)
            .await?;
        let policy = Policy {
            servers: servers.into_iter().collect(),
            group_grants: grants
                .into_iter()
                .map(|(group, tenant_id, object_id, server, tools)| {
                    Ok(GroupGrant {
                        group,
                        tenant_id,
                        object_id,
                        server,
                        tools: sql::granted_tools(tools.as_deref())?,
                    })
                })
                .collect::<Result<_>>()?,
            user_rules: user_rules(rules)?,
            tool_denies: tool_denies(denies)?,
        };
        Ok((user, group_ids, policy))
    }

    /// Explains the decision for the user with object id `user` in `tenant`, member of
    /// `groups` (object ids or linked labels), on `server`, with the auth component's policy.
    pub async fn explain(
        &self,
        tenant: &str,
        user: &str,
        groups: &[String],
        server: &str,
    ) -> Result<Explanation> {
        self.explanation(tenant, user, groups, server, None).await
    }

    /// [`Self::explain`], and whether `tool` of `server` is listed and callable, and why.
    pub async fn explain_tool(
        &self,
        tenant: &str,
        user: &str,
        groups: &[String],
        server: &str,
        tool: &str,
    ) -> Result<Explanation> {
        self.explanation(tenant, user, groups, server, Some(tool))
            .await
    }

    async fn explanation(
        &self,
        tenant: &str,
        user: &str,
        groups: &[String],
        server: &str,
        tool: Option<&str>,
    ) -> Result<Explanation> {
        let (user, group_ids, policy) = self.user_policy(tenant, user, groups).await?;
        let identity = UserIdentity {
            tenant_id: &user.tenant_id,
            object_id: &user.object_id,
            username: None,
            groups: &group_ids,
        };
        let evaluation = evaluate(Subject::User(identity), &policy);
        Ok(Explanation {
            server: server.to_owned(),
            verdict: evaluation.explain(server),
            tool: tool.map(|tool| (tool.to_owned(), evaluation.explain_tool(server, tool))),
            servers: evaluation.servers(),
        })
    }
}

/// A group label, a server, the row's tools or tool, and the tenant and object ids the label is
/// linked to.
type LinkedRow<T> = (String, String, T, Vec<String>, Vec<String>);

/// The columns of [`sql::SELECT_USER_RULES`].
type UserRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
);

fn user_rules(rows: Vec<UserRow>) -> Result<Vec<UserRule>> {
    rows.into_iter()
        .map(|(label, tenant_id, object_id, server, access, tools)| {
            Ok(sql::user_rule(
                label,
                tenant_id,
                object_id,
                server,
                &access,
                tools.as_deref(),
            )?)
        })
        .collect()
}

/// The columns of [`sql::SELECT_TOOL_DENIES`].
type DenyRow = (String, String, String, String, String, String);

fn tool_denies(rows: Vec<DenyRow>) -> Result<Vec<ToolDeny>> {
    rows.into_iter()
        .map(|(kind, label, tenant_id, object_id, server, tool)| {
            Ok(sql::tool_deny(
                &kind, label, tenant_id, object_id, server, &tool,
            )?)
        })
        .collect()
}
