//! X-Auth-Source/X-Entra-* count only with an API key flagged as forwarder, which must name the
//! user it speaks for; that user's own rules apply to it.

use auth_core::AllowedServers;
use gateway_admin::NewApiKey;

use crate::common::{Gateway, Options, TENANT, group_id, user_id};
use gateway_admin::User;

fn key(forwarder: bool) -> NewApiKey {
    NewApiKey {
        owner: "open-webui".into(),
        servers: AllowedServers::All,
        forwarder,
        expires_in_days: None,
    }
}

fn forged() -> Vec<(&'static str, String)> {
    vec![
        ("x-auth-source", "entra-token".into()),
        ("x-entra-groups", group_id("MCP-Admin")),
        ("x-entra-oid", user_id(9)),
        ("x-entra-tid", TENANT.into()),
    ]
}

#[tokio::test]
async fn forged_groups_with_an_entra_token_are_ignored() {
    let gw = Gateway::start(Options::default()).await;
    let bearer = format!("Bearer {}", gw.token("oid-eve", &["MCP-GitHub"]));
    let forged = forged();
    let mut headers = vec![("authorization", bearer.as_str())];
    headers.extend(forged.iter().map(|(name, value)| (*name, value.as_str())));
    let reply = gw.authorize(&headers).await;
    assert_eq!(
        reply.body["principal"]["groups"],
        serde_json::json!([group_id("MCP-GitHub")])
    );
    assert!(reply.allows("github"));
    assert!(!reply.allows("slack"));
}

#[tokio::test]
async fn forged_groups_with_an_ordinary_key_are_ignored() {
    let gw = Gateway::start(Options::default()).await;
    let mut limited = key(false);
    limited.servers = AllowedServers::whole(["github"]);
    let created = gw.admin.create_api_key(&limited).await.unwrap();
    let forged = forged();
    let mut headers = vec![("x-api-key", created.key.as_str())];
    headers.extend(forged.iter().map(|(name, value)| (*name, value.as_str())));
    let reply = gw.authorize(&headers).await;
    assert_eq!(reply.body["principal"]["kind"], "api_key");
    assert_eq!(reply.body["principal"]["groups"], serde_json::json!([]));
    assert!(!reply.allows("slack"));
}

fn forwarded<'a>(key: &'a str, object_id: &'a str, groups: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("x-api-key", key),
        ("x-auth-source", "entra-token"),
        ("x-entra-oid", object_id),
        ("x-entra-tid", TENANT),
        ("x-entra-groups", groups),
    ]
}

#[tokio::test]
async fn forwarder_key_speaks_for_the_named_user() {
    let gw = Gateway::start(Options::default()).await;
    let created = gw.admin.create_api_key(&key(true)).await.unwrap();
    let acme = group_id("Tenant-AcmeCorp");
    let reply = gw
        .authorize(&forwarded(&created.key, "oid-fwd", &acme))
        .await;
    assert_eq!(reply.body["principal"]["kind"], "forwarder");
    assert_eq!(reply.body["principal"]["id"], "oid-fwd");
    assert_eq!(reply.body["principal"]["tenant_id"], TENANT);
    assert_eq!(
        reply.body["principal"]["forwarded_by"],
        format!("apikey:{}", created.id)
    );
    assert!(reply.allows("slack"));
    assert!(!reply.allows("github"));
}

#[tokio::test]
async fn forwarder_key_without_a_named_user_gets_nothing() {
    let gw = Gateway::start(Options::default()).await;
    let created = gw.admin.create_api_key(&key(true)).await.unwrap();
    let acme = group_id("Tenant-AcmeCorp");
    let groups_only = [
        ("x-api-key", created.key.as_str()),
        ("x-auth-source", "entra-token"),
        ("x-entra-groups", acme.as_str()),
    ];
    for headers in [&[("x-api-key", created.key.as_str())][..], &groups_only] {
        let reply = gw.authorize(headers).await;
        assert_eq!(reply.status, 401, "{headers:?}: {}", reply.body);
        assert!(reply.message().contains("X-Entra-Oid"), "{}", reply.body);
    }
}

#[tokio::test]
async fn user_deny_applies_to_a_forwarded_user() {
    let gw = Gateway::start(Options::default()).await;
    let created = gw.admin.create_api_key(&key(true)).await.unwrap();
    let (denied_user, acme) = (user_id(1), group_id("Tenant-AcmeCorp"));
    let user = User::new(TENANT, &denied_user, None).unwrap();
    gw.admin.deny_user(&user, "slack").await.unwrap();
    let denied = gw
        .authorize(&forwarded(&created.key, &denied_user, &acme))
        .await;
    assert!(!denied.allows("slack"), "{}", denied.body);
    assert!(denied.allows("atlassian"), "{}", denied.body);
    let twin = gw
        .authorize(&forwarded(&created.key, &user_id(2), &acme))
        .await;
    assert!(twin.allows("slack"), "{}", twin.body);
}
