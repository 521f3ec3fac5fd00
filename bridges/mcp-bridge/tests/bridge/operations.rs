//! `/healthz`, `/readyz` and `/metrics`, and lazy start.

use serde_json::json;

use crate::common::{Bridge, client, everything_stdio, time_stdio};

#[tokio::test]
async fn readiness_reports_each_server_and_fails_for_a_down_boot_server() {
    let bridge = Bridge::start(json!({"mcpServers": {
        "everything": everything_stdio(),
        "broken": {"command": "/nonexistent/mcp-server"},
        "later": {"command": "/nonexistent/mcp-server", "start": "lazy"}
    }}));
    assert_eq!(bridge.get("/healthz").await.0, 200);
    bridge
        .wait_for_server("everything", "ready", |s| s["state"] == "ready")
        .await;
    let broken = bridge
        .wait_for_server("broken", "backing off", |s| s["state"] == "backoff")
        .await;
    assert!(
        broken["lastError"]
            .as_str()
            .unwrap()
            .contains("cannot start"),
        "{broken}"
    );
    let (status, ready) = bridge.readyz().await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["ready"], false);
    assert_eq!(ready["servers"]["everything"]["transport"], "stdio");
    assert!(ready["servers"]["everything"]["pid"].is_u64());
    assert_eq!(
        ready["servers"]["later"]["state"], "idle",
        "lazy servers wait for a request"
    );
}

#[tokio::test]
async fn lazy_server_starts_on_first_request_and_is_ready_without_it() {
    let mut lazy = time_stdio();
    lazy["start"] = json!("lazy");
    let bridge = Bridge::start(json!({"mcpServers": {"time": lazy}}));
    let (status, ready) = bridge.readyz().await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["servers"]["time"]["state"], "idle");
    let now = client(
        &bridge.mcp_url("time"),
        "auto",
        &["call", "get_current_time", r#"{"timezone":"UTC"}"#],
    )
    .await;
    assert_eq!(now["structured"]["timezone"], "UTC", "{now}");
    let (_, ready) = bridge.readyz().await;
    assert_eq!(ready["servers"]["time"]["state"], "ready");
}

#[tokio::test]
async fn metrics_count_requests_per_server() {
    let bridge = Bridge::start(
        json!({"mcpServers": {"everything": everything_stdio(), "time": time_stdio()}}),
    );
    client(
        &bridge.mcp_url("everything"),
        "legacy",
        &["call", "echo", r#"{"message":"m"}"#],
    )
    .await;
    let (status, text) = bridge.get("/metrics").await;
    assert_eq!(status, 200);
    let calls = bridge
        .metric(r#"mcp_bridge_requests_total{server="everything",method="tools/call"}"#)
        .await;
    assert_eq!(calls, Some(1.0), "{text}");
    assert!(
        text.contains("mcp_bridge_request_duration_seconds_bucket"),
        "{text}"
    );
    let time_calls = bridge
        .metric(r#"mcp_bridge_requests_total{server="time",method="tools/call"}"#)
        .await;
    assert_eq!(time_calls, None, "nothing was sent to time");
}
