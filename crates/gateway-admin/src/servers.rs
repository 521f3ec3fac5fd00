//! The `servers` table follows `servers.toml`: migrating adds the servers it declares and gives
//! each its declared name and tier. Rows it no longer declares stay (grants and audit entries
//! refer to them) and are reported.

use std::collections::BTreeMap;

use server_registry::Server;

use crate::{Admin, Result};

/// What a sync changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ServerSync {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    /// In the database, not in the registry: left in place.
    pub undeclared: Vec<String>,
}

impl Admin {
    /// Makes the `servers` table agree with `servers`, in one transaction.
    pub async fn sync_servers(&self, servers: &[Server]) -> Result<ServerSync> {
        let mut tx = self.pool.begin().await?;
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, name, tier FROM servers ORDER BY id FOR UPDATE")
                .fetch_all(&mut *tx)
                .await?;
        let mut existing: BTreeMap<String, (String, String)> = rows
            .into_iter()
            .map(|(id, name, tier)| (id, (name, tier)))
            .collect();
        let mut sync = ServerSync::default();
        for server in servers {
            let declared = (server.name.clone(), server.tier.as_str().to_owned());
            let change = match existing.remove(&server.id) {
                Some(stored) if stored == declared => continue,
                Some(_) => &mut sync.updated,
                None => &mut sync.added,
            };
            sqlx::query(
                "INSERT INTO servers (id, name, tier) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, tier = EXCLUDED.tier",
            )
            .bind(&server.id)
            .bind(&declared.0)
            .bind(&declared.1)
            .execute(&mut *tx)
            .await?;
            change.push(server.id.clone());
        }
        tx.commit().await?;
        sync.undeclared = existing.into_keys().collect();
        Ok(sync)
    }
}

impl std::fmt::Display for ServerSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.added.is_empty() {
            writeln!(f, "servers added: {}", self.added.join(", "))?;
        }
        if !self.updated.is_empty() {
            writeln!(
                f,
                "servers renamed or moved to another tier: {}",
                self.updated.join(", ")
            )?;
        }
        if !self.undeclared.is_empty() {
            writeln!(
                f,
                "servers in the database that servers.toml does not declare (left in place): {}",
                self.undeclared.join(", ")
            )?;
        }
        Ok(())
    }
}
