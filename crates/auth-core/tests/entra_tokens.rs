//! The token attack matrix against `validate_token`, with tokens from a local issuer whose RSA
//! key is generated at test time. Every refusal has an accepted twin differing in one claim.

use std::sync::OnceLock;

use auth_core::entra::{EntraConfig, Jwks, TokenError, token_kid, validate_token};
use auth_core::test_issuer::{TestIssuer, access_token_claims, hs256_token, unsigned_token};
use serde_json::{Value, json};

const AUTHORITY: &str = "https://login.example.test";
const TENANT: &str = "11111111-1111-1111-1111-111111111111";
const CLIENT_ID: &str = "22222222-2222-2222-2222-222222222222";
const APP_ID_URI: &str = "api://mcp-gateway";
const NOW: u64 = 1_800_000_000;

fn issuer() -> &'static TestIssuer {
    static ISSUER: OnceLock<TestIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| TestIssuer::generate("key-1"))
}

fn config() -> EntraConfig {
    EntraConfig::new(TENANT, &format!("{CLIENT_ID},{APP_ID_URI}"), AUTHORITY).unwrap()
}

fn claims() -> Value {
    access_token_claims(
        AUTHORITY,
        TENANT,
        APP_ID_URI,
        "oid-alice",
        "alice@example.com",
        &["MCP-GitHub"],
        NOW,
    )
}

fn with(claim: &str, value: Value) -> Value {
    let mut claims = claims();
    claims[claim] = value;
    claims
}

fn check(token: &str) -> Result<auth_core::entra::EntraIdentity, TokenError> {
    validate_token(token, &issuer().jwks(), &config(), NOW)
}

#[test]
fn valid_v2_token_yields_the_identity() {
    let identity = check(&issuer().mint(&claims())).unwrap();
    assert_eq!(identity.object_id, "oid-alice");
    assert_eq!(identity.tenant_id, TENANT);
    assert_eq!(identity.username.as_deref(), Some("alice@example.com"));
    assert_eq!(identity.groups, ["MCP-GitHub"]);
    assert!(!identity.group_overage);
    assert_eq!(identity.expires_at_secs, NOW + 3600);
}

#[test]
fn v1_issuer_and_client_id_audience_are_accepted() {
    let mut claims = with("iss", json!(format!("https://sts.windows.net/{TENANT}/")));
    claims["aud"] = json!(CLIENT_ID);
    claims.as_object_mut().unwrap().remove("preferred_username");
    claims["upn"] = json!("alice@corp.example.com");
    let identity = check(&issuer().mint(&claims)).unwrap();
    assert_eq!(identity.username.as_deref(), Some("alice@corp.example.com"));
}

#[test]
fn expired_token_is_refused_beyond_the_skew() {
    let within_skew = with("exp", json!(NOW - 299));
    assert!(check(&issuer().mint(&within_skew)).is_ok());
    let expired = with("exp", json!(NOW - 301));
    assert_eq!(check(&issuer().mint(&expired)), Err(TokenError::Expired));
}

#[test]
fn not_yet_valid_token_is_refused_beyond_the_skew() {
    let within_skew = with("nbf", json!(NOW + 299));
    assert!(check(&issuer().mint(&within_skew)).is_ok());
    let early = with("nbf", json!(NOW + 301));
    assert_eq!(check(&issuer().mint(&early)), Err(TokenError::NotYetValid));
}

#[test]
fn wrong_audience_is_refused() {
    let token = issuer().mint(&with("aud", json!("api://someone-else")));
    assert_eq!(check(&token), Err(TokenError::WrongAudience));
}

#[test]
fn graph_audience_gets_advice_naming_the_open_webui_settings() {
    let token = issuer().mint(&with("aud", json!("00000003-0000-0000-c000-000000000000")));
    let Err(TokenError::GraphAudience(advice)) = check(&token) else {
        panic!("Graph token must be refused with advice");
    };
    assert!(advice.contains("MICROSOFT_OAUTH_SCOPE"), "{advice}");
    assert!(advice.contains("api://mcp-gateway/<scope>"), "{advice}");
    assert!(
        advice.contains("OAUTH_REFRESH_TOKEN_INCLUDE_SCOPE=true"),
        "{advice}"
    );
}

#[test]
fn wrong_issuer_is_refused() {
    let token = issuer().mint(&with("iss", json!("https://evil.example/v2.0")));
    assert_eq!(check(&token), Err(TokenError::WrongIssuer));
}

#[test]
fn issuer_of_another_tenant_is_refused() {
    let other = "33333333-3333-3333-3333-333333333333";
    let token = issuer().mint(&with("iss", json!(format!("{AUTHORITY}/{other}/v2.0"))));
    assert_eq!(check(&token), Err(TokenError::WrongIssuer));
}

#[test]
fn wrong_tenant_is_refused() {
    let other = "33333333-3333-3333-3333-333333333333";
    let mut claims = with("tid", json!(other));
    claims["iss"] = json!(format!("{AUTHORITY}/{other}/v2.0"));
    assert_eq!(check(&issuer().mint(&claims)), Err(TokenError::WrongTenant));
}

