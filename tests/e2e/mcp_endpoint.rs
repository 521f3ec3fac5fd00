use demo_mcp_server::Era;
use serde_json::{Value, json};

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::mcp::python_client;
use crate::common::peers::Demo;

#[test]
fn python_sdk_clients_of_both_eras_use_the_native_endpoint() {
    let db = Database::create("mcp-native");
    for upstream_era in [Era::Legacy, Era::Modern] {
        let demo = Demo::start(upstream_era, false);
        let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
        let key = db.api_key("e2e", None);
        for mode in ["legacy", "auto"] {
            let seen = python_client(&format!("{}/demo/mcp", gateway.base), mode, &key, "echo");
            assert_eq!(seen["connected"], true, "{upstream_era:?}/{mode}: {seen}");
            assert_eq!(seen["echo"], "hello", "{upstream_era:?}/{mode}: {seen}");
            assert!(seen["tools"].as_array().unwrap().contains(&json!("add")));
        }
        let refused = python_client(
            &format!("{}/demo/mcp", gateway.base),
            "legacy",
            "mcpk_wrong_key_0000000000000000000000000000",
            "echo",
        );
        assert_eq!(refused["connected"], false, "{refused}");
    }
}

#[test]
fn handshake_sessions_are_sealed_to_their_caller() {
    let db = Database::create("mcp-session");
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let alice = db.api_key("alice", None);
    let bob = db.api_key("bob", None);
    let client = reqwest::blocking::Client::new();
    let rpc = |key: &str, session: Option<&str>, body: Value| {
        let mut request = client
            .post(format!("{}/demo/mcp", gateway.base))
            .bearer_auth(key)
            .header("accept", "application/json, text/event-stream")
            .json(&body);
        if let Some(session) = session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-11-25");
        }
        request.send().unwrap()
    };
    let init = rpc(
        &alice,
        None,
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}),
    );
    assert_eq!(init.status(), 200);
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let list = json!({"jsonrpc":"2.0","id":2,"method":"tools/list"});
    assert_eq!(rpc(&alice, Some(&session), list.clone()).status(), 200);
    assert_eq!(
        rpc(&bob, Some(&session), list.clone()).status(),
        400,
        "another caller cannot use alice's session"
    );
    let mut tampered = session.clone();
    tampered.replace_range(0..1, if session.starts_with('A') { "B" } else { "A" });
    assert_eq!(rpc(&alice, Some(&tampered), list).status(), 400);
}

#[test]
fn modern_requests_are_validated() {
    let db = Database::create("mcp-modern");
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let key = db.api_key("e2e", None);
    let client = reqwest::blocking::Client::new();
    let meta = json!({"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}});
    let post = |method_header: &str, body: Value| {
        client
            .post(format!("{}/demo/mcp", gateway.base))
            .bearer_auth(&key)
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", method_header)
            .json(&body)
            .send()
            .unwrap()
    };
    let ok = post(
        "tools/list",
        json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta": meta}}),
    );
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().unwrap();
    assert!(body["result"]["ttlMs"].is_number(), "{body}");
    let mismatch = post(
        "tools/call",
        json!({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta": meta}}),
    );
    assert_eq!(mismatch.status(), 400);
    let no_meta = post(
        "tools/list",
        json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}}),
    );
    assert_eq!(no_meta.status(), 400);
    let missing: Value = no_meta.json().unwrap();
    assert_eq!(missing["error"]["code"], -32602, "{missing}");
}

#[test]
fn mcp_endpoint_challenges_with_protected_resource_metadata() {
    let db = Database::create("mcp-401");
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let reply = gateway.post(
        "/demo/mcp",
        None,
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#,
    );
    assert_eq!(reply.status, 401);
    let challenge = reply.header("www-authenticate").to_string();
    assert!(challenge.contains("resource_metadata="), "{challenge}");
    let metadata = gateway.get("/.well-known/oauth-protected-resource/demo/mcp", None);
    assert_eq!(metadata.status, 200);
    assert!(
        metadata.json()["resource"]
            .as_str()
            .unwrap()
            .ends_with("/demo/mcp")
    );
}
