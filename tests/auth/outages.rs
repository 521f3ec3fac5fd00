//! A dependency that is down never turns into "allow": 503.

use auth_core::AllowedServers;
use gateway_admin::NewApiKey;

use serde_json::json;

use crate::common::{Gateway, Options, group_id, issuer};

#[tokio::test]
async fn database_down_is_503() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let gw = Gateway::start(Options {
        database_url: Some(format!("postgres://postgres@127.0.0.1:{port}/policy")),
        ..Options::default()
    })
    .await;
    let created = gw
        .admin
        .create_api_key(&NewApiKey {
            owner: "ci".into(),
            servers: AllowedServers::All,
            forwarder: false,
            expires_in_days: None,
        })
        .await
        .unwrap();
    let reply = gw.authorize(&[("x-api-key", &created.key)]).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.body["error"], "unavailable");
    let token_reply = gw
        .authorize_bearer(&gw.token("oid-a", &["MCP-GitHub"]))
        .await;
    assert_eq!(token_reply.status, 503, "{}", token_reply.body);
}

#[tokio::test]
async fn jwks_down_with_nothing_cached_is_503() {
    let gw = Gateway::start(Options::default()).await;
    gw.idp.set_keys_down(true);
    let reply = gw
        .authorize_bearer(&gw.token("oid-a", &["MCP-GitHub"]))
        .await;
    assert_eq!(reply.status, 503, "{}", reply.body);

    gw.idp.set_keys_down(false);
    let twin = gw
        .authorize_bearer(&gw.token("oid-a", &["MCP-GitHub"]))
        .await;
    assert_eq!(twin.status, 200, "{}", twin.body);
}

#[tokio::test]
async fn graph_down_during_an_overage_is_503() {
    let gw = Gateway::start(Options {
        graph_credentials: true,
        ..Options::default()
    })
    .await;
    gw.idp.set_groups(
        "oid-many",
        &[(&group_id("Tenant-AcmeCorp"), "Tenant-AcmeCorp")],
    );
    let mut claims = gw.claims("oid-many", &[]);
    claims.as_object_mut().unwrap().remove("groups");
    claims["hasgroups"] = json!(true);
    let token = issuer().mint(&claims);
    gw.idp.set_graph_down(true);
    let reply = gw.authorize_bearer(&token).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.body["error"], "unavailable");

    gw.idp.set_graph_down(false);
    let twin = gw.authorize_bearer(&token).await;
    assert_eq!(twin.status, 200, "{}", twin.body);
}
