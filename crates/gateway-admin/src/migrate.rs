use sqlx::migrate::Migrator;

use server_registry::Server;

use crate::servers::ServerSync;
use crate::{Admin, Result};

/// What `migrate` did.
#[derive(Debug)]
pub struct Migrated {
    /// Versions applied by this call.
    pub applied: Vec<i64>,
    pub servers: ServerSync,
}

/// The versioned migrations of `migrations/`, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

impl Admin {
    /// Applies pending migrations, then makes the `servers` table agree with `servers`.
    pub async fn migrate(&self, servers: &[Server]) -> Result<Migrated> {
        let before = self.applied_versions().await?;
        MIGRATOR.run(&self.pool).await?;
        let after = self.applied_versions().await?;
        let servers = self.sync_servers(servers).await?;
        Ok(Migrated {
            applied: after
                .into_iter()
                .filter(|version| !before.contains(version))
                .collect(),
            servers,
        })
    }

    async fn applied_versions(&self) -> Result<Vec<i64>> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&self.pool)
            .await?;
        if !exists {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
