//! The fake identity provider that end-to-end tests point the auth component at: its key set
//! validates the issuer's tokens, it can be taken down and rotated, and its Graph side answers
//! only the app's client credentials.

use std::io::{Read, Write};
use std::net::TcpStream;

use auth_core::entra::{EntraConfig, Jwks, validate_token};
use auth_core::test_issuer::{
    GRAPH_APP_TOKEN, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET, IdentityProvider, TestIssuer,
    access_token_claims,
};
use serde_json::Value;

const TENANT: &str = "tenant-1";

/// One HTTP/1.1 exchange; returns the status and the JSON body.
fn http(origin: &str, method: &str, path: &str, headers: &[&str], body: &str) -> (u16, Value) {
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
    let body = response.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap())
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
