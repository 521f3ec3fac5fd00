use auth_core::AllowedServers;
use auth_core::audit::AUDIT_DETAIL;
use gateway_admin::NewApiKey;

use crate::common::{Gateway, Options};

fn key(servers: &[&str]) -> NewApiKey {
    NewApiKey {
        owner: "ci".into(),
        servers: AllowedServers::whole(servers.iter().copied()),
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

/// Unknown, revoked and expired keys get one and the same 401 (no oracle); the log and the
/// audit detail say which.
#[tokio::test]
async fn refused_keys_get_one_generic_answer() {
    let gw = Gateway::start(Options::default()).await;
    let revoked = gw.admin.create_api_key(&key(&["github"])).await.unwrap();
    gw.admin.revoke_api_key(revoked.id).await.unwrap();
    let expired = gw.admin.create_api_key(&key(&["github"])).await.unwrap();
    sqlx::query("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1")
        .bind(expired.id)
        .execute(gw.admin.pool())
        .await
        .unwrap();
    let unknown = auth_core::api_key::format_api_key(&[1; 32]);

    let mut bodies = Vec::new();
    for (case, key) in [
        ("has been revoked", revoked.key.as_str()),
        ("has expired", expired.key.as_str()),
        ("is not known", unknown.as_str()),
        ("is malformed", "mcpk_short"),
    ] {
        let mut reply = gw.authorize(&[("x-api-key", key)]).await;
        assert_eq!(reply.status, 401, "{case}: {}", reply.body);
        assert_eq!(reply.www_authenticate.as_deref(), Some("Bearer"), "{case}");
        // For the route's audit only: the route never passes it on (e2e `audit`).
        let detail = reply.body.as_object_mut().unwrap().remove(AUDIT_DETAIL);
        let detail = detail.as_ref().and_then(|d| d.as_str()).unwrap_or_default();
        assert!(
            detail.starts_with(&format!("API key refused: API key {case}")),
            "{case}: {detail}"
        );
        for word in ["revoked", "expired", "known", "malformed"] {
            assert!(
                !reply.body.to_string().contains(word),
                "{case}: {}",
                reply.body
            );
        }
        let logged = format!("API key refused: API key {case}");
        assert!(gw.logs(&logged).await, "{case}: {}", gw.log());
        bodies.push(reply.body);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "{bodies:?}"
    );

    let valid = gw.admin.create_api_key(&key(&["github"])).await.unwrap();
    let twin = gw.authorize(&[("x-api-key", &valid.key)]).await;
    assert!(twin.allows("github"), "{}", twin.body);
}
