//! Every seed mapping, through `explain`: the group reaches its server (allowed), and the same
//! user without the group, or the group on a server it is not mapped to, does not (denied twin).

use auth_core::AllowedServers;
use auth_core::policy::Rule;

use crate::common::TestDb;

const SEED: [(&str, &[&str]); 7] = [
    ("MCP-Admin", &["*"]),
    ("MCP-GitHub", &["github"]),
    ("MCP-Filesystem", &["filesystem"]),
    ("MCP-Atlassian", &["atlassian"]),
    (
        "Tenant-Google",
        &["github", "notion", "atlassian", "filesystem"],
    ),
    ("Tenant-AcmeCorp", &["atlassian", "slack", "filesystem"]),
    ("Tenant-Microsoft", &["github", "atlassian", "filesystem"]),
];

#[tokio::test]
async fn every_seed_mapping_has_an_allowed_and_a_denied_twin() {
    let db = TestDb::migrated().await;
    let servers = db.admin.list().await.unwrap().servers;
    for (group, mapped) in SEED {
        let groups = vec![group.to_owned()];
        for server in &servers {
            let explanation = db
                .admin
                .explain("alice@example.com", &groups, server)
                .await
                .unwrap();
            let expected = mapped.contains(&"*") || mapped.contains(&server.as_str());
            assert_eq!(
                explanation.verdict.allowed, expected,
                "{group} on {server}: {explanation}"
            );
            if expected {
                assert!(
                    matches!(&explanation.verdict.rule, Rule::GroupGrant { group: g, .. } if g == group),
                    "{explanation}"
                );
                let without = db
                    .admin
                    .explain("alice@example.com", &[], server)
                    .await
                    .unwrap();
                assert!(
                    !without.verdict.allowed,
                    "{server} without {group}: {without}"
                );
                assert_eq!(without.verdict.rule, Rule::NoMatchingRule);
            }
        }
    }
}

#[tokio::test]
async fn admin_group_reaches_every_server_until_a_user_deny() {
    let db = TestDb::migrated().await;
    let groups = vec!["MCP-Admin".to_owned()];
    let before = db
        .admin
        .explain("root@example.com", &groups, "slack")
        .await
        .unwrap();
    assert_eq!(before.servers, AllowedServers::All);

    db.admin
        .deny_user("root@example.com", "slack")
        .await
        .unwrap();
    let after = db
        .admin
        .explain("ROOT@example.com", &groups, "slack")
        .await
        .unwrap();
    assert!(!after.verdict.allowed);
    assert!(
        matches!(after.verdict.rule, Rule::UserDeny { .. }),
        "{after}"
    );
    assert!(after.servers.allows("github"));
    assert!(!after.servers.allows("slack"));
}

#[tokio::test]
async fn user_grant_is_explained_and_revocable() {
    let db = TestDb::migrated().await;
    db.admin
        .grant_user("bob@example.com", "linear")
        .await
        .unwrap();
    let granted = db
        .admin
        .explain("bob@example.com", &[], "linear")
        .await
        .unwrap();
    assert!(granted.verdict.allowed);
    assert!(matches!(granted.verdict.rule, Rule::UserGrant { .. }));

    db.admin
        .revoke_user("bob@example.com", "linear")
        .await
        .unwrap();
    let revoked = db
        .admin
        .explain("bob@example.com", &[], "linear")
        .await
        .unwrap();
    assert!(!revoked.verdict.allowed);
}

#[tokio::test]
async fn group_grant_and_revoke_round_trip() {
    let db = TestDb::migrated().await;
    let groups = vec!["Team-Data".to_owned()];
    db.admin.grant_group("Team-Data", "datadog").await.unwrap();
    assert!(
        db.admin
            .explain("carol", &groups, "datadog")
            .await
            .unwrap()
            .verdict
            .allowed
    );
    db.admin.revoke_group("team-data", "datadog").await.unwrap();
    assert!(
        !db.admin
            .explain("carol", &groups, "datadog")
            .await
            .unwrap()
            .verdict
            .allowed
    );
}
