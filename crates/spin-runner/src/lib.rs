//! A Spin 3.6.3-compatible runner on wasmtime, for machines without the Spin CLI.
//!
//! It loads a real `spin.toml` (manifest v2) and serves its wasi:http components with Spin's
//! behaviour for what this project uses: HTTP routes and `spin-*` headers, variables,
//! `allowed_outbound_hosts`, service chaining, key-value (SQLite or Redis), PostgreSQL and
//! selective deployment. `spin-runner up --help` lists the options, which mirror `spin up`.

pub mod allowed_hosts;
pub mod app;
pub mod cli;
pub mod host;
pub mod kv;
pub mod manifest;
pub mod routes;
pub mod runtime;
pub mod runtime_config;
pub mod server;
pub mod variables;

use std::path::PathBuf;

#[allow(clippy::all, missing_docs)]
mod bindings {
    include!(concat!(env!("OUT_DIR"), "/spin_bindings.rs"));
}

/// Everything that can be wrong with an application before it serves a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid manifest: {0}")]
    Manifest(String),
    #[error("{0}")]
    MissingVariables(String),
    #[error("invalid allowed_outbound_hosts entry {0}")]
    AllowedHost(String),
    #[error("{0}")]
    Selection(String),
    #[error("invalid runtime config: {0}")]
    RuntimeConfig(String),
    #[error("key-value: {0}")]
    KeyValue(String),
}

pub use cli::{Cli, run};
