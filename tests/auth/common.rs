//! Starts the built `auth.wasm` under the project's runner (`spin-runner up`) with a generated
//! manifest, a fresh migrated database and a local Entra-like issuer, and calls it over HTTP.
//!
//! The manifest gives the component a public wildcard route: a private route is reachable only by
//! service chaining, which the runner's own tests cover; here the component's behaviour is tested.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::test_issuer::{
    GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET, IdentityProvider, TestIssuer, access_token_claims,
};
use gateway_admin::Admin;
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use test_support::RunnerProcess;

pub const TENANT: &str = "11111111-1111-1111-1111-111111111111";
/// A second accepted tenant, where the seed groups are not linked.
pub const OTHER_TENANT: &str = "22222222-2222-2222-2222-222222222222";
pub const AUDIENCE: &str = "api://mcp-gateway";
pub const GATEWAY_SECRET: &str = "e2e-gateway-secret-of-at-least-32-bytes";

pub fn issuer() -> &'static TestIssuer {
    static ISSUER: OnceLock<TestIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| TestIssuer::generate("e2e-key-1"))
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The object id the seed group `label` is linked to in [`TENANT`].
pub fn group_id(label: &str) -> String {
    let n = label.bytes().fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(b))
    });
    format!("{n:08x}-0000-4000-8000-000000000000")
}

/// A user's object id, distinct per `n` (user rules name object ids).
pub fn user_id(n: u8) -> String {
    format!("00000000-0000-0000-0000-0000000000{n:02x}")
}

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// What differs between test setups.
#[derive(Default)]
pub struct Options {
    /// Point the component at this database instead of the test's own (to simulate an outage).
    pub database_url: Option<String>,
    /// Give the component client credentials for Microsoft Graph (group overage).
    pub graph_credentials: bool,
    /// `entra_accepted_app_roles`: app roles with which app-only tokens are accepted.
    pub accepted_app_roles: &'static str,
    /// Use this state folder (its key-value store) instead of a new one, to share it.
    pub state_dir: Option<PathBuf>,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub www_authenticate: Option<String>,
}

impl Reply {
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }

    pub fn allows(&self, server: &str) -> bool {
        assert_eq!(self.status, 200, "{}", self.body);
        let servers = &self.body["servers"];
        servers == "all"
            || servers["set"]
                .as_object()
                .is_some_and(|set| set.contains_key(server))
    }
}

pub struct Gateway {
    pub base: String,
    pub admin: Admin,
    pub idp: IdentityProvider,
    database: String,
    dir: PathBuf,
    state_dir: PathBuf,
    runner: RunnerProcess,
}

