//! The committed demo config (`demo.json`, started by `cargo xtask up`) works as documented.

use std::path::Path;

use serde_json::json;

use crate::common::{Bridge, MODES, client};

#[tokio::test]
async fn demo_config_serves_everything_and_time() {
    // `${MCPGW_NODE_MODULES}` and `${MCPGW_PYTHON}` come from the provisioned test environment,
    // `${MCPGW_BRIDGE_SECRET}` from `Bridge`.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo.json");
    let bridge = Bridge::start_with_file(&demo);
    assert_eq!(
        bridge.post_tools_list_as("everything", None, 0).await.0,
        401,
        "the demo is closed too"
    );
    for mode in MODES {
        let echoed = client(
            &bridge.mcp_url("everything"),
            mode,
            &["call", "echo", r#"{"message":"demo"}"#],
        )
        .await;
        assert_eq!(echoed["text"], json!(["Echo: demo"]), "{mode}");
        let listed = client(&bridge.mcp_url("time"), mode, &["list"]).await;
        assert!(
            listed["tools"]
                .as_array()
                .unwrap()
                .contains(&json!("get_current_time")),
            "{mode}"
        );
    }
}
