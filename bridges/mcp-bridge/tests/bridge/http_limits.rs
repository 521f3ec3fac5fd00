//! The guards in front of each server: concurrency bound, body size, timeout (the shared secret:
//! `access.rs`).

use std::time::Duration;

use serde_json::json;

use crate::common::{Bridge, client, everything_stdio};

#[tokio::test]
async fn request_over_the_body_limit_is_413() {
    let bridge = Bridge::start(json!({
        "bridge": {"maxBodyBytes": 4096},
        "mcpServers": {"everything": everything_stdio()}
    }));
    let (status, _) = bridge.post_tools_list("everything", 8192).await;
    assert_eq!(status, 413);
    let (status, body) = bridge.post_tools_list("everything", 1024).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn requests_over_the_concurrency_bound_get_503() {
    let bridge = Bridge::start(json!({
        "mcpServers": {"everything": {
            "command": "node",
            "args": [crate::common::everything_entry_point(), "stdio"],
            "maxConcurrentRequests": 1
        }}
    }));
    let url = bridge.mcp_url("everything");
    let long_call = tokio::spawn({
        let url = url.clone();
        async move {
            client(
                &url,
                "auto",
                &[
                    "call",
                    "trigger-long-running-operation",
                    r#"{"duration":3,"steps":1}"#,
                ],
            )
            .await
        }
    });
    while bridge
        .metric(r#"mcp_bridge_requests_in_flight{server="everything"}"#)
        .await
        != Some(1.0)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = bridge.post_tools_list("everything", 0).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("too many concurrent requests"), "{body}");

    let finished = long_call.await.unwrap();
    assert_eq!(finished["isError"], false, "{finished}");
    let (status, body) = bridge.post_tools_list("everything", 0).await;
    assert_eq!(status, 200, "the slot is free again: {body}");
    let rejected = bridge
        .metric(r#"mcp_bridge_rejected_requests_total{server="everything",reason="Overloaded"}"#)
        .await;
    assert_eq!(rejected, Some(1.0));
}

#[tokio::test]
async fn slow_upstream_answer_becomes_a_timeout_error() {
    let bridge = Bridge::start(json!({
        "mcpServers": {"everything": {
            "command": "node",
            "args": [crate::common::everything_entry_point(), "stdio"],
            "requestTimeoutMs": 1000
        }}
    }));
    let url = bridge.mcp_url("everything");
    let slow = client(
        &url,
        "auto",
        &[
            "call",
            "trigger-long-running-operation",
            r#"{"duration":30,"steps":1}"#,
        ],
    )
    .await;
    assert_eq!(
        slow["error"]["code"],
        mcp_bridge::CODE_UPSTREAM_TIMEOUT,
        "{slow}"
    );
    let quick = client(&url, "auto", &["call", "echo", r#"{"message":"fast"}"#]).await;
    assert_eq!(quick["text"], json!(["Echo: fast"]));
}
