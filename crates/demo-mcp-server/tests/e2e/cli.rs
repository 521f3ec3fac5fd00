//! The command line: the announced address, cache hints, and usage errors.

use std::process::Command;

use serde_json::{Value, json};

use crate::common::{Server, post_modern};

#[tokio::test]
async fn announces_the_bound_port_in_one_line() {
    let server = Server::start(&[]);
    let port: u16 = server
        .line
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/mcp"))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {:?}", server.line));
    assert_ne!(port, 0);
    let response = post_modern(&server.url, "tools/list", json!({})).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn tools_ttl_sets_the_cache_hint_of_tools_list() {
    let server = Server::start(&["--tools-ttl-ms", "5000"]);
    let body: Value = post_modern(&server.url, "tools/list", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["ttlMs"], 5000);
    assert_eq!(body["result"]["cacheScope"], "public");

    let default = Server::start(&[]);
    let body: Value = post_modern(&default.url, "tools/list", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["ttlMs"], 0);
}

#[test]
fn invalid_arguments_exit_with_usage_status() {
    let status = Command::new(env!("CARGO_BIN_EXE_demo-mcp-server"))
        .args(["--era", "sideways"])
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(64));

    let help = Command::new(env!("CARGO_BIN_EXE_demo-mcp-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--tools-ttl-ms"));
}
