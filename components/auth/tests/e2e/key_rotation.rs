//! A token signed with a key published after the key set was cached is accepted after one
//! refetch; further unknown keys within a minute cause no more fetches.

use auth_core::entra::Jwks;
use auth_core::test_issuer::TestIssuer;

use crate::common::{Gateway, Options, issuer};

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
