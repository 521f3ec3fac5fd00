//! The fake identity provider that end-to-end tests point the auth component at: its key set
//! validates the issuer's tokens, it can be taken down and rotated, its Graph side answers
//! only the app's client credentials, and it signs people in for one OpenID Connect client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use auth_core::entra::{EntraConfig, Jwks, validate_token};
use auth_core::test_issuer::{
    GRAPH_APP_TOKEN, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET, IdentityProvider, Person, SignIn,
    TestIssuer, access_token_claims,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

const TENANT: &str = "tenant-1";

/// One HTTP/1.1 exchange; returns the status and the JSON body.
fn http(origin: &str, method: &str, path: &str, headers: &[&str], body: &str) -> (u16, Value) {
    let (status, _, body) = exchange(origin, method, path, headers, body);
    (status, serde_json::from_str(&body).unwrap())
}

/// One HTTP/1.1 exchange; returns the status, the head and the body.
fn exchange(
    origin: &str,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(origin.trim_start_matches("http://")).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: test\r\ncontent-length: {}\r\n",
        body.len()
    );
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (status, head.to_owned(), body.to_owned())
}

#[test]
fn served_key_set_validates_minted_tokens_until_rotated_away() {
    let issuer = TestIssuer::generate("served-1");
    let idp = IdentityProvider::start(issuer.jwks());
    let config = EntraConfig::new(TENANT, "api://gw", &idp.origin()).unwrap();
    let now = 1_800_000_000;
    let token = issuer.mint(&access_token_claims(
        &idp.origin(),
        TENANT,
        "api://gw",
        "oid-1",
        "alice@example.com",
        &[],
        now,
    ));

    let keys_path = format!("/{TENANT}/discovery/v2.0/keys");
    let (status, body) = http(&idp.origin(), "GET", &keys_path, &[], "");
    assert_eq!(status, 200);
    let served: Jwks = serde_json::from_value(body).unwrap();
    assert!(validate_token(&token, &served, &config, now).is_ok());
    assert_eq!(idp.key_fetches(), 1);

    idp.set_jwks(TestIssuer::generate("served-2").jwks());
    let (_, body) = http(&idp.origin(), "GET", &keys_path, &[], "");
    let rotated: Jwks = serde_json::from_value(body).unwrap();
    assert!(validate_token(&token, &rotated, &config, now).is_err());

    idp.set_keys_down(true);
    assert_eq!(http(&idp.origin(), "GET", &keys_path, &[], "").0, 503);
}

