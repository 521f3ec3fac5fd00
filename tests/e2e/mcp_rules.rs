//! The rules of each MCP era on `/<s>/mcp`, and what the gateway relays besides tools.

use demo_mcp_server::Era;
use demo_mcp_server::{GREETING_TEXT, GREETING_URI};
use serde_json::json;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::mcp::Mcp;
use crate::common::peers::{Demo, Everything};

#[test]
fn methods_removed_in_2026_are_404_and_unknown_tools_and_bad_arguments_are_32602() {
    let db = Database::create("mcp-rules-modern");
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let mcp = Mcp::new(&gateway, "/demo/mcp", db.api_key("e2e", None));

    for method in [
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "initialize",
        "no/such",
    ] {
        let answer = mcp.modern(method, json!({}), &[]);
        assert_eq!(answer.status, 404, "{method}: {}", answer.body);
        assert_eq!(answer.body["error"]["code"], -32601, "{method}");
    }
    demo.reset_stats();
    let unknown = mcp.modern("tools/call", json!({"name": "rm_rf", "arguments": {}}), &[]);
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.body["error"]["code"], -32602, "{}", unknown.body);
    let invalid = mcp.modern(
        "tools/call",
        json!({"name": "add", "arguments": {"a": "one", "b": 2}}),
        &[],
    );
    assert_eq!(invalid.body["error"]["code"], -32602, "{}", invalid.body);
    assert!(
        invalid.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("/a"),
        "the validation message names the argument: {}",
        invalid.body
    );
    assert!(
        !invalid.body.to_string().contains("\"one\""),
        "argument values are not echoed: {}",
        invalid.body
    );
    assert_eq!(
        demo.stats()["toolCalls"],
        json!({}),
        "refused calls never reach the upstream: {}",
        demo.stats()
    );
    let valid = mcp.modern(
        "tools/call",
        json!({"name": "add", "arguments": {"a": 1, "b": 2}}),
        &[],
    );
    assert_eq!(valid.status, 200, "{}", valid.body);
    assert_eq!(
        valid.body["result"]["resultType"], "complete",
        "{}",
        valid.body
    );
}

