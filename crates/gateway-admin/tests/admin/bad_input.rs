//! The binary: bad input gets a clear message and exit status 64, and changes nothing.

use crate::common::{TENANT, TestDb, admin_cli, group_id, stderr, user_id};

pub async fn assert_refused_without_change(db: &TestDb, args: &[&str], message: &str) {
    let before = db.snapshot().await;
    let output = admin_cli(db, args);
    assert_eq!(
        output.status.code(),
        Some(64),
        "{args:?}: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains(message),
        "{args:?}: {}",
        stderr(&output)
    );
    assert_eq!(db.snapshot().await, before, "{args:?} changed the database");
}

#[tokio::test]
async fn unknown_server_is_refused() {
    let db = TestDb::migrated().await;
    assert_refused_without_change(
        &db,
        &["grant", "group", "MCP-X", "nope"],
        "unknown server 'nope'",
    )
    .await;
    let alice = user_id(1);
    assert_refused_without_change(
        &db,
        &["deny", "user", &alice, "nope", "--tenant", TENANT],
        "unknown server",
    )
    .await;
}

#[tokio::test]
async fn user_rules_against_a_label_are_refused() {
    let db = TestDb::migrated().await;
    for command in ["deny", "grant"] {
        assert_refused_without_change(
            &db,
            &[
                command,
                "user",
                "mallory@example.com",
                "github",
                "--tenant",
                TENANT,
            ],
            "not an object id",
        )
        .await;
    }
    let labelled = admin_cli(
        &db,
        &[
            "deny",
            "user",
            &user_id(2),
            "github",
            "--tenant",
            TENANT,
            "--label",
            "mallory@example.com",
        ],
    );
    assert!(labelled.status.success(), "{}", stderr(&labelled));
    let listed = String::from_utf8_lossy(&admin_cli(&db, &["list"]).stdout).into_owned();
    assert!(
        listed.contains(&format!(
            "mallory@example.com (object id {} in tenant {TENANT}) deny github",
            user_id(2)
        )),
        "{listed}"
    );
}

#[tokio::test]
async fn api_key_with_one_bad_server_creates_nothing() {
    let db = TestDb::migrated().await;
    assert_refused_without_change(
        &db,
        &[
            "api-key", "create", "--owner", "ci", "--server", "github", "--server", "nope",
        ],
        "unknown server 'nope'",
    )
    .await;
    assert_refused_without_change(&db, &["api-key", "create", "--owner", "ci"], "--server").await;
    assert_refused_without_change(
        &db,
        &["api-key", "create", "--owner", " ", "--all-servers"],
        "owner must not be empty",
    )
    .await;
}

#[tokio::test]
async fn grant_over_a_deny_is_refused() {
    let db = TestDb::migrated().await;
    let mallory = user_id(2);
    let output = admin_cli(
        &db,
        &["deny", "user", &mallory, "github", "--tenant", TENANT],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_refused_without_change(
        &db,
        &[
            "grant",
            "user",
            &mallory.to_uppercase(),
            "github",
            "--tenant",
            TENANT,
        ],
        "revoke user",
    )
    .await;
}

#[tokio::test]
async fn usage_errors_exit_64() {
    let db = TestDb::migrated().await;
    assert_refused_without_change(
        &db,
        &["grant", "team", "x", "github"],
        "unrecognized subcommand",
    )
    .await;
    assert_refused_without_change(
        &db,
        &["revoke", "group", "MCP-GitHub", "slack"],
        "no mapping",
    )
    .await;
    assert_refused_without_change(&db, &["api-key", "revoke", "999"], "no active API key").await;
    assert_refused_without_change(&db, &["audit", "--limit", "0"], "--limit").await;
}

#[tokio::test]
async fn api_key_create_prints_the_key_once_and_explain_reports_the_rule() {
    let db = TestDb::migrated().await;
    let created = admin_cli(
        &db,
        &["api-key", "create", "--owner", "ci", "--server", "github"],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let stdout = String::from_utf8_lossy(&created.stdout);
    let key = stdout
        .lines()
        .find(|line| line.starts_with("mcpk_"))
        .expect("key printed");
    let listed = admin_cli(&db, &["api-key", "list"]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(key));

    let google = group_id("Tenant-Google");
    let linked = admin_cli(
        &db,
        &[
            "group",
            "link",
            "Tenant-Google",
            &google,
            "--tenant",
            TENANT,
        ],
    );
    assert!(linked.status.success(), "{}", stderr(&linked));
    let explained = admin_cli(
        &db,
        &[
            "explain",
            "--user",
            &user_id(1),
            "--tenant",
            TENANT,
            "--group",
            "Tenant-Google",
            "--server",
            "notion",
        ],
    );
    let stdout = String::from_utf8_lossy(&explained.stdout);
    assert!(
        stdout.contains(&format!(
            "allowed: group_tenant_mapping maps group 'Tenant-Google' (object id {google}) to server 'notion'"
        )),
        "{stdout}{}",
        stderr(&explained)
    );
}
