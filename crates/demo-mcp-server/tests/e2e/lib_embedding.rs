//! `demo_mcp_server::serve` embeds the server in a test's own runtime.

use std::net::SocketAddr;

use demo_mcp_server::{Config, Era, serve};
use serde_json::{Value, json};

use crate::common::post_modern;

#[tokio::test]
async fn serve_binds_a_free_port_and_stops_when_aborted() {
    let config = Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        era: Era::Both,
        ..Config::default()
    };
    let (addr, task) = serve(config).await.expect("serve");
    assert_ne!(addr.port(), 0);
    let url = format!("http://{addr}/mcp");

    let echo = json!({"name": "echo", "arguments": {"message": "embedded"}});
    let body: Value = post_modern(&url, "tools/call", echo)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["content"][0]["text"], "embedded");

    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let refused = reqwest::Client::new()
        .get(format!("http://{addr}/stats"))
        .send()
        .await;
    assert!(refused.is_err(), "still serving after abort");
}
