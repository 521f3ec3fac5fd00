//! Every seed mapping, through `explain`: once its label is linked to a group's object id, the
//! group reaches its servers (allowed), and the same user without the group, the group on a
//! server it is not mapped to, or the same id in another tenant does not (denied twins). User
//! rules name object ids; a label is refused.

use auth_core::policy::Rule;
use auth_core::{AllowedServers, GrantedTools};
use gateway_admin::User;

use crate::common::{OTHER_TENANT, TENANT, TestDb, group_id, user_id};

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

fn user(n: u8, label: Option<&str>) -> User {
    User::new(TENANT, &user_id(n), label).unwrap()
}

#[tokio::test]
async fn every_linked_seed_mapping_has_an_allowed_and_a_denied_twin() {
    let db = TestDb::migrated().await;
    db.link_seed_groups().await;
    let alice = user_id(1);
    let servers = db.admin.list().await.unwrap().servers;
    for (group, mapped) in SEED {
        let by_label = vec![group.to_owned()];
        let by_id = vec![group_id(group)];
        for server in &servers {
            let explanation = db
                .admin
                .explain(TENANT, &alice, &by_label, server)
                .await
                .unwrap();
            assert_eq!(
                explanation,
                db.admin
                    .explain(TENANT, &alice, &by_id, server)
                    .await
                    .unwrap()
            );
            let expected = mapped.contains(&"*") || mapped.contains(&server.as_str());
            assert_eq!(
                explanation.verdict.allowed, expected,
                "{group} on {server}: {explanation}"
            );
            if expected {
                assert!(
                    matches!(&explanation.verdict.rule,
                        Rule::GroupGrant { group: g, object_id, .. } if g == group && *object_id == group_id(group)),
                    "{explanation}"
                );
                let without = db.admin.explain(TENANT, &alice, &[], server).await.unwrap();
                assert!(
                    !without.verdict.allowed,
                    "{server} without {group}: {without}"
                );
                assert_eq!(without.verdict.rule, Rule::NoMatchingRule);
                let elsewhere = db
                    .admin
                    .explain(OTHER_TENANT, &alice, &by_id, server)
                    .await
                    .unwrap();
                assert!(
                    !elsewhere.verdict.allowed,
                    "{group} of another tenant on {server}: {elsewhere}"
                );
            }
        }
    }
}

#[tokio::test]
async fn an_unlinked_label_grants_nothing_and_explain_shows_label_and_id() {
    let db = TestDb::migrated().await;
    let admin_id = vec![group_id("MCP-Admin")];
    let before = db
        .admin
        .explain(TENANT, &user_id(1), &admin_id, "github")
        .await
        .unwrap();
    assert_eq!(before.servers, AllowedServers::Set(Default::default()));
    let listing = db.admin.list().await.unwrap().to_string();
    assert!(
        listing.contains("MCP-Admin -> * (not linked to an object id: grants nothing)"),
        "{listing}"
    );

    db.admin
        .link_group("MCP-Admin", TENANT, &group_id("MCP-Admin").to_uppercase())
        .await
        .unwrap();
    let after = db
        .admin
        .explain(TENANT, &user_id(1), &admin_id, "github")
        .await
        .unwrap();
    assert_eq!(after.servers, AllowedServers::All);
    assert!(
        after.to_string().contains(&format!(
            "maps group 'MCP-Admin' (object id {}) to server '*'",
            group_id("MCP-Admin")
        )),
        "{after}"
    );
    let listing = db.admin.list().await.unwrap().to_string();
    assert!(
        listing.contains(&format!(
            "MCP-Admin -> * (object id {} in tenant {TENANT})",
            group_id("MCP-Admin")
        )),
        "{listing}"
    );
}

