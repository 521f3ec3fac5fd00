//! API keys: created from OS randomness, stored as SHA-256, shown once.

use std::fmt;

use auth_core::api_key::{check_api_key_format, display_prefix, format_api_key, hash_api_key};
use auth_core::{AllowedServers, ApiKeyError, ApiKeyRecord, sql};
use rand::RngCore;

use crate::{Admin, AdminError, Result, validate};

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub owner: String,
    pub servers: AllowedServers,
    pub forwarder: bool,
    pub expires_in_days: Option<u32>,
}

/// The only time the key itself exists outside the caller's hands.
#[derive(Debug, Clone)]
pub struct CreatedApiKey {
    pub id: i64,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeySummary {
    pub id: i64,
    pub display_prefix: String,
    pub owner: String,
    pub servers: String,
    pub forwarder: bool,
    pub expires_at: Option<String>,
    pub revoked: bool,
}

impl fmt::Display for ApiKeySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\t{}…\towner={}\tservers={}\tforwarder={}\texpires={}\t{}",
            self.id,
            self.display_prefix,
            self.owner,
            self.servers,
            self.forwarder,
            self.expires_at.as_deref().unwrap_or("never"),
            if self.revoked { "revoked" } else { "active" },
        )
    }
}

impl Admin {
    pub async fn create_api_key(&self, new: &NewApiKey) -> Result<CreatedApiKey> {
        let owner = validate::name("owner", &new.owner)?;
        let mut tx = self.pool.begin().await?;
        let (all_servers, servers) = match &new.servers {
            AllowedServers::All => (true, Vec::new()),
            AllowedServers::Set(ids) if ids.is_empty() => {
                return Err(AdminError::Invalid(
                    "name at least one --server, or --all-servers".into(),
                ));
            }
            AllowedServers::Set(ids) if ids.values().any(|access| !access.is_whole()) => {
                return Err(AdminError::Invalid(
                    "an API key reaches whole servers; it has no tool rules".into(),
                ));
            }
            AllowedServers::Set(ids) => (false, ids.keys().cloned().collect()),
        };
        for server in &servers {
            validate::server(&mut tx, server, false).await?;
        }
        let mut random = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let key = format_api_key(&random);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (key_sha256, display_prefix, owner, all_servers, forwarder, expires_at) \
             VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6)) RETURNING id",
        )
        .bind(hash_api_key(&key))
        .bind(display_prefix(&key))
        .bind(owner)
        .bind(all_servers)
        .bind(new.forwarder)
        .bind(new.expires_in_days.map(|days| days as i32))
        .fetch_one(&mut *tx)
        .await?;
        for server in &servers {
            sqlx::query("INSERT INTO api_key_servers (api_key_id, server_id) VALUES ($1, $2)")
                .bind(id)
                .bind(server)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(CreatedApiKey { id, key })
    }

    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeySummary>> {
        type Row = (
            i64,
            String,
            String,
            bool,
            bool,
            Option<String>,
            bool,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT k.id, k.display_prefix, k.owner, k.all_servers, k.forwarder, \
                 k.expires_at::text, k.revoked_at IS NOT NULL, \
                 coalesce(string_agg(s.server_id, ',' ORDER BY s.server_id), '') \
                 FROM api_keys k LEFT JOIN api_key_servers s ON s.api_key_id = k.id \
                 GROUP BY k.id ORDER BY k.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, display_prefix, owner, all, forwarder, expires_at, revoked, servers)| {
                    ApiKeySummary {
                        id,
                        display_prefix,
                        owner,
                        servers: if all { "*".into() } else { servers },
                        forwarder,
                        expires_at,
                        revoked,
                    }
                },
            )
            .collect())
    }

    pub async fn revoke_api_key(&self, id: i64) -> Result<()> {
        let rows = sqlx::query(
            "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if rows == 0 {
            return Err(AdminError::Invalid(format!(
                "no active API key with id {id}"
            )));
        }
        Ok(())
    }

    /// The stored record of a presented key, if any (the same query the auth component runs).
    pub async fn find_api_key(&self, key: &str) -> Result<Option<ApiKeyRecord>> {
        check_api_key_format(key)?;
        type Row = (i64, String, bool, bool, bool, Option<i64>, String);
        let row: Option<Row> = sqlx::query_as(sql::SELECT_API_KEY)
            .bind(hash_api_key(key))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(
            |(id, owner, all, forwarder, revoked, expires_at_ms, servers)| {
                ApiKeyRecord::from_columns(
                    id,
                    owner,
                    all,
                    forwarder,
                    revoked,
                    expires_at_ms,
                    &servers,
                )
            },
        ))
    }

    /// Whether `key` may be used at `now_ms`.
    pub async fn verify_api_key(&self, key: &str, now_ms: u64) -> Result<ApiKeyRecord> {
        let record = self.find_api_key(key).await?.ok_or(ApiKeyError::Unknown)?;
        record.check_usable(now_ms)?;
        Ok(record)
    }
}
