//! X-Auth-Source/X-Entra-Groups count only with an API key flagged as forwarder.

use auth_core::AllowedServers;
use gateway_admin::NewApiKey;

use crate::common::{Gateway, Options};

fn key(forwarder: bool) -> NewApiKey {
    NewApiKey {
        owner: "open-webui".into(),
        servers: AllowedServers::All,
        forwarder,
        expires_in_days: None,
    }
}

const FORGED: [(&str, &str); 2] = [
    ("x-auth-source", "entra-token"),
    ("x-entra-groups", "MCP-Admin"),
];

#[tokio::test]
async fn forged_groups_with_an_entra_token_are_ignored() {
    let gw = Gateway::start(Options::default()).await;
    let bearer = format!("Bearer {}", gw.token("oid-eve", &["MCP-GitHub"]));
    let mut headers = vec![("authorization", bearer.as_str())];
    headers.extend(FORGED);
    let reply = gw.authorize(&headers).await;
    assert_eq!(
        reply.body["principal"]["groups"],
        serde_json::json!(["MCP-GitHub"])
    );
    assert!(reply.allows("github"));
    assert!(!reply.allows("slack"));
}

#[tokio::test]
async fn forged_groups_with_an_ordinary_key_are_ignored() {
    let gw = Gateway::start(Options::default()).await;
    let mut limited = key(false);
    limited.servers = AllowedServers::Set(["github".to_owned()].into());
    let created = gw.admin.create_api_key(&limited).await.unwrap();
    let mut headers = vec![("x-api-key", created.key.as_str())];
    headers.extend(FORGED);
    let reply = gw.authorize(&headers).await;
    assert_eq!(reply.body["principal"]["kind"], "api_key");
    assert_eq!(reply.body["principal"]["groups"], serde_json::json!([]));
    assert!(!reply.allows("slack"));
}

#[tokio::test]
async fn forwarder_key_asserts_groups() {
    let gw = Gateway::start(Options::default()).await;
    let created = gw.admin.create_api_key(&key(true)).await.unwrap();
    let headers = [
        ("x-api-key", created.key.as_str()),
        ("x-auth-source", "entra-token"),
        ("x-entra-groups", "Tenant-AcmeCorp"),
    ];
    let reply = gw.authorize(&headers).await;
    assert_eq!(reply.body["principal"]["kind"], "forwarder");
    assert!(reply.allows("slack"));
    assert!(!reply.allows("github"));
}