#[test]
fn a_handshake_session_ends_with_delete() {
    let db = Database::create("mcp-rules-delete");
    let demo = Demo::start(Era::Legacy, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let mcp = Mcp::new(&gateway, "/demo/mcp", db.api_key("e2e", None));
    let session = mcp.initialize();
    let other = mcp.initialize();
    assert_ne!(session, other, "every initialize opens its own session");
    assert_eq!(
        mcp.in_session(&session, "tools/list", json!({})).status,
        200
    );

    let delete = mcp
        .client
        .delete(format!("{}/demo/mcp", gateway.base))
        .bearer_auth(&mcp.key)
        .header("mcp-session-id", &session)
        .send()
        .unwrap();
    assert_eq!(delete.status().as_u16(), 204);
    let after = mcp.in_session(&session, "tools/list", json!({}));
    assert_eq!(
        after.status, 404,
        "an ended session is gone: {}",
        after.body
    );
    assert_eq!(
        mcp.in_session(&other, "tools/list", json!({})).status,
        200,
        "ending one session leaves the caller's others alone"
    );
}

#[test]
fn browser_origins_other_than_the_gateways_are_refused() {
    let db = Database::create("mcp-rules-origin");
    let demo = Demo::start(Era::Both, false);
    let mut env = upstream("demo", &demo.url());
    env.push((
        "SPIN_VARIABLE_ALLOWED_ORIGINS".into(),
        "https://chat.example.com".into(),
    ));
    let gateway = Gateway::start(&db, &env);
    let mcp = Mcp::new(&gateway, "/demo/mcp", db.api_key("e2e", None));
    let list = |origin: &str| mcp.modern("tools/list", json!({}), &[("origin", origin)]);
    let rebound = list("http://attacker.example");
    assert_eq!(rebound.status, 403, "{}", rebound.body);
    assert!(
        rebound.body["error"]["message"].is_string(),
        "{}",
        rebound.body
    );
    assert_eq!(list("https://chat.example.com").status, 200);
    assert_eq!(
        list("http://127.0.0.1:9999").status,
        200,
        "loopback without public_url"
    );
    assert_eq!(
        mcp.modern("tools/list", json!({}), &[]).status,
        200,
        "no Origin: not a browser"
    );
}

#[test]
fn resources_and_prompts_are_relayed_in_the_clients_era() {
    let db = Database::create("mcp-rules-relay");
    let demo = Demo::start(Era::Legacy, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let mcp = Mcp::new(&gateway, "/demo/mcp", db.api_key("e2e", None));

    // A 2026-07-28 client in front of a handshake-era upstream.
    let discover = mcp.modern("server/discover", json!({}), &[]);
    assert!(
        discover.body["result"]["capabilities"]["resources"].is_object(),
        "{}",
        discover.body
    );
    let listed = mcp.modern("resources/list", json!({}), &[]);
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.body["result"]["resources"][0]["uri"], GREETING_URI,
        "{}",
        listed.body
    );
    assert_eq!(listed.body["result"]["cacheScope"], "private");
    assert!(listed.body["result"]["ttlMs"].is_number());
    let read = mcp.modern("resources/read", json!({"uri": GREETING_URI}), &[]);
    assert_eq!(
        read.body["result"]["contents"][0]["text"], GREETING_TEXT,
        "{}",
        read.body
    );
    assert_eq!(read.body["result"]["resultType"], "complete");
    let missing = mcp.modern("resources/read", json!({"uri": "demo://nothing"}), &[]);
    assert_eq!(
        missing.body["error"]["code"], -32602,
        "-32002 becomes -32602: {}",
        missing.body
    );

    // A handshake client in front of server-everything's prompts.
    let everything = Everything::start_on(test_support::free_port());
    let db = Database::create("mcp-rules-prompts");
    let gateway = Gateway::start(&db, &upstream("demo", &everything.url()));
    let mcp = Mcp::new(&gateway, "/demo/mcp", db.api_key("e2e", None));
    let session = mcp.initialize();
    let prompts = mcp.in_session(&session, "prompts/list", json!({}));
    let names: Vec<&str> = prompts.body["result"]["prompts"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", prompts.body))
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(!names.is_empty(), "{}", prompts.body);
    assert!(
        prompts.body["result"].get("resultType").is_none(),
        "{}",
        prompts.body
    );
    let simple = names
        .iter()
        .find(|name| name.contains("simple"))
        .unwrap_or(&names[0]);
    let prompt = mcp.in_session(
        &session,
        "prompts/get",
        json!({"name": simple, "arguments": {}}),
    );
    assert!(
        prompt.body["result"]["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        prompt.body
    );
}

#[test]
fn an_oversized_body_is_413_before_anything_else() {
    let db = Database::create("mcp-rules-413");
    let demo = Demo::start(Era::Both, false);
    let mut env = upstream("demo", &demo.url());
    env.push(("SPIN_VARIABLE_MAX_BODY_BYTES".into(), "1024".into()));
    let gateway = Gateway::start(&db, &env);
    let key = db.api_key("e2e", None);
    let big = json!({"message": "x".repeat(2048)}).to_string();
    let reply = gateway.post("/demo/echo", Some(&key), &big);
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert_eq!(reply.json()["error"], "payload_too_large");
    let small = gateway.post("/demo/echo", Some(&key), r#"{"message": "hi"}"#);
    assert_eq!(small.status, 200, "{}", small.body);
}

#[test]
fn no_answer_echoes_a_non_loopback_host() {
    let db = Database::create("mcp-rules-host");
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let key = db.api_key("e2e", None);
    let client = reqwest::blocking::Client::new();
    let get = |path: &str, key: Option<&str>| {
        let mut request = client
            .get(format!("{}{path}", gateway.base))
            .header("host", "attacker.example");
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().unwrap();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (challenge, response.text().unwrap())
    };
    let (_, info) = get("/demo", Some(&key));
    assert!(info.contains("\"/demo/mcp\""), "relative links: {info}");
    let (challenge, _) = get("/demo/mcp", None);
    assert!(!challenge.contains("attacker"), "{challenge}");
    let (_, body) = get("/demo", Some(&key));
    assert!(!body.contains("attacker"), "{body}");
}