#[test]
fn unknown_kid_is_reported_for_a_refetch() {
    let other = TestIssuer::generate("key-2");
    let token = other.mint(&claims());
    assert_eq!(token_kid(&token, &config()), Ok("key-2".to_owned()));
    assert_eq!(check(&token), Err(TokenError::UnknownKid("key-2".into())));
    // After the key set is refetched with the new key, the same token passes (rotation).
    let rotated = Jwks {
        keys: vec![issuer().jwk(), other.jwk()],
    };
    assert!(validate_token(&token, &rotated, &config(), NOW).is_ok());
}

#[test]
fn token_signed_by_another_key_under_a_known_kid_is_refused() {
    let impostor = TestIssuer::generate("key-1");
    assert_eq!(
        check(&impostor.mint(&claims())),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn tampered_payload_is_refused() {
    let token = issuer().mint(&claims());
    let forged = issuer().mint(&with("groups", json!(["MCP-Admin"])));
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[1] = forged.split('.').nth(1).unwrap();
    assert_eq!(check(&parts.join(".")), Err(TokenError::BadSignature));
}

#[test]
fn alg_none_is_refused() {
    assert_eq!(
        check(&unsigned_token(&claims())),
        Err(TokenError::UnsupportedAlgorithm)
    );
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let token = hs256_token("key-1", &claims(), &issuer().public_modulus());
    assert_eq!(check(&token), Err(TokenError::UnsupportedAlgorithm));
}

#[test]
fn rs256_header_without_kid_is_refused() {
    let token = issuer().sign(&json!({"alg": "RS256", "typ": "JWT"}), &claims());
    assert_eq!(check(&token), Err(TokenError::MissingKid));
}

#[test]
fn malformed_tokens_are_refused() {
    for token in [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!.??.**",
        "eyJhbGciOiJSUzI1NiJ9.e30",
    ] {
        assert!(
            matches!(check(token), Err(TokenError::Malformed(_))),
            "{token:?}: {:?}",
            check(token)
        );
    }
}

#[test]
fn token_without_oid_is_refused() {
    let mut claims = claims();
    claims.as_object_mut().unwrap().remove("oid");
    assert_eq!(
        check(&issuer().mint(&claims)),
        Err(TokenError::MissingClaim("oid"))
    );
}

#[test]
fn group_overage_is_detected_from_claim_names_or_hasgroups() {
    let mut overage = claims();
    overage.as_object_mut().unwrap().remove("groups");
    overage["_claim_names"] = json!({"groups": "src1"});
    overage["_claim_sources"] =
        json!({"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}});
    assert!(check(&issuer().mint(&overage)).unwrap().group_overage);

    let mut hasgroups = claims();
    hasgroups.as_object_mut().unwrap().remove("groups");
    hasgroups["hasgroups"] = json!(true);
    assert!(check(&issuer().mint(&hasgroups)).unwrap().group_overage);
}

#[test]
fn error_messages_never_repeat_the_token() {
    let token = issuer().mint(&with("aud", json!("api://someone-else")));
    let message = check(&token).unwrap_err().to_string();
    assert!(!message.contains(&token[..20]), "{message}");
}

/// Claims of a client-credentials token: no `scp`, the app's roles, `idtyp: app`.
fn app_only_claims() -> Value {
    let mut claims = with("roles", json!(["Gateway.Call"]));
    let object = claims.as_object_mut().unwrap();
    object.remove("scp");
    object.remove("preferred_username");
    object.insert("idtyp".into(), json!("app"));
    claims
}

#[test]
fn app_only_tokens_are_refused_by_default() {
    let without_scp = {
        let mut claims = claims();
        claims.as_object_mut().unwrap().remove("scp");
        claims
    };
    for (case, claims) in [
        ("idtyp app", app_only_claims()),
        ("no scp", without_scp),
        ("empty scp", with("scp", json!(" "))),
        ("idtyp app with a scope", with("idtyp", json!("app"))),
    ] {
        assert_eq!(
            check(&issuer().mint(&claims)),
            Err(TokenError::AppOnly),
            "{case}"
        );
    }
    assert!(check(&issuer().mint(&claims())).is_ok(), "delegated twin");
}

#[test]
fn app_only_tokens_need_an_accepted_app_role() {
    let config = config().with_accepted_app_roles("Gateway.Call, Other.Role");
    let token = issuer().mint(&app_only_claims());
    let identity = validate_token(&token, &issuer().jwks(), &config, NOW).unwrap();
    assert_eq!(identity.roles, ["Gateway.Call"]);

    let other_role = issuer().mint(&{
        let mut claims = app_only_claims();
        claims["roles"] = json!(["Directory.Read"]);
        claims
    });
    assert_eq!(
        validate_token(&other_role, &issuer().jwks(), &config, NOW),
        Err(TokenError::AppOnly)
    );
}
