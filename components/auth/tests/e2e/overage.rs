//! Group overage: groups come from the fake Microsoft Graph, or the caller is told why not.

use serde_json::json;

use crate::common::{Gateway, Options, issuer};

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
    gw.idp
        .set_groups("oid-many", &[("0f0e-id", "Tenant-AcmeCorp")]);
    let reply = gw.authorize_bearer(&overage_token(&gw, "oid-many")).await;
    assert_eq!(reply.status, 200, "{}\n{}", reply.body, gw.log());
    assert!(reply.allows("slack"));
    assert!(!reply.allows("github"));
}

#[tokio::test]
async fn overage_without_graph_credentials_is_refused_with_a_reason() {
    let gw = Gateway::start(Options::default()).await;
    let reply = gw.authorize_bearer(&overage_token(&gw, "oid-many")).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert!(reply.message().contains("group overage"), "{}", reply.body);
}
