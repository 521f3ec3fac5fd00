//! stdio servers listed and called through the bridge, in both protocol eras.

use serde_json::json;

use crate::common::{Bridge, MODES, client, everything_stdio, time_stdio};

fn bridge() -> Bridge {
    Bridge::start(json!({"mcpServers": {"everything": everything_stdio(), "time": time_stdio()}}))
}

#[tokio::test]
async fn server_everything_lists_and_calls_tools_in_both_eras() {
    let bridge = bridge();
    let url = bridge.mcp_url("everything");
    for (mode, version) in MODES.into_iter().zip(["2025-11-25", "2026-07-28"]) {
        let listed = client(&url, mode, &["list"]).await;
        assert_eq!(listed["protocolVersion"], version, "{mode}");
        let tools = listed["tools"].as_array().unwrap();
        assert!(tools.contains(&json!("echo")), "{mode}: {listed}");
        assert!(tools.contains(&json!("get-sum")), "{mode}: {listed}");

        let echoed = client(&url, mode, &["call", "echo", r#"{"message":"hello"}"#]).await;
        assert_eq!(echoed["text"], json!(["Echo: hello"]), "{mode}");
        let sum = client(&url, mode, &["call", "get-sum", r#"{"a":2,"b":40}"#]).await;
        assert!(
            sum["text"][0].as_str().unwrap().contains("42"),
            "{mode}: {sum}"
        );
    }
}

#[tokio::test]
async fn mcp_server_time_lists_and_calls_tools_in_both_eras() {
    let bridge = bridge();
    let url = bridge.mcp_url("time");
    for mode in MODES {
        let listed = client(&url, mode, &["list"]).await;
        assert_eq!(
            listed["tools"],
            json!(["convert_time", "get_current_time"]),
            "{mode}"
        );
        let now = client(
            &url,
            mode,
            &["call", "get_current_time", r#"{"timezone":"Europe/Paris"}"#],
        )
        .await;
        assert_eq!(now["isError"], false, "{mode}: {now}");
        assert_eq!(
            now["structured"]["timezone"], "Europe/Paris",
            "{mode}: {now}"
        );
    }
}

#[tokio::test]
async fn upstream_tool_errors_reach_the_client() {
    let bridge = bridge();
    let url = bridge.mcp_url("time");
    for mode in MODES {
        let bad = client(
            &url,
            mode,
            &["call", "get_current_time", r#"{"timezone":"Mars/Olympus"}"#],
        )
        .await;
        assert_eq!(bad["isError"], true, "{mode}: {bad}");
        let unknown = client(&url, mode, &["call", "no_such_tool", "{}"]).await;
        let failed = unknown["isError"] == true || unknown.get("error").is_some();
        assert!(failed, "{mode}: {unknown}");
    }
}

#[tokio::test]
async fn progress_notifications_reach_the_calling_request() {
    let bridge = bridge();
    let url = bridge.mcp_url("everything");
    for mode in MODES {
        let done = client(&url, mode, &["progress", "3"]).await;
        assert_eq!(done["progress"], json!([1.0, 2.0, 3.0]), "{mode}: {done}");
        assert_eq!(done["isError"], false, "{mode}: {done}");
    }
}

#[tokio::test]
async fn unknown_server_is_404() {
    let bridge = bridge();
    let (status, _) = bridge.post_tools_list("nope", 0).await;
    assert_eq!(status, 404);
    let (status, body) = bridge.post_tools_list("everything", 0).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"echo\""), "{body}");
}

#[tokio::test]
async fn child_sees_its_configured_env_but_not_the_bridges_secrets() {
    let mut everything = everything_stdio();
    everything["env"] = json!({"SERVER_SETTING": "${BRIDGE_PROVIDED}"});
    let bridge = Bridge::start_with_env(
        json!({"mcpServers": {"everything": everything}}),
        &[
            ("BRIDGE_PROVIDED", "visible-value"),
            ("OTHER_SERVER_TOKEN", "hidden-value"),
        ],
    );
    let env = client(
        &bridge.mcp_url("everything"),
        "auto",
        &["call", "get-env", "{}"],
    )
    .await;
    let text = env["text"][0].as_str().unwrap();
    assert!(text.contains("visible-value"), "{text}");
    assert!(text.contains("\"PATH\""), "{text}");
    assert!(!text.contains("hidden-value"), "{text}");
    assert!(!text.contains(test_support::bridge_secret()), "{text}");
}
