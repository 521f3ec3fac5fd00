//! `mcp-gateway-admin`: applies the migrations and manages the gateway's policy (group and user
//! grants, tool rules, API keys, approved tool definitions), reads the audit log and explains
//! decisions, using the same pure policy evaluation as the auth component (`auth-core`). Every
//! change runs in one transaction, and bad input changes nothing.

mod api_keys;
mod audit;
pub mod cli;
mod commands;
mod definitions;
mod error;
mod line_diff;
mod migrate;
mod policy_store;
mod servers;
mod validate;

use std::process::ExitCode;

use clap::Parser;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub use api_keys::{ApiKeySummary, CreatedApiKey, NewApiKey};
pub use audit::{AuditEntry, AuditFilter};
pub use commands::run;
pub use definitions::{Approval, ApprovedDefinition, PendingDefinition};
pub use error::{AdminError, EXIT_UNAVAILABLE, EXIT_USAGE, Result};
pub use migrate::{MIGRATOR, Migrated};
pub use policy_store::{Change, Explanation, GroupMapping, GroupToolDeny, Listing, User};
pub use servers::ServerSync;

/// A connection to the policy database.
#[derive(Clone)]
pub struct Admin {
    pool: PgPool,
}

impl Admin {
    pub async fn connect(database_url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect(database_url)
            .await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// The binary's entry point: parse, run, print, exit with a sysexits status.
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("mcp-gateway-admin: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("mcp-gateway-admin: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
