//! `--sse` answers stateless requests with event streams; the default answers with JSON.

use serde_json::json;

use crate::common::{MODERN, Server, content_type, post_modern, python_client};
use crate::python_sdk::assert_every_tool;

#[tokio::test]
async fn sse_flag_answers_with_an_event_stream() {
    let server = Server::start(&["--sse"]);
    let response = post_modern(
        &server.url,
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "streamed"}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/event-stream");
    let body = response.text().await.unwrap();
    let data = body
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .find(|data| data.contains("\"result\""))
        .unwrap_or_else(|| panic!("no result event in {body:?}"));
    let message: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
    assert_eq!(message["result"]["content"][0]["text"], "streamed");
}

#[tokio::test]
async fn default_answers_with_json() {
    let server = Server::start(&[]);
    let response = post_modern(
        &server.url,
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "plain"}}),
    )
    .await;
    assert_eq!(content_type(&response), "application/json");
    let message: serde_json::Value = response.json().await.unwrap();
    assert_eq!(message["result"]["content"][0]["text"], "plain");
}

#[tokio::test]
async fn python_client_calls_every_tool_over_sse() {
    let server = Server::start(&["--sse"]);
    let report = python_client(&server.url, MODERN).await;
    assert_every_tool(&report);
}
