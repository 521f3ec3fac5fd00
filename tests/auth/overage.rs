//! Group overage: groups come from the fake Microsoft Graph, or the caller is told why not.

use serde_json::json;

use crate::common::{Gateway, Options, group_id, issuer};

fn overage_token(gw: &Gateway, object_id: &str) -> String {
    let mut claims = gw.claims(object_id, &[]);
    claims.as_object_mut().unwrap().remove("groups");
    claims["_claim_names"] = json!({"groups": "src1"});
    claims["_claim_sources"] =
        json!({"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}});
    issuer().mint(&claims)
}

#[tokio::test]
async fn overage_is_resolved_through_graph() {
    let gw = Gateway::start(Options {
        graph_credentials: true,
        ..Options::default()
    })
    .await;
    gw.idp.set_groups(
        "oid-many",
        &[(&group_id("Tenant-AcmeCorp"), "Tenant-AcmeCorp")],
    );
    let reply = gw.authorize_bearer(&overage_token(&gw, "oid-many")).await;
    assert_eq!(reply.status, 200, "{}\n{}", reply.body, gw.log());
    assert!(reply.allows("slack"));
    assert!(!reply.allows("github"));
}

/// Anyone who may create groups chooses their names: a group named after a seed label is not
/// that group.
#[tokio::test]
async fn overage_groups_count_by_object_id_never_by_display_name() {
    let gw = Gateway::start(Options {
        graph_credentials: true,
        ..Options::default()
    })
    .await;
    let impostor = "abcdef00-0000-4000-8000-000000000000";
    gw.idp.set_groups("oid-many", &[(impostor, "MCP-Admin")]);
    let reply = gw.authorize_bearer(&overage_token(&gw, "oid-many")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["principal"]["groups"], json!([impostor]));
    assert_eq!(reply.body["servers"], json!({"set": {}}));
}

#[tokio::test]
async fn overage_without_graph_credentials_is_refused_with_a_reason() {
    let gw = Gateway::start(Options::default()).await;
    let reply = gw.authorize_bearer(&overage_token(&gw, "oid-many")).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert!(reply.message().contains("group overage"), "{}", reply.body);
}
