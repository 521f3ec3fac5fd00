//! Group and user rules: changes, listing, and explanations through `auth_core::policy`.

use std::fmt;

use auth_core::AllowedServers;
use auth_core::policy::{
    Effect, GroupGrant, Policy, RuleUser, Subject, UserIdentity, UserRule, Verdict, evaluate,
};
use auth_core::sql;
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
    /// (tenant id, object id); none: the mapping grants nothing yet.
    pub links: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub servers: Vec<String>,
    pub group_mappings: Vec<GroupMapping>,
    pub user_rules: Vec<UserRule>,
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "servers: {}", self.servers.join(", "))?;
        writeln!(f, "group_tenant_mapping:")?;
        for mapping in &self.group_mappings {
            let links: Vec<String> = mapping
                .links
                .iter()
                .map(|(tenant, object)| format!("object id {object} in tenant {tenant}"))
                .collect();
            let links = if links.is_empty() {
                "not linked to an object id: grants nothing".to_owned()
            } else {
                links.join("; ")
            };
            writeln!(f, "  {} -> {} ({links})", mapping.group, mapping.server)?;
        }
        writeln!(f, "user_tenant_access:")?;
        for rule in &self.user_rules {
            let who = match &rule.user {
                RuleUser::Object {
                    tenant_id,
                    object_id,
                } => format!(
                    "{} (object id {object_id} in tenant {tenant_id})",
                    rule.label
                ),
                RuleUser::Legacy => format!("{} (legacy label rule: denies only)", rule.label),
            };
            writeln!(f, "  {who} {} {}", rule.effect.as_str(), rule.server)?;
        }
        Ok(())
    }
}

/// The verdict for one server and everything the subject may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub server: String,
    pub verdict: Verdict,
    pub servers: AllowedServers,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.server, self.verdict)?;
        match &self.servers {
            AllowedServers::All => writeln!(f, "may use: every server"),
            AllowedServers::Set(ids) if ids.is_empty() => writeln!(f, "may use: no server"),
            AllowedServers::Set(ids) => {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                writeln!(f, "may use: {}", ids.join(", "))
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

/// The effect of the rule for `user` on `server`, if any.
async fn user_rule(conn: &mut PgConnection, user: &User, server: &str) -> Result<Option<Effect>> {
    let access: Option<String> = sqlx::query_scalar(
        "SELECT access FROM user_tenant_access \
         WHERE tenant_id = $1 AND object_id = $2 AND server_id = $3",
    )
    .bind(&user.tenant_id)
    .bind(&user.object_id)
    .bind(server)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(access.as_deref().and_then(Effect::parse))
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
    pub async fn grant_group(&self, group: &str, server: &str) -> Result<Change> {
        let group = validate::name("group", group)?;
        let mut tx = self.pool.begin().await?;
        validate::server(&mut tx, server, true).await?;
        let rows = sqlx::query(
            "INSERT INTO group_tenant_mapping (group_name, server_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(group)
        .bind(server)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(changed(rows))
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

    pub async fn grant_user(&self, user: &User, server: &str) -> Result<Change> {
        let mut tx = self.pool.begin().await?;
        validate::server(&mut tx, server, true).await?;
        match user_rule(&mut tx, user, server).await? {
            Some(Effect::Deny) => {
                return Err(AdminError::Invalid(format!(
                    "user '{}' is denied server '{server}'; run `revoke user` first to lift the deny",
                    user.label
                )));
            }
            Some(Effect::Grant) => return Ok(Change::Unchanged),
            None => {}
        }
        sqlx::query(
            "INSERT INTO user_tenant_access (user_id, tenant_id, object_id, server_id, access) \
             VALUES ($1, $2, $3, $4, 'grant')",
        )
        .bind(&user.label)
        .bind(&user.tenant_id)
        .bind(&user.object_id)
        .bind(server)
        .execute(&mut *tx)
        .await?;
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
             DO UPDATE SET access = 'deny' WHERE user_tenant_access.access <> 'deny'",
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
        let mappings: Vec<(String, String, Vec<String>, Vec<String>)> = sqlx::query_as(
            "SELECT m.group_name, m.server_id, \
                 array_remove(array_agg(l.tenant_id ORDER BY l.tenant_id), NULL), \
                 array_remove(array_agg(l.object_id ORDER BY l.tenant_id), NULL) \
             FROM group_tenant_mapping m \
             LEFT JOIN group_links l ON lower(l.group_name) = lower(m.group_name) \
             GROUP BY m.id ORDER BY m.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT user_id, tenant_id, object_id, server_id, access FROM user_tenant_access \
             ORDER BY lower(user_id), server_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(Listing {
            servers,
            group_mappings: mappings
                .into_iter()
                .map(|(group, server, tenants, objects)| GroupMapping {
                    group,
                    server,
                    links: tenants.into_iter().zip(objects).collect(),
                })
                .collect(),
            user_rules: user_rules(rows),
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

    /// Explains the decision for the user with object id `user` in `tenant`, member of
    /// `groups` (object ids or linked labels), on `server`, with the auth component's policy.
    pub async fn explain(
        &self,
        tenant: &str,
        user: &str,
        groups: &[String],
        server: &str,
    ) -> Result<Explanation> {
        let user = User::new(tenant, user, None)?;
        let group_ids = self.group_object_ids(&user.tenant_id, groups).await?;
        let identity = UserIdentity {
            tenant_id: &user.tenant_id,
            object_id: &user.object_id,
            username: None,
            groups: &group_ids,
        };
        let servers = sqlx::query_scalar(sql::SELECT_SERVERS)
            .fetch_all(&self.pool)
            .await?;
        let grants: Vec<(String, String, String, String)> =
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
        let policy = Policy {
            servers: servers.into_iter().collect(),
            group_grants: grants
                .into_iter()
                .map(|(group, tenant_id, object_id, server)| GroupGrant {
                    group,
                    tenant_id,
                    object_id,
                    server,
                })
                .collect(),
            user_rules: user_rules(rules),
        };
        let evaluation = evaluate(Subject::User(identity), &policy);
        Ok(Explanation {
            server: server.to_owned(),
            verdict: evaluation.explain(server),
            servers: evaluation.servers(),
        })
    }
}

/// The columns of [`sql::SELECT_USER_RULES`].
type UserRow = (String, Option<String>, Option<String>, String, String);

fn user_rules(rows: Vec<UserRow>) -> Vec<UserRule> {
    rows.into_iter()
        .filter_map(|(label, tenant_id, object_id, server, access)| {
            sql::user_rule(label, tenant_id, object_id, server, &access)
        })
        .collect()
}
