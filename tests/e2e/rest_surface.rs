use demo_mcp_server::Era;
use serde_json::json;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::peers::Demo;

fn setup(tag: &str) -> (Database, Demo, Gateway, String) {
    let db = Database::create(tag);
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let key = db.api_key("e2e", None);
    (db, demo, gateway, key)
}

#[test]
fn health_needs_no_credentials() {
    let (_db, _demo, gateway, _key) = setup("health");
    let reply = gateway.get("/health", None);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["status"], "ok");
}

#[test]
fn server_info_lists_the_tools() {
    let (_db, _demo, gateway, key) = setup("info");
    let info = gateway.get("/demo", Some(&key)).json();
    assert_eq!(info["id"], "demo");
    let names: Vec<&str> = info["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"echo") && names.contains(&"add"),
        "{names:?}"
    );
    assert!(
        info["tools"][0]["operationId"]
            .as_str()
            .unwrap()
            .starts_with("demo_")
    );
}

#[test]
fn tool_calls_map_results() {
    let (_db, _demo, gateway, key) = setup("call");
    assert_eq!(
        gateway
            .post("/demo/echo", Some(&key), r#"{"message":"hello"}"#)
            .json(),
        json!("hello")
    );
    assert_eq!(
        gateway
            .post("/demo/add", Some(&key), r#"{"a":2,"b":3}"#)
            .json(),
        json!({"sum": 5.0})
    );
    let image = gateway.post("/demo/image", Some(&key), "{}").json();
    let text = image.to_string();
    assert!(text.contains("data:image/png;base64,"), "{text}");
}

#[test]
fn tool_errors_are_502_with_the_tools_message() {
    let (_db, _demo, gateway, key) = setup("toolerror");
    let reply = gateway.post("/demo/fail", Some(&key), r#"{"message":"disk on fire"}"#);
    assert_eq!(reply.status, 502);
    assert_eq!(reply.json()["error"], "tool_error");
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("disk on fire")
    );
}

#[test]
fn bad_input_gets_400_422_404_405() {
    let (_db, _demo, gateway, key) = setup("badinput");
    let invalid = gateway.post("/demo/echo", Some(&key), "{not json");
    assert_eq!(invalid.status, 400, "{}", invalid.body);
    assert_eq!(invalid.json()["error"], "bad_request");
    let wrong_type = gateway.post("/demo/add", Some(&key), r#"{"a":"two","b":3}"#);
    assert_eq!(wrong_type.status, 422, "{}", wrong_type.body);
    let unknown = gateway.post("/demo/no_such_tool", Some(&key), "{}");
    assert_eq!(unknown.status, 404);
    let get = gateway.get("/demo/echo", Some(&key));
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), "POST");
}

#[test]
fn credentials_are_required_and_checked() {
    let (db, _demo, gateway, _key) = setup("authn");
    let none = gateway.post("/demo/echo", None, r#"{"message":"x"}"#);
    assert_eq!(none.status, 401);
    assert!(none.header("www-authenticate").starts_with("Bearer"));
    let bogus = gateway.post(
        "/demo/echo",
        Some("mcpk_not_a_real_key_000000000000000000000000"),
        "{}",
    );
    assert_eq!(bogus.status, 401);
    let in_query = gateway.post("/demo/echo?access_token=abc", None, "{}");
    assert_eq!(in_query.status, 401);
    assert!(
        in_query.json()["message"]
            .as_str()
            .unwrap()
            .contains("query string")
    );

    // A key for another server sees this one as nonexistent; its twin for demo works.
    let github_only = db.api_key("github-only", Some(&["github"]));
    assert_eq!(
        gateway
            .post("/demo/echo", Some(&github_only), r#"{"message":"x"}"#)
            .status,
        404
    );
    assert_eq!(gateway.get("/demo", Some(&github_only)).status, 404);
    let demo_only = db.api_key("demo-only", Some(&["demo"]));
    assert_eq!(
        gateway
            .post("/demo/echo", Some(&demo_only), r#"{"message":"x"}"#)
            .status,
        200
    );
}

#[test]
fn a_server_without_its_credential_is_not_configured() {
    // github sends a bearer credential upstream: without one it answers 503, never crashes.
    let db = Database::create("noconfig");
    let demo = Demo::start(Era::Both, false);
    let mut env = upstream("github", &demo.url());
    env.retain(|(k, _)| !k.ends_with("_TOKEN"));
    let gateway = Gateway::start(&db, &env);
    let key = db.api_key("e2e", None);
    let reply = gateway.post("/github/echo", Some(&key), r#"{"message":"x"}"#);
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("not configured")
    );
    assert_eq!(demo.stats()["httpRequests"], 0, "nothing was sent upstream");
}
