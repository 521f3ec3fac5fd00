//! Every seed mapping through real tokens: allowed for the group's servers, denied elsewhere.

use gateway_admin::User;

use crate::common::{Gateway, Options, TENANT, user_id};

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
async fn seed_groups_reach_exactly_their_servers() {
    let gw = Gateway::start(Options::default()).await;
    let servers = gw.admin.list().await.unwrap().servers;
    for (index, (group, mapped)) in SEED.iter().enumerate() {
        let reply = gw
            .authorize_bearer(&gw.token(&format!("oid-{index}"), &[group]))
            .await;
        for server in &servers {
            let expected = mapped.contains(&"*") || mapped.contains(&server.as_str());
            assert_eq!(
                reply.allows(server),
                expected,
                "{group} on {server}: {}",
                reply.body
            );
        }
    }
    let nobody = gw.authorize_bearer(&gw.token("oid-none", &[])).await;
    assert!(
        servers.iter().all(|server| !nobody.allows(server)),
        "{}",
        nobody.body
    );
}

#[tokio::test]
async fn user_deny_wins_over_the_admin_group() {
    let gw = Gateway::start(Options::default()).await;
    let root = user_id(1);
    let user = User::new(TENANT, &root, Some("root@example.com")).unwrap();
    gw.admin.deny_user(&user, "slack").await.unwrap();
    let reply = gw.authorize_bearer(&gw.token(&root, &["MCP-Admin"])).await;
    assert!(reply.allows("github"));
    assert!(!reply.allows("slack"));
    let twin = gw
        .authorize_bearer(&gw.token(&user_id(2), &["MCP-Admin"]))
        .await;
    assert!(twin.allows("slack"), "{}", twin.body);
}
