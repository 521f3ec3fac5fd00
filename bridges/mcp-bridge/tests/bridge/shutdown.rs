//! SIGTERM stops the bridge cleanly: children are killed and reaped.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{Bridge, everything_stdio, is_alive, signal, time_stdio};

#[tokio::test]
async fn sigterm_stops_children_and_exits_zero() {
    let mut bridge = Bridge::start(
        json!({"mcpServers": {"everything": everything_stdio(), "time": time_stdio()}}),
    );
    let mut children = Vec::new();
    for server in ["everything", "time"] {
        let status = bridge
            .wait_for_server(server, "ready", |s| s["state"] == "ready")
            .await;
        children.push(status["pid"].as_u64().unwrap() as u32);
    }
    assert!(children.iter().all(|pid| is_alive(*pid)));

    signal(bridge.pid(), "TERM");
    let status = bridge.wait_for_exit(Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "{}", bridge.log());
    let deadline = Instant::now() + Duration::from_secs(30);
    while children.iter().any(|pid| is_alive(*pid)) {
        assert!(
            Instant::now() < deadline,
            "children outlived the bridge: {children:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
