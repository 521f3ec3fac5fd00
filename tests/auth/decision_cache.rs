//! Decisions are cached per credential for at most a minute: a repeated call does not read the
//! policy again (so a revocation takes effect within that minute), other credentials are not
//! affected.

use auth_core::{AllowedServers, Decision};
use gateway_admin::NewApiKey;

use crate::common::{Gateway, Options};

fn new_key() -> NewApiKey {
    NewApiKey {
        owner: "ci".into(),
        servers: AllowedServers::All,
        forwarder: false,
        expires_in_days: None,
    }
}

#[tokio::test]
async fn cached_decision_is_reused_until_it_expires() {
    let gw = Gateway::start(Options::default()).await;
    let cached = gw.admin.create_api_key(&new_key()).await.unwrap();
    let uncached = gw.admin.create_api_key(&new_key()).await.unwrap();
    let first = gw.authorize(&[("x-api-key", &cached.key)]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let decision: Decision = serde_json::from_value(first.body.clone()).unwrap();
    let now_ms = crate::common::now_secs() * 1000;
    assert!(
        decision.expires_at_ms <= now_ms + 61_000,
        "at most a minute"
    );

    gw.admin.revoke_api_key(cached.id).await.unwrap();
    gw.admin.revoke_api_key(uncached.id).await.unwrap();
    let again = gw.authorize(&[("x-api-key", &cached.key)]).await;
    assert_eq!(again.body, first.body, "served from the cache");
    let other = gw.authorize(&[("x-api-key", &uncached.key)]).await;
    assert_eq!(other.status, 401, "{}", other.body);
}
