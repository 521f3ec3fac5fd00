//! Group and user rules: changes, listing, and explanations through `auth_core::policy`.

use std::fmt;

use auth_core::AllowedServers;
use auth_core::policy::{Effect, GroupGrant, Policy, Subject, UserRule, Verdict, evaluate};
use auth_core::sql;
use sqlx::PgConnection;

use crate::{Admin, AdminError, Result, validate};

/// Whether a command changed anything (repeating a grant is not an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Applied,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub servers: Vec<String>,
    pub group_grants: Vec<GroupGrant>,
    pub user_rules: Vec<UserRule>,
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "servers: {}", self.servers.join(", "))?;
        writeln!(f, "group_tenant_mapping:")?;
        for grant in &self.group_grants {
            writeln!(f, "  {} -> {}", grant.group, grant.server)?;
        }
        writeln!(f, "user_tenant_access:")?;
        for rule in &self.user_rules {
            writeln!(
                f,
                "  {} {} {}",
                rule.user,
                rule.effect.as_str(),
                rule.server
            )?;
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

async fn user_rule(conn: &mut PgConnection, user: &str, server: &str) -> Result<Option<Effect>> {
    let access: Option<String> = sqlx::query_scalar(
        "SELECT access FROM user_tenant_access WHERE lower(user_id) = lower($1) AND server_id = $2",
    )
    .bind(user)
    .bind(server)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(access.as_deref().and_then(Effect::parse))
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

    pub async fn grant_user(&self, user: &str, server: &str) -> Result<Change> {
        let user = validate::name("user", user)?;
        let mut tx = self.pool.begin().await?;
        validate::server(&mut tx, server, true).await?;
        match user_rule(&mut tx, user, server).await? {
            Some(Effect::Deny) => {
                return Err(AdminError::Invalid(format!(
                    "user '{user}' is denied server '{server}'; run `revoke user` first to lift the deny"
                )));
            }
            Some(Effect::Grant) => return Ok(Change::Unchanged),
            None => {}
        }
        sqlx::query(
            "INSERT INTO user_tenant_access (user_id, server_id, access) VALUES ($1, $2, 'grant')",
        )
        .bind(user)
        .bind(server)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Change::Applied)
    }

    /// Denies `server` to `user`, replacing a grant of the same server.
    pub async fn deny_user(&self, user: &str, server: &str) -> Result<Change> {
        let user = validate::name("user", user)?;
        let mut tx = self.pool.begin().await?;
        validate::server(&mut tx, server, true).await?;
        let rows = sqlx::query(
            "INSERT INTO user_tenant_access (user_id, server_id, access) VALUES ($1, $2, 'deny') \
             ON CONFLICT (lower(user_id), server_id) DO UPDATE SET access = 'deny' \
             WHERE user_tenant_access.access <> 'deny'",
        )
        .bind(user)
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

    /// Removes a user's grant or deny for `server`.
    pub async fn revoke_user(&self, user: &str, server: &str) -> Result<Change> {
        let user = validate::name("user", user)?;
        let rows = sqlx::query(
            "DELETE FROM user_tenant_access WHERE lower(user_id) = lower($1) AND server_id = $2",
        )
        .bind(user)
        .bind(server)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if rows == 0 {
            return Err(AdminError::Invalid(format!(
                "user '{user}' has no rule for server '{server}'"
            )));
        }
        Ok(Change::Applied)
    }

    pub async fn list(&self) -> Result<Listing> {
        let servers = sqlx::query_scalar(sql::SELECT_SERVERS)
            .fetch_all(&self.pool)
            .await?;
        let group_grants = self.group_grants().await?;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT user_id, server_id, access FROM user_tenant_access ORDER BY lower(user_id), server_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(Listing {
            servers,
            group_grants,
            user_rules: user_rules(rows),
        })
    }

    async fn group_grants(&self) -> Result<Vec<GroupGrant>> {
        let rows: Vec<(String, String)> = sqlx::query_as(sql::SELECT_GROUP_GRANTS)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(group, server)| GroupGrant { group, server })
            .collect())
    }

    /// The policy rows that concern a user known by `user_id`.
    pub async fn policy_for(&self, user_id: &str) -> Result<Policy> {
        let servers = sqlx::query_scalar(sql::SELECT_SERVERS)
            .fetch_all(&self.pool)
            .await?;
        let rows: Vec<(String, String, String)> = sqlx::query_as(sql::SELECT_USER_RULES)
            .bind(user_id)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(Policy {
            servers: servers.into_iter().collect(),
            group_grants: self.group_grants().await?,
            user_rules: user_rules(rows),
        })
    }

    pub async fn explain(
        &self,
        user: &str,
        groups: &[String],
        server: &str,
    ) -> Result<Explanation> {
        let user = validate::name("user", user)?;
        for group in groups {
            validate::name("group", group)?;
        }
        let policy = self.policy_for(user).await?;
        let ids = [user.to_owned()];
        let evaluation = evaluate(Subject::User { ids: &ids, groups }, &policy);
        Ok(Explanation {
            server: server.to_owned(),
            verdict: evaluation.explain(server),
            servers: evaluation.servers(),
        })
    }
}

fn user_rules(rows: Vec<(String, String, String)>) -> Vec<UserRule> {
    rows.into_iter()
        .filter_map(|(user, server, access)| {
            Effect::parse(&access).map(|effect| UserRule {
                user,
                server,
                effect,
            })
        })
        .collect()
}