#[test]
fn graph_answers_groups_only_with_the_app_token() {
    let idp = IdentityProvider::start(Jwks::default());
    idp.set_groups("oid-9", &[("g-1", "MCP-GitHub")]);

    let wrong =
        format!("grant_type=client_credentials&client_id={GRAPH_CLIENT_ID}&client_secret=nope");
    let token_path = format!("/{TENANT}/oauth2/v2.0/token");
    assert_eq!(http(&idp.origin(), "POST", &token_path, &[], &wrong).0, 401);
    let right = format!(
        "grant_type=client_credentials&client_id={GRAPH_CLIENT_ID}&client_secret={GRAPH_CLIENT_SECRET}"
    );
    let (status, body) = http(&idp.origin(), "POST", &token_path, &[], &right);
    assert_eq!(status, 200);
    assert_eq!(body["access_token"], GRAPH_APP_TOKEN);

    let groups_path =
        "/v1.0/users/oid-9/transitiveMemberOf/microsoft.graph.group?$select=id,displayName";
    assert_eq!(http(&idp.origin(), "GET", groups_path, &[], "").0, 401);
    let bearer = format!("authorization: Bearer {GRAPH_APP_TOKEN}");
    let (status, body) = http(&idp.origin(), "GET", groups_path, &[&bearer], "");
    assert_eq!(status, 200);
    assert_eq!(body["value"][0]["displayName"], "MCP-GitHub");
    assert_eq!(body["value"][0]["id"], "g-1");
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[test]
fn sign_in_gives_the_person_an_access_token_for_the_api_and_an_id_token_for_the_client() {
    let issuer = Arc::new(TestIssuer::generate("sign-in-1"));
    let idp = IdentityProvider::start_with_sign_in(SignIn {
        issuer: issuer.clone(),
        client_id: "chat-app".into(),
        client_secret: "chat-secret".into(),
        audience: "api://gw".into(),
    });
    idp.add_person(
        "alice",
        Person {
            object_id: "oid-1".into(),
            email: "alice@example.com".into(),
            name: "Alice".into(),
            groups: vec!["g-1".into()],
        },
    );
    let origin = idp.origin();
    let (status, discovery) = http(
        &origin,
        "GET",
        &format!("/{TENANT}/v2.0/.well-known/openid-configuration"),
        &[],
        "",
    );
    assert_eq!(status, 200);
    assert_eq!(discovery["issuer"], format!("{origin}/{TENANT}/v2.0"));

    let authorize = format!(
        "/{TENANT}/oauth2/v2.0/authorize?client_id=chat-app&response_type=code\
         &redirect_uri=http%3A%2F%2Fchat%2Fcallback&scope=openid+api%3A%2F%2Fgw%2Faccess_as_user\
         &state=s-1&nonce=n-1&login_hint=alice"
    );
    let (status, head, _) = exchange(&origin, "GET", &authorize, &[], "");
    assert_eq!(status, 302);
    let location = head
        .lines()
        .find_map(|line| line.strip_prefix("location: "))
        .unwrap();
    let code = location
        .strip_prefix("http://chat/callback?code=")
        .and_then(|rest| rest.strip_suffix("&state=s%2D1"))
        .unwrap_or_else(|| panic!("{location}"));

    let token_path = format!("/{TENANT}/oauth2/v2.0/token");
    let form = format!("grant_type=authorization_code&code={code}&redirect_uri=x");
    let wrong = format!("authorization: Basic {}", base64_of("chat-app:nope"));
    assert_eq!(http(&origin, "POST", &token_path, &[&wrong], &form).0, 400);
    let basic = format!("authorization: Basic {}", base64_of("chat-app:chat-secret"));
    let (status, tokens) = http(&origin, "POST", &token_path, &[&basic], &form);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        http(&origin, "POST", &token_path, &[&basic], &form).0,
        400,
        "a code is redeemed once"
    );

    let access = tokens["access_token"].as_str().unwrap();
    let config = EntraConfig::new(TENANT, "api://gw", &origin).unwrap();
    let now = claims_of(access)["iat"].as_u64().unwrap() + 60;
    let validated = validate_token(access, &issuer.jwks(), &config, now).unwrap();
    assert_eq!(validated.object_id, "oid-1");
    assert_eq!(validated.groups, ["g-1"]);
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], "chat-app");
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["iss"], discovery["issuer"]);
}

#[test]
fn only_added_people_sign_in_and_only_for_the_client() {
    let idp = IdentityProvider::start_with_sign_in(SignIn {
        issuer: Arc::new(TestIssuer::generate("sign-in-2")),
        client_id: "chat-app".into(),
        client_secret: "chat-secret".into(),
        audience: "api://gw".into(),
    });
    let authorize = |client: &str, login: &str| {
        let path = format!(
            "/{TENANT}/oauth2/v2.0/authorize?client_id={client}&redirect_uri=http%3A%2F%2Fc\
             &state=s&login_hint={login}"
        );
        exchange(&idp.origin(), "GET", &path, &[], "").0
    };
    assert_eq!(authorize("chat-app", "mallory"), 400);
    idp.add_person(
        "mallory",
        Person {
            object_id: "oid-2".into(),
            email: "mallory@example.com".into(),
            name: "Mallory".into(),
            groups: vec![],
        },
    );
    assert_eq!(authorize("other-app", "mallory"), 400);
    assert_eq!(authorize("chat-app", "mallory"), 302);
    assert_eq!(
        exchange(
            &IdentityProvider::start(Jwks::default()).origin(),
            "GET",
            &format!("/{TENANT}/v2.0/.well-known/openid-configuration"),
            &[],
            ""
        )
        .0,
        404,
        "no sign-in unless started with one"
    );
}

fn base64_of(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}
