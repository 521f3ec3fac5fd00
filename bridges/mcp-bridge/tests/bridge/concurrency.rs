//! Concurrent requests are multiplexed over one upstream connection and all answered correctly.

use serde_json::json;

use crate::common::{Bridge, MODES, client, everything_stdio};

#[tokio::test]
async fn fifty_concurrent_calls_are_all_answered_correctly() {
    let bridge = Bridge::start(json!({"mcpServers": {"everything": everything_stdio()}}));
    let url = bridge.mcp_url("everything");
    for mode in MODES {
        let result = client(&url, mode, &["echo-many", "50"]).await;
        assert_eq!(result["answered"], 50, "{mode}: {result}");
        assert_eq!(result["mismatched"], json!([]), "{mode}: {result}");
    }
    // One process served them all.
    let (_, ready) = bridge.readyz().await;
    assert_eq!(ready["servers"]["everything"]["restarts"], 0);
}
