//! The `servers` table follows `servers.toml` (the registry the binary was built with): migrating
//! adds, renames and retiers; a server the registry no longer declares stays, reported.

use auth_core::GrantedTools;
use server_registry::{Server, Tier};

use crate::common::TestDb;

/// (id, name, tier) of every row, sorted by id.
async fn rows(db: &TestDb) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT id, name, tier FROM servers ORDER BY id")
        .fetch_all(db.admin.pool())
        .await
        .expect("read servers")
}

fn declared(servers: &[Server]) -> Vec<(String, String, String)> {
    let mut rows: Vec<_> = servers
        .iter()
        .map(|s| (s.id.clone(), s.name.clone(), s.tier.as_str().to_owned()))
        .collect();
    rows.sort();
    rows
}

fn wiki() -> Server {
    Server {
        id: "wiki".into(),
        name: "Wiki".into(),
        tier: Tier::Http,
        auth: "bearer".into(),
        origin: "https://wiki.example.com".into(),
        path: "/mcp".into(),
        timeout_secs: 60,
        pin: "warn".into(),
        hot: false,
    }
}

#[tokio::test]
async fn after_migrating_the_servers_table_is_the_registry() {
    let db = TestDb::migrated().await;
    assert_eq!(rows(&db).await, declared(&server_registry::embedded()));
}

#[tokio::test]
async fn a_server_added_to_the_registry_gets_its_row_and_can_be_granted() {
    let db = TestDb::migrated().await;
    let mut servers = server_registry::embedded();
    servers.push(wiki());
    let sync = db.admin.sync_servers(&servers).await.unwrap();
    assert_eq!(sync.added, ["wiki"]);
    assert!(
        sync.updated.is_empty() && sync.undeclared.is_empty(),
        "{sync:?}"
    );
    assert_eq!(rows(&db).await, declared(&servers));
    db.admin
        .grant_group("MCP-Wiki", "wiki", &GrantedTools::All)
        .await
        .expect("a grant of the new server");

    let again = db.admin.sync_servers(&servers).await.unwrap();
    assert_eq!(again, gateway_admin::ServerSync::default());
}

#[tokio::test]
async fn a_renamed_or_retiered_server_is_updated() {
    let db = TestDb::migrated().await;
    let mut servers = server_registry::embedded();
    let github = servers.iter_mut().find(|s| s.id == "github").unwrap();
    github.name = "GitHub.com".into();
    let sentry = servers.iter_mut().find(|s| s.id == "sentry").unwrap();
    sentry.tier = Tier::Http;
    let sync = db.admin.sync_servers(&servers).await.unwrap();
    assert_eq!(sync.updated, ["github", "sentry"]);
    assert_eq!(rows(&db).await, declared(&servers));
}

#[tokio::test]
async fn a_server_no_longer_declared_stays_and_is_reported() {
    let db = TestDb::migrated().await;
    db.admin
        .grant_group("MCP-Demo", "demo", &GrantedTools::All)
        .await
        .unwrap();
    let servers: Vec<Server> = server_registry::embedded()
        .into_iter()
        .filter(|s| s.id != "demo")
        .collect();
    let sync = db.admin.sync_servers(&servers).await.unwrap();
    assert_eq!(sync.undeclared, ["demo"]);
    assert!(rows(&db).await.iter().any(|(id, ..)| id == "demo"));
    assert!(sync.to_string().contains("left in place): demo"), "{sync}");
}
