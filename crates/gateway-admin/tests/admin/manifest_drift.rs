//! A server's display name and tier are written twice: in `spin.toml` (the route component's
//! `server_name` and `tier`, shown by `GET /<s>`) and in the seed migrations (the `servers`
//! table, shown by `GET /`). These tests fail when the two disagree.

use std::collections::BTreeMap;

use crate::common::TestDb;

/// server id → (display name, tier).
type Servers = BTreeMap<String, (String, String)>;

/// The route components of the manifest: every component with a `server_id` variable, but the
/// aggregate (it has `members`, and fronts no server of its own).
fn manifest_servers(text: &str) -> Servers {
    let manifest: toml::Table = text.parse().expect("spin.toml parses");
    let components = manifest["component"].as_table().expect("[component] table");
    components
        .values()
        .filter_map(|component| {
            let variables = component.get("variables")?.as_table()?;
            if variables.contains_key("members") {
                return None;
            }
            let field = |name: &str| {
                variables
                    .get(name)
                    .and_then(toml::Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let id = variables.get("server_id")?.as_str()?.to_owned();
            Some((id, (field("server_name"), field("tier"))))
        })
        .collect()
}

async fn database_servers(db: &TestDb) -> Servers {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, name, tier FROM servers ORDER BY id")
            .fetch_all(db.admin.pool())
            .await
            .expect("read servers");
    rows.into_iter()
        .map(|(id, name, tier)| (id, (name, tier)))
        .collect()
}

/// Every difference between the two, one line each.
fn drift(manifest: &Servers, database: &Servers) -> Vec<String> {
    let mut found = Vec::new();
    for (id, listed) in manifest {
        match database.get(id) {
            None => found.push(format!("{id}: in spin.toml, not in the seed migrations")),
            Some(seeded) if seeded != listed => found.push(format!(
                "{id}: spin.toml says {listed:?}, the seed migrations say {seeded:?}"
            )),
            Some(_) => {}
        }
    }
    for id in database.keys().filter(|id| !manifest.contains_key(*id)) {
        found.push(format!("{id}: in the seed migrations, not in spin.toml"));
    }
    found
}

fn spin_toml() -> String {
    std::fs::read_to_string(test_support::workspace_root().join("spin.toml")).expect("spin.toml")
}

#[tokio::test]
async fn spin_toml_and_the_seed_migrations_name_the_same_servers() {
    let db = TestDb::migrated().await;
    let manifest = manifest_servers(&spin_toml());
    assert!(manifest.len() > 1, "{manifest:?}");
    let found = drift(&manifest, &database_servers(&db).await);
    assert!(found.is_empty(), "drift:\n{}", found.join("\n"));
}

#[tokio::test]
async fn a_server_added_to_one_place_only_is_drift() {
    let db = TestDb::migrated().await;
    let seeded = database_servers(&db).await;
    let with_route = spin_toml().replace(
        "[component.github.variables]",
        "[component.jira.variables]\nserver_id = \"jira\"\nserver_name = \"Jira\"\ntier = \"http\"\n\n[component.github.variables]",
    );
    assert_eq!(
        drift(&manifest_servers(&with_route), &seeded),
        ["jira: in spin.toml, not in the seed migrations"]
    );

    sqlx::query("INSERT INTO servers (id, name, tier) VALUES ('jira', 'Jira', 'http')")
        .execute(db.admin.pool())
        .await
        .expect("insert");
    let manifest = manifest_servers(&spin_toml());
    assert_eq!(
        drift(&manifest, &database_servers(&db).await),
        ["jira: in the seed migrations, not in spin.toml"]
    );
}

#[tokio::test]
async fn a_renamed_or_retiered_server_is_drift() {
    let db = TestDb::migrated().await;
    let seeded = database_servers(&db).await;
    let renamed = spin_toml().replace("server_name = \"GitHub\"", "server_name = \"GitHub.com\"");
    let found = drift(&manifest_servers(&renamed), &seeded);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("github: spin.toml says"), "{found:?}");

    let retiered = spin_toml().replace(
        "server_id = \"sentry\"\nserver_name = \"Sentry\"\ntier = \"stdio\"",
        "server_id = \"sentry\"\nserver_name = \"Sentry\"\ntier = \"http\"",
    );
    let found = drift(&manifest_servers(&retiered), &seeded);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("sentry: spin.toml says"), "{found:?}");
}

/// The aggregate entry's `members` and the hosts it may chain to: sorted server ids each.
fn aggregate_members(text: &str) -> (Vec<String>, Vec<String>) {
    let manifest: toml::Table = text.parse().expect("spin.toml parses");
    let aggregate = &manifest["component"]["aggregate"];
    let mut members: Vec<String> = aggregate["variables"]["members"]
        .as_str()
        .expect("members")
        .split(',')
        .map(|id| id.trim().to_owned())
        .collect();
    let mut chained: Vec<String> = aggregate["allowed_outbound_hosts"]
        .as_array()
        .expect("allowed_outbound_hosts")
        .iter()
        .filter_map(|host| host.as_str()?.strip_prefix("http://"))
        .filter_map(|host| host.strip_suffix(".spin.internal"))
        .filter(|id| *id != "auth")
        .map(str::to_owned)
        .collect();
    members.sort();
    chained.sort();
    (members, chained)
}

#[test]
fn the_aggregate_has_every_server_as_a_member_and_may_reach_each() {
    let text = spin_toml();
    let servers: Vec<String> = manifest_servers(&text).into_keys().collect();
    let (members, chained) = aggregate_members(&text);
    assert_eq!(members, servers, "members of the aggregate");
    assert_eq!(chained, servers, "hosts the aggregate may chain to");

    let without_demo = text.replace(",demo\"", "\"");
    assert_ne!(
        aggregate_members(&without_demo).0,
        servers,
        "the test can fail"
    );
}
