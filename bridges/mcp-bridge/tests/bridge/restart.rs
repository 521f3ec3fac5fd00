//! A crashed stdio server is restarted; the request it was serving fails at once with a JSON-RPC
//! error instead of hanging, and later requests succeed.

use serde_json::{Value, json};

use crate::common::{Bridge, MODES, client, everything_stdio, signal};

const IN_FLIGHT: &str = r#"mcp_bridge_requests_in_flight{server="everything"}"#;

#[tokio::test]
async fn killed_child_is_restarted_and_in_flight_calls_fail_fast() {
    let bridge = Bridge::start(json!({"mcpServers": {"everything": everything_stdio()}}));
    let url = bridge.mcp_url("everything");
    for (crashes, mode) in (1..).zip(MODES) {
        let before = bridge
            .wait_for_server("everything", "ready", |s| s["state"] == "ready")
            .await;
        let pid = before["pid"].as_u64().unwrap() as u32;

        // A call that would run for ten minutes if nothing went wrong.
        let long_call = tokio::spawn({
            let url = url.clone();
            async move {
                client(
                    &url,
                    mode,
                    &[
                        "call",
                        "trigger-long-running-operation",
                        r#"{"duration":600,"steps":2}"#,
                    ],
                )
                .await
            }
        });
        while bridge.metric(IN_FLIGHT).await != Some(1.0) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        signal(pid, "KILL");

        let failed: Value = long_call.await.unwrap();
        assert_eq!(
            failed["error"]["code"],
            mcp_bridge::CODE_UPSTREAM_UNAVAILABLE,
            "{mode}: {failed}"
        );

        let after = bridge
            .wait_for_server("everything", "restarted", |s| {
                s["state"] == "ready" && s["restarts"] == crashes
            })
            .await;
        assert_ne!(after["pid"], before["pid"], "{mode}");

        let echoed = client(&url, mode, &["call", "echo", r#"{"message":"again"}"#]).await;
        assert_eq!(echoed["text"], json!(["Echo: again"]), "{mode}");
    }
    let restarted = bridge
        .metric(r#"mcp_bridge_upstream_restarts_total{server="everything"}"#)
        .await;
    assert_eq!(restarted, Some(2.0));
}
