//! Key-value is a cache, not an authority: whoever can write the store (a shared Redis) can
//! neither move a decision to another caller's key nor plant signing keys.

use std::time::Duration;

use auth_core::entra::{CachedKeys, keys_cache_key};
use auth_core::test_issuer::TestIssuer;
use auth_core::{AllowedServers, Credentials, decision_cache_key};
use gateway_admin::NewApiKey;

use crate::common::{GATEWAY_SECRET, Gateway, Options, TENANT, now_secs};

fn store(gw: &Gateway) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(gw.state_dir().join("sqlite_key_value.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db
}

fn read(db: &rusqlite::Connection, key: &str) -> Vec<u8> {
    db.query_row(
        "SELECT value FROM spin_key_value WHERE store = 'default' AND key = ?1",
        [key],
        |row| row.get(0),
    )
    .expect("the entry is cached")
}

fn write(db: &rusqlite::Connection, key: &str, value: &[u8]) {
    db.execute(
        "INSERT INTO spin_key_value (store, key, value) VALUES ('default', ?1, ?2)
         ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
    .unwrap();
}

fn key_for(servers: AllowedServers) -> NewApiKey {
    NewApiKey {
        owner: "ci".into(),
        servers,
        forwarder: false,
        expires_in_days: None,
    }
}

#[tokio::test]
async fn a_decision_copied_to_another_callers_key_grants_nothing() {
    let gw = Gateway::start(Options::default()).await;
    let admin = gw
        .admin
        .create_api_key(&key_for(AllowedServers::All))
        .await
        .unwrap();
    let narrow = gw
        .admin
        .create_api_key(&key_for(AllowedServers::whole(["linear"])))
        .await
        .unwrap();
    assert!(
        gw.authorize(&[("x-api-key", &admin.key)])
            .await
            .allows("github")
    );
    let before = gw.authorize(&[("x-api-key", &narrow.key)]).await;
    assert!(!before.allows("github"), "{}", before.body);

    let cache_key = |key: &str| {
        let credentials = Credentials::from_headers([("x-api-key", key)]);
        decision_cache_key(GATEWAY_SECRET.as_bytes(), &credentials).unwrap()
    };
    let db = store(&gw);
    let admins_decision = read(&db, &cache_key(&admin.key));
    write(&db, &cache_key(&narrow.key), &admins_decision);

    let after = gw.authorize(&[("x-api-key", &narrow.key)]).await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert!(
        !after.allows("github"),
        "the copied decision was used: {}",
        after.body
    );
    assert!(after.allows("linear"), "{}", after.body);
}

#[tokio::test]
async fn signing_keys_planted_in_key_value_are_not_trusted() {
    let gw = Gateway::start(Options::default()).await;
    let reply = gw
        .authorize_bearer(&gw.token("oid-a", &["MCP-GitHub"]))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(gw.idp.key_fetches(), 1);

    // An attacker's key under the issuer's kid, written as a fresh key set.
    let attacker = TestIssuer::generate(crate::common::issuer().kid());
    let planted = CachedKeys::fetched(attacker.jwks(), now_secs() * 1000);
    let key = keys_cache_key(&gw.idp.origin(), TENANT);
    write(&store(&gw), &key, &serde_json::to_vec(&planted).unwrap());

    let forged = attacker.mint(&gw.claims("oid-evil", &["MCP-Admin"]));
    let reply = gw.authorize_bearer(&forged).await;
    assert_eq!(
        reply.status, 401,
        "a planted key verified a token: {}",
        reply.body
    );
    assert!(
        gw.idp.key_fetches() >= 2,
        "the planted set was not taken for the issuer's: it fetched its keys again"
    );
    let reply = gw
        .authorize_bearer(&gw.token("oid-a", &["MCP-GitHub"]))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}
