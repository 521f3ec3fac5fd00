//! Signing keys: a token signed with a key published (or replaced) after the key set was cached
//! is accepted after one refetch, and further failing tokens within a minute cause no more
//! fetches; each issuer's keys are cached apart; an outage is bridged for a bounded time only.

use auth_core::entra::{CachedKeys, Jwks, KEYS_MAX_AGE_MS, KEYS_REFRESH_AFTER_MS, keys_cache_key};
use auth_core::sealed;
use auth_core::test_issuer::TestIssuer;

use crate::common::{GATEWAY_SECRET, Gateway, Options, TENANT, issuer, now_secs};

const SECRET: &[u8] = GATEWAY_SECRET.as_bytes();

#[tokio::test]
async fn new_kid_is_picked_up_and_unknown_kids_are_rate_limited() {
    let gw = Gateway::start(Options::default()).await;
    let first = gw
        .authorize_bearer(&gw.token("oid-a", &["MCP-GitHub"]))
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(gw.idp.key_fetches(), 1);

    let rotated = TestIssuer::generate("e2e-key-2");
    gw.idp.set_jwks(Jwks {
        keys: vec![issuer().jwk(), rotated.jwk()],
    });
    let new_key_token = rotated.mint(&gw.claims("oid-b", &["MCP-GitHub"]));
    let reply = gw.authorize_bearer(&new_key_token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(gw.idp.key_fetches(), 2, "one refetch for the new kid");

    let stranger = TestIssuer::generate("e2e-key-3");
    for object_id in ["oid-c", "oid-d"] {
        let reply = gw
            .authorize_bearer(&stranger.mint(&gw.claims(object_id, &[])))
            .await;
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert!(reply.message().contains("key"), "{}", reply.body);
    }
    assert_eq!(
        gw.idp.key_fetches(),
        2,
        "no refetch within a minute of the last"
    );
}

#[tokio::test]
async fn a_key_replaced_under_its_kid_is_refetched_once() {
    let gw = Gateway::start(Options::default()).await;
    let first = gw
        .authorize_bearer(&gw.token("oid-a", &["MCP-GitHub"]))
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(gw.idp.key_fetches(), 1);

    let replacement = TestIssuer::generate(issuer().kid());
    gw.idp.set_jwks(replacement.jwks());
    let reply = gw
        .authorize_bearer(&replacement.mint(&gw.claims("oid-b", &["MCP-GitHub"])))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        gw.idp.key_fetches(),
        2,
        "one refetch for the failed signature"
    );

    let forger = TestIssuer::generate(issuer().kid());
    for object_id in ["oid-c", "oid-d"] {
        let reply = gw
            .authorize_bearer(&forger.mint(&gw.claims(object_id, &[])))
            .await;
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert!(reply.message().contains("signature"), "{}", reply.body);
    }
    assert_eq!(
        gw.idp.key_fetches(),
        2,
        "no refetch within a minute of the last"
    );
}

#[tokio::test]
async fn gateways_sharing_a_store_keep_each_issuers_keys_apart() {
    let first = Gateway::start(Options::default()).await;
    let second = Gateway::start(Options {
        state_dir: Some(first.state_dir()),
        ..Options::default()
    })
    .await;
    let other_issuer = TestIssuer::generate(issuer().kid());
    second.idp.set_jwks(other_issuer.jwks());

    let reply = first
        .authorize_bearer(&first.token("oid-a", &["MCP-GitHub"]))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = second
        .authorize_bearer(&other_issuer.mint(&second.claims("oid-b", &["MCP-GitHub"])))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = first
        .authorize_bearer(&first.token("oid-c", &["MCP-GitHub"]))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        first.idp.key_fetches(),
        1,
        "its cached keys were not displaced"
    );
    assert_eq!(second.idp.key_fetches(), 1);
}

/// Makes the cached key set of `gw`'s issuer look `age_ms` old (sealed again, as the gateway
/// would have sealed it then).
fn age_cached_keys(gw: &Gateway, age_ms: u64) {
    let db = rusqlite::Connection::open(gw.state_dir().join("sqlite_key_value.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let key = keys_cache_key(&gw.idp.origin(), TENANT);
    let value: Vec<u8> = db
        .query_row(
            "SELECT value FROM spin_key_value WHERE store = 'default' AND key = ?1",
            [&key],
            |row| row.get(0),
        )
        .expect("the key set is cached under its issuer");
    let now_ms = now_secs() * 1000;
    let mut keys: CachedKeys = sealed::open_json(SECRET, &key, &value, now_ms).unwrap();
    keys.fetched_at_ms = now_ms - age_ms;
    let aged = sealed::seal_json(SECRET, &key, &keys, keys.usable_until_ms());
    db.execute(
        "UPDATE spin_key_value SET value = ?1 WHERE store = 'default' AND key = ?2",
        (aged, &key),
    )
    .unwrap();
}

#[tokio::test]
async fn cached_keys_bridge_an_outage_for_a_bounded_time_only() {
    let gw = Gateway::start(Options::default()).await;
    let reply = gw
        .authorize_bearer(&gw.token("oid-a", &["MCP-GitHub"]))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    gw.idp.set_keys_down(true);

    age_cached_keys(&gw, KEYS_REFRESH_AFTER_MS + 60_000);
    let bridged = gw
        .authorize_bearer(&gw.token("oid-b", &["MCP-GitHub"]))
        .await;
    assert_eq!(bridged.status, 200, "{}", bridged.body);

    age_cached_keys(&gw, KEYS_MAX_AGE_MS + 60_000);
    let too_old = gw
        .authorize_bearer(&gw.token("oid-c", &["MCP-GitHub"]))
        .await;
    assert_eq!(too_old.status, 503, "{}", too_old.body);
    assert_eq!(too_old.body["error"], "unavailable");
}
