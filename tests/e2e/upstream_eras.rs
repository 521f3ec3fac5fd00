use demo_mcp_server::Era;
use serde_json::json;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::peers::{Demo, Everything, PythonModern};

#[test]
fn handshake_era_upstream_is_initialized_once() {
    let db = Database::create("legacy-up");
    let demo = Demo::start(Era::Legacy, true);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let key = db.api_key("e2e", None);
    for message in ["a", "b"] {
        let reply = gateway.post(
            "/demo/echo",
            Some(&key),
            &json!({"message": message}).to_string(),
        );
        assert_eq!(reply.json(), json!(message));
    }
    assert_eq!(demo.stats()["methods"]["initialize"], 1, "{}", demo.stats());
}

#[test]
fn modern_era_upstream_is_never_initialized() {
    let db = Database::create("modern-up");
    let demo = Demo::start(Era::Modern, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let key = db.api_key("e2e", None);
    assert_eq!(
        gateway
            .post("/demo/echo", Some(&key), r#"{"message":"m"}"#)
            .json(),
        json!("m")
    );
    let stats = demo.stats();
    assert!(stats["methods"].get("initialize").is_none(), "{stats}");
    assert_eq!(stats["methods"]["server/discover"], 1, "{stats}");
}

#[test]
fn reference_server_everything_through_the_gateway_and_session_recovery() {
    let db = Database::create("everything");
    let port = test_support::free_port();
    let everything = Everything::start_on(port);
    let gateway = Gateway::start(&db, &upstream("github", &everything.url()));
    let key = db.api_key("e2e", None);
    let reply = gateway.post("/github/echo", Some(&key), r#"{"message":"ref"}"#);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("ref"), "{}", reply.body);

    // The upstream restarts and forgets its sessions: the gateway re-initializes.
    drop(everything);
    let _everything = Everything::start_on(port);
    let again = gateway.post("/github/echo", Some(&key), r#"{"message":"after restart"}"#);
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains("after restart"), "{}", again.body);
}

#[test]
fn python_sdk_modern_server_through_the_gateway() {
    let db = Database::create("pymodern");
    let python = PythonModern::start();
    let gateway = Gateway::start(&db, &upstream("notion", &python.url()));
    let key = db.api_key("e2e", None);
    let reply = gateway.post("/notion/echo", Some(&key), r#"{"message":"py"}"#);
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The Python SDK returns a str result as structured content {"result": ...}.
    assert_eq!(reply.json(), json!({"result": "py"}));
}
