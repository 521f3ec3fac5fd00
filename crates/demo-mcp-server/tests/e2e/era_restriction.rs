//! `--era legacy` and `--era modern` refuse the other era the way servers of one era do.

use serde_json::{Value, json};

use crate::common::{MODERN, Server, post_initialize, post_modern, python_client};

#[tokio::test]
async fn legacy_era_refuses_server_discover_like_a_2025_server() {
    let server = Server::start(&["--era", "legacy"]);
    let response = post_modern(&server.url, "server/discover", json!({})).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32000);
    assert_eq!(
        body["error"]["message"],
        "Bad Request: Server not initialized"
    );

    let both = Server::start(&[]);
    let response = post_modern(&both.url, "server/discover", json!({})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["result"]["supportedVersions"]
            .as_array()
            .unwrap()
            .contains(&json!(MODERN))
    );
}

#[tokio::test]
async fn legacy_era_fails_a_pinned_modern_client_and_serves_an_auto_client_in_a_session() {
    let server = Server::start(&["--era", "legacy"]);
    let pinned = python_client(&server.url, MODERN).await;
    assert_eq!(pinned["connected"], false, "{pinned}");
    assert_eq!(pinned["errors"][0]["code"], -32000);

    let auto = python_client(&server.url, "auto").await;
    assert_eq!(auto["connected"], true, "{auto}");
    assert_eq!(auto["protocolVersion"], "2025-11-25");
    assert_eq!(
        auto["calls"]["session_info"]["structuredContent"]["transport"],
        "session"
    );
}

#[tokio::test]
async fn modern_era_refuses_initialize_with_unsupported_protocol_version() {
    let server = Server::start(&["--era", "modern"]);
    let response = post_initialize(&server.url).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("mcp-session-id").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32022);
    assert_eq!(body["error"]["data"]["supported"], json!([MODERN]));

    let both = Server::start(&[]);
    let response = post_initialize(&both.url).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("mcp-session-id").is_some());
}

#[tokio::test]
async fn modern_era_fails_a_legacy_client_and_serves_an_auto_client_statelessly() {
    let server = Server::start(&["--era", "modern"]);
    let legacy = python_client(&server.url, "legacy").await;
    assert_eq!(legacy["connected"], false, "{legacy}");
    assert_eq!(legacy["errors"][0]["code"], -32022);

    let auto = python_client(&server.url, "auto").await;
    assert_eq!(auto["connected"], true, "{auto}");
    assert_eq!(auto["protocolVersion"], MODERN);
}

#[tokio::test]
async fn modern_era_advertises_only_2026_07_28_and_has_no_session_verbs() {
    let server = Server::start(&["--era", "modern"]);
    let response = post_modern(&server.url, "server/discover", json!({})).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["supportedVersions"], json!([MODERN]));

    let http = reqwest::Client::new();
    let delete = http.delete(&server.url).send().await.unwrap();
    assert_eq!(delete.status(), 405);
    let get = http
        .get(&server.url)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
}
