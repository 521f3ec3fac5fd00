//! The audit log: written by the auth component for every tool call and refusal, read here.

use std::fmt;

use auth_core::{AuditRecord, sql};

use crate::{Admin, Result};

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub principal_id: Option<String>,
    pub server: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub at: String,
    /// Empty for a refusal of credentials (nobody was authenticated).
    pub principal_id: String,
    /// A label (UPN, key owner); none for records from before labels were recorded.
    pub principal_name: Option<String>,
    pub tenant_id: Option<String>,
    /// `token`, `key`, `forwarder`, `anonymous` or `gateway`.
    pub caller: Option<String>,
    /// The forwarder key that asserted a forwarded user.
    pub via: Option<String>,
    pub groups: Vec<String>,
    pub server: String,
    pub tool: String,
    /// `rest` or `mcp`; none for records from before surfaces were recorded.
    pub surface: Option<String>,
    pub status: i32,
    pub latency_ms: i64,
    pub args_sha256: String,
    /// Why the request was refused.
    pub detail: Option<String>,
}

impl fmt::Display for AuditEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\t{} ({}, {}{}{})\t{}/{}\t{}\t{}\t{} ms\targs={}\tgroups={}{}",
            self.at,
            if self.principal_id.is_empty() {
                "-"
            } else {
                &self.principal_id
            },
            self.principal_name.as_deref().unwrap_or("-"),
            self.caller.as_deref().unwrap_or("-"),
            self.tenant_id
                .as_deref()
                .map(|t| format!(", tenant {t}"))
                .unwrap_or_default(),
            self.via
                .as_deref()
                .map(|v| format!(", via {v}"))
                .unwrap_or_default(),
            self.server,
            self.tool,
            self.surface.as_deref().unwrap_or("-"),
            self.status,
            self.latency_ms,
            self.args_sha256,
            self.groups.join(","),
            self.detail
                .as_deref()
                .map(|d| format!("\tdetail={d}"))
                .unwrap_or_default(),
        )
    }
}

impl Admin {
    /// Inserts a record exactly as the auth component does.
    pub async fn record_audit(&self, record: &AuditRecord) -> Result<()> {
        let who = &record.who;
        let groups = serde_json::to_string(&who.groups).expect("strings serialize");
        sqlx::query(sql::INSERT_AUDIT)
            .bind(&who.principal_id)
            .bind(groups)
            .bind(&record.server)
            .bind(&record.tool)
            .bind(i32::from(record.status))
            .bind(i64::try_from(record.latency_ms).unwrap_or(i64::MAX))
            .bind(&record.args_sha256)
            .bind(record.surface.as_str())
            .bind(&who.principal_name)
            .bind(&who.tenant_id)
            .bind(who.caller.as_str())
            .bind(&who.via)
            .bind(&record.detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let entries = sqlx::query_as(
            "SELECT at::text AS at, principal_id, principal_name, tenant_id, caller, via, groups, \
             server_id AS server, tool, surface, status, latency_ms, args_sha256, detail \
             FROM audit_log \
             WHERE ($1::text IS NULL OR principal_id = $1) AND ($2::text IS NULL OR server_id = $2) \
             ORDER BY audit_log.at DESC, id DESC LIMIT $3",
        )
        .bind(&filter.principal_id)
        .bind(&filter.server)
        .bind(i64::from(filter.limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(entries)
    }
}
