//! The TypeScript SDK v1 client (handshake era only) lists tools in a session.

use serde_json::json;

use crate::common::{ALL_TOOLS, Server, typescript_v1_client};

#[tokio::test]
async fn typescript_v1_client_lists_tools_and_calls_echo_in_a_session() {
    let server = Server::start(&[]);
    let report = typescript_v1_client(&server.url)
        .await
        .expect("client succeeded");
    assert!(report["sessionId"].is_string(), "{report}");
    assert_eq!(report["protocolVersion"], "2025-11-25");
    assert_eq!(report["serverName"], "demo-mcp-server");
    assert_eq!(report["tools"], json!(ALL_TOOLS));
    assert_eq!(
        report["echo"]["content"],
        json!([{"type": "text", "text": "from typescript"}])
    );
}

#[tokio::test]
async fn typescript_v1_client_cannot_use_a_modern_only_server() {
    let server = Server::start(&["--era", "modern"]);
    assert_eq!(typescript_v1_client(&server.url).await, None);
}
