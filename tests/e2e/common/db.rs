//! A fresh policy database per test, migrated with the admin tool's own migrator.

use std::sync::atomic::{AtomicU32, Ordering};

use auth_core::AllowedServers;
use gateway_admin::{Admin, AuditEntry, AuditFilter, NewApiKey};

use super::rt;

pub struct Database {
    pub url: String,
    pub admin: Admin,
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
    let root = base.rsplit_once('/').map_or(base, |(root, _)| root);
    if query.is_empty() {
        format!("{root}/{name}")
    } else {
        format!("{root}/{name}?{query}")
    }
}

impl Database {
    pub fn create(tag: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "mcpgw_e2e_{}_{}_{}",
            tag.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let server = test_support::database_url();
        rt().block_on(async {
            let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
                .await
                .expect("connect to DATABASE_URL");
            tokio::spawn(connection);
            client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                .await
                .expect("drop");
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
        });
        let url = with_database(&server, &name);
        let admin = rt().block_on(async {
            let admin = Admin::connect(&url).await.expect("connect admin");
            admin
                .migrate(&server_registry::embedded())
                .await
                .expect("migrate");
            admin
        });
        Self { url, admin }
    }

    /// An API key for `servers` (`None`: every server).
    pub fn api_key(&self, owner: &str, servers: Option<&[&str]>) -> String {
        let servers = match servers {
            None => AllowedServers::All,
            Some(list) => AllowedServers::whole(list.iter().copied()),
        };
        let new = NewApiKey {
            owner: owner.into(),
            servers,
            forwarder: false,
            expires_in_days: None,
        };
        rt().block_on(self.admin.create_api_key(&new))
            .expect("create api key")
            .key
    }

    /// A key for the `demo` server only.
    pub fn api_demo_key(&self) -> String {
        self.api_key("demo-only", Some(&["demo"]))
    }

    /// `host:port` of the database, for `allowed_outbound_hosts`.
    /// The newest `limit` audit records of `server`.
    pub fn audit_of(&self, server: &str, limit: u32) -> Vec<AuditEntry> {
        let filter = AuditFilter {
            principal_id: None,
            server: Some(server.into()),
            limit,
        };
        rt().block_on(self.admin.audit(&filter))
            .expect("read audit log")
    }

    pub fn host_port(&self) -> String {
        let config: tokio_postgres::Config = self.url.parse().expect("database url");
        let host = match &config.get_hosts()[0] {
            tokio_postgres::config::Host::Tcp(host) => host.clone(),
            other => panic!("DATABASE_URL must use TCP, not {other:?}"),
        };
        format!(
            "{host}:{}",
            config.get_ports().first().copied().unwrap_or(5432)
        )
    }
}