fn with_database(url: &str, name: &str) -> url::Url {
    let mut url = url::Url::parse(url).expect("DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url
}

impl Gateway {
    pub async fn start(options: Options) -> Self {
        let database = unique("mcpgw_auth_e2e");
        let mut server = PgConnection::connect(&test_support::database_url())
            .await
            .expect("connect to DATABASE_URL");
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .execute(&mut server)
            .await
            .expect("create database");
        let admin_url = with_database(&test_support::database_url(), &database);
        let admin = Admin::connect(admin_url.as_str()).await.expect("connect");
        admin
            .migrate(&server_registry::embedded())
            .await
            .expect("migrate");
        for mapping in admin.list().await.expect("list").group_mappings {
            admin
                .link_group(&mapping.group, TENANT, &group_id(&mapping.group))
                .await
                .expect("link seed group");
        }

        let mut component_url = match &options.database_url {
            Some(url) => url::Url::parse(url).expect("database URL"),
            None => admin_url,
        };
        component_url.set_query(Some("sslmode=disable"));
        let database_host = format!(
            "{}:{}",
            component_url.host_str().expect("database host"),
            component_url.port().unwrap_or(5432)
        );

        let idp = IdentityProvider::start(issuer().jwks());
        let (client_id, client_secret) = if options.graph_credentials {
            (GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET)
        } else {
            ("", "")
        };
        let dir = std::env::temp_dir().join(unique("auth-e2e"));
        std::fs::create_dir_all(&dir).expect("app dir");
        let wasm = test_support::wasm_dir().join("auth.wasm");
        let manifest = format!(
            r#"spin_manifest_version = 2
[application]
name = "auth-e2e"
version = "0.1.0"

[[trigger.http]]
route = "/..."
component = "auth"

[component.auth]
source = "{wasm}"
allowed_outbound_hosts = ["postgres://{database_host}", "{origin}"]
key_value_stores = ["default"]
[component.auth.variables]
database_url = "{component_url}"
entra_tenant_id = "{TENANT},{OTHER_TENANT}"
entra_audience = "{AUDIENCE}"
entra_authority = "{origin}"
entra_client_id = "{client_id}"
entra_client_secret = "{client_secret}"
graph_origin = "{origin}"
gateway_secret = "{GATEWAY_SECRET}"
entra_accepted_app_roles = "{roles}"
"#,
            wasm = wasm.display(),
            origin = idp.origin(),
            roles = options.accepted_app_roles,
        );
        std::fs::write(dir.join("spin.toml"), manifest).expect("write manifest");
        let state_dir = options.state_dir.unwrap_or_else(|| dir.join(".spin"));

        let mut command = Command::new(test_support::runner_bin());
        command
            .args(["up", "--from"])
            .arg(dir.join("spin.toml"))
            .args(["--listen", "127.0.0.1:0", "--state-dir"])
            .arg(&state_dir)
            .arg("--cache-dir")
            .arg(
                test_support::workspace_root()
                    .join("target")
                    .join("spin-runner-cache"),
            );
        let runner = RunnerProcess::start(&mut command)
            .unwrap_or_else(|log| panic!("runner did not start: {log}"));
        let base = runner.base.clone();
        Self {
            base,
            admin,
            idp,
            database,
            dir,
            state_dir,
            runner,
        }
    }

    /// The folder holding the component's key-value store (`sqlite_key_value.db`).
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir.clone()
    }

    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: String) -> Reply {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let www_authenticate = response
            .headers()
            .get("www-authenticate")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("not JSON: {text}\nrunner log:\n{}", self.log()));
        Reply {
            status,
            body,
            www_authenticate,
        }
    }

    pub async fn authorize(&self, headers: &[(&str, &str)]) -> Reply {
        self.post("/authorize", headers, String::new()).await
    }

    pub async fn authorize_bearer(&self, token: &str) -> Reply {
        self.authorize(&[("authorization", &format!("Bearer {token}"))])
            .await
    }

    /// Claims of a valid token from this gateway's issuer, whose `groups` are the object ids of
    /// the seed groups labelled `groups`.
    pub fn claims(&self, object_id: &str, groups: &[&str]) -> Value {
        let ids: Vec<String> = groups.iter().map(|label| group_id(label)).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        self.tenant_claims(TENANT, object_id, &ids)
    }

    /// Claims of a valid token of `tenant` whose `groups` claim is `groups` verbatim.
    pub fn tenant_claims(&self, tenant: &str, object_id: &str, groups: &[&str]) -> Value {
        access_token_claims(
            &self.idp.origin(),
            tenant,
            AUDIENCE,
            object_id,
            &format!("{object_id}@example.com"),
            groups,
            now_secs(),
        )
    }

    pub fn token(&self, object_id: &str, groups: &[&str]) -> String {
        issuer().mint(&self.claims(object_id, groups))
    }

    pub fn log(&self) -> String {
        self.runner.log()
    }

    /// Whether `text` reaches the log within 5 s (a component's stderr is copied to the log
    /// asynchronously, so a line may trail the response it belongs to).
    pub async fn logs(&self, text: &str) -> bool {
        for _ in 0..50 {
            if self.log().contains(text) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let name = self.database.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(mut server) = PgConnection::connect(&test_support::database_url()).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(AssertSqlSafe(drop)).execute(&mut server).await;
                }
            });
        })
        .join();
    }
}
