//! A legacy HTTP+SSE server (server-everything in `sse` mode) served through the bridge, and
//! reconnected after it goes away.

use std::process::Command;

use serde_json::json;
use test_support::ChildGuard;

use crate::common::{Bridge, MODES, client, everything_entry_point, spawn};

fn sse_server(port: u16) -> ChildGuard {
    spawn(
        Command::new("node")
            .arg(everything_entry_point())
            .arg("sse")
            .env("PORT", port.to_string()),
    )
}

fn bridge(port: u16) -> Bridge {
    Bridge::start(json!({
        "bridge": {"backoffMaxMs": 500},
        "mcpServers": {"legacy": {"type": "sse", "url": format!("http://127.0.0.1:{port}/sse")}}
    }))
}

#[tokio::test]
async fn sse_server_is_served_in_both_eras_with_concurrency() {
    let port = test_support::free_port();
    let _server = sse_server(port);
    let bridge = bridge(port);
    bridge
        .wait_for_server("legacy", "ready", |s| s["state"] == "ready")
        .await;
    let url = bridge.mcp_url("legacy");
    for mode in MODES {
        let listed = client(&url, mode, &["list"]).await;
        assert!(
            listed["tools"].as_array().unwrap().contains(&json!("echo")),
            "{mode}: {listed}"
        );
        let many = client(&url, mode, &["echo-many", "50"]).await;
        assert_eq!(many["answered"], 50, "{mode}: {many}\n{}", bridge.log());
        assert_eq!(many["mismatched"], json!([]), "{mode}: {many}");
    }
}

#[tokio::test]
async fn sse_server_disconnect_is_reconnected() {
    let port = test_support::free_port();
    let server = sse_server(port);
    let bridge = bridge(port);
    bridge
        .wait_for_server("legacy", "ready", |s| s["state"] == "ready")
        .await;
    let url = bridge.mcp_url("legacy");

    drop(server);
    let down = bridge
        .wait_for_server("legacy", "down", |s| s["state"] == "backoff")
        .await;
    assert!(down["lastError"].is_string(), "{down}");
    let (status, _) = bridge.readyz().await;
    assert_eq!(status, 503, "a boot-mode server is down");
    let refused = client(&url, "auto", &["call", "echo", r#"{"message":"x"}"#]).await;
    assert_eq!(
        refused["error"]["code"],
        mcp_bridge::CODE_UPSTREAM_UNAVAILABLE,
        "{refused}"
    );

    let _server = sse_server(port);
    bridge
        .wait_for_server("legacy", "reconnected", |s| {
            s["state"] == "ready" && s["restarts"] == 1
        })
        .await;
    let (status, _) = bridge.readyz().await;
    assert_eq!(status, 200);
    for mode in MODES {
        let echoed = client(&url, mode, &["call", "echo", r#"{"message":"back"}"#]).await;
        assert_eq!(echoed["text"], json!(["Echo: back"]), "{mode}");
    }
}
