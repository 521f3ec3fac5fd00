//! The audit log: written by the auth component for every tool call, read here.

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
    pub principal_id: String,
    pub groups: Vec<String>,
    pub server: String,
    pub tool: String,
    /// `rest` or `mcp`; none for records from before surfaces were recorded.
    pub surface: Option<String>,
    pub status: i32,
    pub latency_ms: i64,
    pub args_sha256: String,
}

impl fmt::Display for AuditEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\t{}\t{}/{}\t{}\t{}\t{} ms\targs={}\tgroups={}",
            self.at,
            self.principal_id,
            self.server,
            self.tool,
            self.surface.as_deref().unwrap_or("-"),
            self.status,
            self.latency_ms,
            self.args_sha256,
            self.groups.join(","),
        )
    }
}

impl Admin {
    /// Inserts a record exactly as the auth component does.
    pub async fn record_audit(&self, record: &AuditRecord) -> Result<()> {
        let groups = serde_json::to_string(&record.groups).expect("strings serialize");
        sqlx::query(sql::INSERT_AUDIT)
            .bind(&record.principal_id)
            .bind(groups)
            .bind(&record.server)
            .bind(&record.tool)
            .bind(i32::from(record.status))
            .bind(i64::try_from(record.latency_ms).unwrap_or(i64::MAX))
            .bind(&record.args_sha256)
            .bind(record.surface.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let entries = sqlx::query_as(
            "SELECT at::text AS at, principal_id, groups, server_id AS server, tool, surface, status, latency_ms, args_sha256 \
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
