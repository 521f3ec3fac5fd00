//! Closed by default: the MCP routes and `/metrics` answer only callers that send the shared
//! secret in `X-Bridge-Secret`; the probes stay open for the kubelet; `allowUnauthenticated` is
//! the one way to open the rest.

use serde_json::{Value, json};

use crate::common::{Bridge, everything_stdio};

fn closed_bridge() -> Bridge {
    Bridge::start(json!({"mcpServers": {"everything": everything_stdio()}}))
}

fn assert_refused((status, body): (u16, String), what: &str) {
    assert_eq!(status, 401, "{what}: {body}");
    let body: Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(
        body,
        json!({"error": "missing or wrong X-Bridge-Secret"}),
        "{what}"
    );
}

#[tokio::test]
async fn mcp_requests_without_the_secret_or_with_a_wrong_one_are_401() {
    let bridge = closed_bridge();
    let secret = test_support::bridge_secret();
    let longer = format!("{secret}0");
    let presented = [
        ("no secret", None),
        ("an empty secret", Some("")),
        ("the secret and more", Some(longer.as_str())),
        ("a prefix of the secret", Some(&secret[..secret.len() - 1])),
    ];
    for (what, secret) in presented {
        assert_refused(
            bridge.post_tools_list_as("everything", secret, 0).await,
            what,
        );
    }
    // Without the secret nobody learns which servers exist.
    assert_refused(
        bridge.post_tools_list_as("nope", None, 0).await,
        "an unknown server",
    );
    assert_eq!(bridge.post_tools_list("nope", 0).await.0, 404);
    let (status, body) = bridge.post_tools_list("everything", 0).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"echo\""), "{body}");
    let rejected = bridge
        .metric(r#"mcp_bridge_rejected_requests_total{server="everything",reason="Unauthorized"}"#)
        .await;
    assert_eq!(rejected, Some(presented.len() as f64));
}

#[tokio::test]
async fn metrics_need_the_secret_and_the_probes_do_not() {
    let bridge = closed_bridge();
    assert_refused(bridge.get_as("/metrics", None).await, "no secret");
    assert_refused(
        bridge.get_as("/metrics", Some("wrong")).await,
        "a wrong secret",
    );
    let (status, text) = bridge.get("/metrics").await;
    assert_eq!(status, 200, "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "the metrics: {text}");
    bridge
        .wait_for_server("everything", "ready", |s| s["state"] == "ready")
        .await;
    assert_eq!(bridge.get_as("/healthz", None).await.0, 200);
    assert_eq!(bridge.get_as("/readyz", None).await.0, 200);
}

#[tokio::test]
async fn allow_unauthenticated_opens_mcp_and_metrics_and_says_so() {
    let bridge = Bridge::start(json!({
        "bridge": {"allowUnauthenticated": true},
        "mcpServers": {"everything": everything_stdio()}
    }));
    let (status, body) = bridge.post_tools_list_as("everything", None, 0).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(bridge.get_as("/metrics", None).await.0, 200);
    let log = bridge.log();
    assert!(log.contains("allowUnauthenticated"), "{log}");
}
