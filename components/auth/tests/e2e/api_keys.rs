use std::collections::BTreeSet;

use auth_core::AllowedServers;
use gateway_admin::NewApiKey;

use crate::common::{Gateway, Options};

fn key(servers: &[&str]) -> NewApiKey {
    NewApiKey {
        owner: "ci".into(),
        servers: AllowedServers::Set(
            servers
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<BTreeSet<_>>(),
        ),
        forwarder: false,
        expires_in_days: Some(30),
    }
}

#[tokio::test]
async fn api_key_reaches_its_servers_by_either_header() {
    let gw = Gateway::start(Options::default()).await;
    let created = gw.admin.create_api_key(&key(&["sonarqube"])).await.unwrap();
    for headers in [
        vec![("x-api-key", created.key.as_str())],
        vec![("authorization", &*format!("Bearer {}", created.key))],
    ] {
        let reply = gw.authorize(&headers).await;
        assert_eq!(reply.body["principal"]["kind"], "api_key");
        assert_eq!(
            reply.body["principal"]["id"],
            format!("apikey:{}", created.id)
        );
        assert!(reply.allows("sonarqube"));
        assert!(!reply.allows("github"));
    }
}

#[tokio::test]
async fn revoked_key_is_refused() {
    let gw = Gateway::start(Options::default()).await;
    let created = gw.admin.create_api_key(&key(&["github"])).await.unwrap();
    gw.admin.revoke_api_key(created.id).await.unwrap();
    let reply = gw.authorize(&[("x-api-key", &created.key)]).await;
    assert_eq!(reply.status, 401);
    assert!(reply.message().contains("revoked"), "{}", reply.body);
}

#[tokio::test]
async fn expired_key_is_refused() {
    let gw = Gateway::start(Options::default()).await;
    let created = gw.admin.create_api_key(&key(&["github"])).await.unwrap();
    sqlx::query("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1")
        .bind(created.id)
        .execute(gw.admin.pool())
        .await
        .unwrap();
    let reply = gw.authorize(&[("x-api-key", &created.key)]).await;
    assert_eq!(reply.status, 401);
    assert!(reply.message().contains("expired"), "{}", reply.body);
}

#[tokio::test]
async fn unknown_key_is_refused() {
    let gw = Gateway::start(Options::default()).await;
    let unknown = auth_core::api_key::format_api_key(&[1; 32]);
    let reply = gw.authorize(&[("x-api-key", &unknown)]).await;
    assert_eq!(reply.status, 401);
    assert!(reply.message().contains("not known"), "{}", reply.body);
}