#[tokio::test]
async fn one_object_id_links_one_label_per_tenant() {
    let db = TestDb::migrated().await;
    let id = group_id("MCP-Admin");
    db.admin.link_group("MCP-Admin", TENANT, &id).await.unwrap();
    let err = db
        .admin
        .link_group("MCP-GitHub", TENANT, &id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already linked"), "{err}");
    db.admin
        .link_group("MCP-GitHub", OTHER_TENANT, &id)
        .await
        .unwrap();
    assert!(
        db.admin
            .link_group("MCP-Admin", TENANT, "MCP-Admin")
            .await
            .is_err(),
        "a name is not an object id"
    );
}

#[tokio::test]
async fn admin_group_reaches_every_server_until_a_user_deny() {
    let db = TestDb::migrated().await;
    db.link_seed_groups().await;
    let groups = vec!["MCP-Admin".to_owned()];
    let root = user_id(2);
    let before = db
        .admin
        .explain(TENANT, &root, &groups, "slack")
        .await
        .unwrap();
    assert_eq!(before.servers, AllowedServers::All);

    db.admin
        .deny_user(&user(2, Some("root@example.com")), "slack")
        .await
        .unwrap();
    let after = db
        .admin
        .explain(TENANT, &root.to_uppercase(), &groups, "slack")
        .await
        .unwrap();
    assert!(!after.verdict.allowed);
    assert!(
        matches!(&after.verdict.rule, Rule::UserDeny { user, .. } if user.contains("root@example.com") && user.contains(&root)),
        "{after}"
    );
    assert!(after.servers.allows("github"));
    assert!(!after.servers.allows("slack"));
    let elsewhere = db
        .admin
        .explain(OTHER_TENANT, &root, &[], "slack")
        .await
        .unwrap();
    assert_eq!(elsewhere.verdict.rule, Rule::NoMatchingRule);
}

#[tokio::test]
async fn user_grant_is_explained_and_revocable() {
    let db = TestDb::migrated().await;
    let bob = user_id(3);
    db.admin
        .grant_user(
            &user(3, Some("bob@example.com")),
            "linear",
            &GrantedTools::All,
        )
        .await
        .unwrap();
    let granted = db.admin.explain(TENANT, &bob, &[], "linear").await.unwrap();
    assert!(granted.verdict.allowed);
    assert!(matches!(granted.verdict.rule, Rule::UserGrant { .. }));
    let elsewhere = db
        .admin
        .explain(OTHER_TENANT, &bob, &[], "linear")
        .await
        .unwrap();
    assert!(!elsewhere.verdict.allowed, "{elsewhere}");

    db.admin.revoke_user(TENANT, &bob, "linear").await.unwrap();
    let revoked = db.admin.explain(TENANT, &bob, &[], "linear").await.unwrap();
    assert!(!revoked.verdict.allowed);
}

#[tokio::test]
async fn user_rules_against_labels_are_refused() {
    for label in ["mallory@example.com", "Mallory", "oid-mallory"] {
        let err = User::new(TENANT, label, None).err().expect(label);
        assert!(err.to_string().contains("not an object id"), "{err}");
    }
    assert!(User::new("contoso.onmicrosoft.com", &user_id(1), None).is_err());
}

#[tokio::test]
async fn group_grant_and_revoke_round_trip() {
    let db = TestDb::migrated().await;
    let team = vec![group_id("Team-Data")];
    db.admin
        .grant_group("Team-Data", "datadog", &GrantedTools::All)
        .await
        .unwrap();
    db.admin
        .link_group("Team-Data", TENANT, &group_id("Team-Data"))
        .await
        .unwrap();
    let carol = user_id(4);
    assert!(
        db.admin
            .explain(TENANT, &carol, &team, "datadog")
            .await
            .unwrap()
            .verdict
            .allowed
    );
    db.admin.revoke_group("team-data", "datadog").await.unwrap();
    assert!(
        !db.admin
            .explain(TENANT, &carol, &team, "datadog")
            .await
            .unwrap()
            .verdict
            .allowed
    );
}
