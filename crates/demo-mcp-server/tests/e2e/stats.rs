//! `GET /stats` counts what reached `/mcp`; `POST /stats/reset` clears it.

use serde_json::{Value, json};

use crate::common::{Server, post_modern};

async fn stats(server: &Server) -> Value {
    reqwest::get(server.at("/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn counts_methods_tools_and_http_requests() {
    let server = Server::start(&[]);
    post_modern(&server.url, "tools/list", json!({})).await;
    post_modern(&server.url, "tools/list", json!({})).await;
    let echo = json!({"name": "echo", "arguments": {"message": "x"}});
    post_modern(&server.url, "tools/call", echo).await;
    reqwest::Client::new()
        .delete(&server.url)
        .send()
        .await
        .unwrap();

    assert_eq!(
        stats(&server).await,
        json!({
            "httpRequests": 4,
            "httpMethods": {"POST": 3, "DELETE": 1},
            "methods": {"tools/list": 2, "tools/call": 1},
            "toolCalls": {"echo": 1},
        })
    );
}

#[tokio::test]
async fn reset_starts_counting_from_zero() {
    let server = Server::start(&[]);
    post_modern(&server.url, "tools/list", json!({})).await;
    let reset = reqwest::Client::new()
        .post(server.at("/stats/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    let cleared = stats(&server).await;
    assert_eq!(cleared["httpRequests"], 0);
    assert_eq!(cleared["methods"], json!({}));

    let call = json!({"name": "add", "arguments": {"a": 1, "b": 2}});
    post_modern(&server.url, "tools/call", call).await;
    let after = stats(&server).await;
    assert_eq!(after["httpRequests"], 1);
    assert_eq!(after["toolCalls"], json!({"add": 1}));
}

#[tokio::test]
async fn stats_paths_answer_only_their_methods() {
    let server = Server::start(&[]);
    let http = reqwest::Client::new();
    assert_eq!(
        http.post(server.at("/stats"))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        http.get(server.at("/stats/reset"))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        http.get(server.at("/nothing"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // none of these reached /mcp
    assert_eq!(stats(&server).await["httpRequests"], 0);
}
