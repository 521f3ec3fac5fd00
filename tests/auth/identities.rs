//! Identities, not names: groups match by object id within their tenant, users by object id
//! within their tenant; display names and usernames grant nothing.

use auth_core::GrantedTools;
use gateway_admin::User;
use serde_json::json;

use crate::common::{Gateway, OTHER_TENANT, Options, TENANT, group_id, issuer, user_id};

#[tokio::test]
async fn group_names_in_a_token_grant_nothing() {
    let gw = Gateway::start(Options::default()).await;
    let by_name = gw.tenant_claims(TENANT, "oid-a", &["MCP-Admin", "mcp-github"]);
    let reply = gw.authorize_bearer(&issuer().mint(&by_name)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["servers"], json!({"set": {}}));

    let twin = gw
        .authorize_bearer(&gw.token("oid-b", &["MCP-Admin"]))
        .await;
    assert_eq!(twin.body["servers"], "all", "{}", twin.body);
}

#[tokio::test]
async fn a_group_linked_in_one_tenant_grants_nothing_in_another() {
    let gw = Gateway::start(Options::default()).await;
    let admin_group = group_id("MCP-Admin");
    let elsewhere = gw.tenant_claims(OTHER_TENANT, "oid-a", &[&admin_group]);
    let reply = gw.authorize_bearer(&issuer().mint(&elsewhere)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["principal"]["tenant_id"], OTHER_TENANT);
    assert_eq!(reply.body["servers"], json!({"set": {}}));
}

#[tokio::test]
async fn user_rules_match_the_object_id_within_its_tenant_not_the_username() {
    let gw = Gateway::start(Options::default()).await;
    // A grant written by username before rules named identities: it grants nothing now.
    sqlx::query(
        "INSERT INTO user_tenant_access (user_id, server_id, access) \
         VALUES ('oid-eve@example.com', 'linear', 'grant')",
    )
    .execute(gw.admin.pool())
    .await
    .unwrap();
    let eve = gw.authorize_bearer(&gw.token("oid-eve", &[])).await;
    assert!(!eve.allows("linear"), "{}", eve.body);

    let alice = user_id(1);
    let user = User::new(TENANT, &alice, Some("alice@example.com")).unwrap();
    gw.admin
        .grant_user(&user, "linear", &GrantedTools::All)
        .await
        .unwrap();
    let granted = gw.authorize_bearer(&gw.token(&alice, &[])).await;
    assert!(granted.allows("linear"), "{}", granted.body);
    let same_id_elsewhere = gw.tenant_claims(OTHER_TENANT, &alice, &[]);
    let other = gw
        .authorize_bearer(&issuer().mint(&same_id_elsewhere))
        .await;
    assert!(!other.allows("linear"), "{}", other.body);
}

#[tokio::test]
async fn a_deny_written_by_username_before_identities_still_applies() {
    let gw = Gateway::start(Options::default()).await;
    sqlx::query(
        "INSERT INTO user_tenant_access (user_id, server_id, access) \
         VALUES ('oid-root@example.com', 'slack', 'deny')",
    )
    .execute(gw.admin.pool())
    .await
    .unwrap();
    let root = gw
        .authorize_bearer(&gw.token("oid-root", &["MCP-Admin"]))
        .await;
    assert!(!root.allows("slack"), "{}", root.body);
    assert!(root.allows("github"), "{}", root.body);
}
