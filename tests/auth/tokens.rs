//! The token attack matrix over HTTP: each refused token has the accepted token as its twin.

use auth_core::test_issuer::{TestIssuer, hs256_token, unsigned_token};
use serde_json::json;

use crate::common::{Gateway, Options, issuer};

#[tokio::test]
async fn valid_token_is_authorized_with_its_identity() {
    let gw = Gateway::start(Options::default()).await;
    let reply = gw
        .authorize_bearer(&gw.token("oid-alice", &["MCP-GitHub"]))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["principal"]["id"], "oid-alice");
    assert_eq!(reply.body["principal"]["kind"], "entra");
    assert_eq!(reply.body["principal"]["name"], "oid-alice@example.com");
    assert!(reply.allows("github"));
    assert!(!reply.allows("slack"));
}

#[tokio::test]
async fn tampered_and_forged_tokens_are_refused() {
    let gw = Gateway::start(Options::default()).await;
    let claims = gw.claims("oid-alice", &["MCP-GitHub"]);
    let mut expired = claims.clone();
    expired["exp"] = json!(crate::common::now_secs() - 3600);
    let mut early = claims.clone();
    early["nbf"] = json!(crate::common::now_secs() + 3600);
    let mut wrong_aud = claims.clone();
    wrong_aud["aud"] = json!("api://someone-else");
    let mut wrong_iss = claims.clone();
    wrong_iss["iss"] = json!("https://evil.example/v2.0");
    let other = "99999999-9999-9999-9999-999999999999";
    let mut wrong_tid = claims.clone();
    wrong_tid["tid"] = json!(other);
    wrong_tid["iss"] = json!(format!("{}/{other}/v2.0", gw.idp.origin()));
    let valid = issuer().mint(&claims);
    let mut tampered: Vec<&str> = valid.split('.').collect();
    let admin_payload = issuer().mint(&gw.claims("oid-alice", &["MCP-Admin"]));
    tampered[1] = admin_payload.split('.').nth(1).unwrap();

    let cases = [
        ("expired", issuer().mint(&expired), "expired"),
        ("not yet valid", issuer().mint(&early), "not valid yet"),
        ("wrong aud", issuer().mint(&wrong_aud), "audience"),
        ("wrong iss", issuer().mint(&wrong_iss), "issuer"),
        ("wrong tid", issuer().mint(&wrong_tid), "tenant"),
        ("bad signature", tampered.join("."), "signature"),
        ("alg none", unsigned_token(&claims), "RS256"),
        (
            "HS256 with the public key",
            hs256_token(issuer().kid(), &claims, &issuer().public_modulus()),
            "RS256",
        ),
        ("malformed", "not-a-jwt".to_owned(), "malformed"),
        (
            "another key under a known kid",
            TestIssuer::generate(issuer().kid()).mint(&claims),
            "signature",
        ),
    ];
    for (case, token, reason) in cases {
        let reply = gw.authorize_bearer(&token).await;
        assert_eq!(reply.status, 401, "{case}: {}", reply.body);
        assert_eq!(reply.body["error"], "unauthorized", "{case}");
        assert!(reply.message().contains(reason), "{case}: {}", reply.body);
        assert_eq!(reply.www_authenticate.as_deref(), Some("Bearer"), "{case}");
        assert!(
            !reply
                .body
                .to_string()
                .contains(&token[..token.len().min(40)]),
            "{case}"
        );
    }
    let twin = gw.authorize_bearer(&valid).await;
    assert_eq!(twin.status, 200, "{}", twin.body);
}

#[tokio::test]
async fn graph_token_gets_the_open_webui_settings_to_change() {
    let gw = Gateway::start(Options::default()).await;
    let mut claims = gw.claims("oid-alice", &[]);
    claims["aud"] = json!("00000003-0000-0000-c000-000000000000");
    let reply = gw.authorize_bearer(&issuer().mint(&claims)).await;
    assert_eq!(reply.status, 401);
    assert!(
        reply.message().contains("MICROSOFT_OAUTH_SCOPE"),
        "{}",
        reply.body
    );
    assert!(
        reply.message().contains("api://mcp-gateway/<scope>"),
        "{}",
        reply.body
    );
    assert!(
        reply
            .message()
            .contains("OAUTH_REFRESH_TOKEN_INCLUDE_SCOPE=true"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn missing_credentials_are_refused() {
    let gw = Gateway::start(Options::default()).await;
    for headers in [
        vec![],
        vec![("authorization", "Bearer ")],
        vec![("authorization", "Basic eDp5")],
    ] {
        let reply = gw.authorize(&headers).await;
        assert_eq!(reply.status, 401, "{headers:?}: {}", reply.body);
    }
}

fn app_only_claims(gw: &Gateway) -> serde_json::Value {
    let mut claims = gw.claims("oid-daemon", &[]);
    let object = claims.as_object_mut().unwrap();
    object.remove("scp");
    object.remove("preferred_username");
    object.insert("idtyp".into(), json!("app"));
    object.insert("roles".into(), json!(["Gateway.Call"]));
    claims
}

#[tokio::test]
async fn app_only_tokens_are_refused_by_default() {
    let gw = Gateway::start(Options::default()).await;
    let reply = gw
        .authorize_bearer(&issuer().mint(&app_only_claims(&gw)))
        .await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert!(reply.message().contains("app-only"), "{}", reply.body);
}

#[tokio::test]
async fn app_only_tokens_with_an_accepted_role_are_authorized() {
    let gw = Gateway::start(Options {
        accepted_app_roles: "Gateway.Call",
        ..Options::default()
    })
    .await;
    let reply = gw
        .authorize_bearer(&issuer().mint(&app_only_claims(&gw)))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["principal"]["id"], "oid-daemon");
}
