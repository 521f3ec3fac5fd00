//! The Python SDK (mcp 2.x) lists and calls every tool, in each era.

use serde_json::{Value, json};

use crate::common::{ALL_TOOLS, MODERN, Server, python_client, tool_names};

/// Asserts the report of `py_client.py` shows every tool answering as documented.
pub fn assert_every_tool(report: &Value) {
    assert_eq!(report["connected"], true, "{report}");
    assert_eq!(tool_names(report), ALL_TOOLS);

    let tool = |name: &str| {
        report["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|tool| tool["name"] == name)
            .unwrap()
            .clone()
    };
    let lookup = tool("lookup")["inputSchema"].clone();
    assert_eq!(lookup["required"], json!(["query"]));
    assert_eq!(
        lookup["properties"]["filter"]["anyOf"],
        json!([{"$ref": "#/$defs/Filter"}, {"type": "null"}])
    );
    let filter = &lookup["$defs"]["Filter"]["properties"];
    assert_eq!(filter["colors"]["type"], "array");
    assert_eq!(filter["colors"]["items"], json!({"$ref": "#/$defs/Color"}));
    assert_eq!(
        lookup["$defs"]["Category"]["enum"],
        json!(["fruit", "vegetable", "grain"])
    );
    assert_eq!(
        tool("add")["outputSchema"]["properties"]["sum"]["type"],
        "number"
    );
    assert!(tool("echo").get("outputSchema").is_none());

    let calls = &report["calls"];
    assert_eq!(
        calls["echo"]["content"],
        json!([{"type": "text", "text": "hello gateway"}])
    );
    assert_eq!(calls["echo"]["isError"], false);
    assert_eq!(calls["add"]["structuredContent"], json!({"sum": 5.5}));

    let time = calls["get_time"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(time.len(), "2026-07-28T12:00:00Z".len(), "{time}");
    assert!(time.ends_with('Z') && time.as_bytes()[10] == b'T', "{time}");

    assert_eq!(calls["slow"]["content"][0]["text"], "waited 40 ms");
    let progress: Vec<f64> = report["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["progress"].as_f64().unwrap())
        .collect();
    assert_eq!(progress, [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(report["progress"][0]["total"], 4.0);

    assert_eq!(calls["fail"]["isError"], true);
    assert_eq!(calls["fail"]["content"][0]["text"], "as requested");

    let image = &calls["image"]["content"][0];
    assert_eq!(image["type"], "image");
    assert_eq!(image["mimeType"], "image/png");
    assert_eq!(
        report["png"],
        json!({"valid": true, "width": 8, "height": 8})
    );

    let resource = &calls["resource"]["content"];
    assert_eq!(resource[0]["type"], "resource");
    assert_eq!(resource[0]["resource"]["uri"], "demo://greeting");
    assert_eq!(
        resource[0]["resource"]["text"],
        "Hello from the demo MCP server."
    );
    assert_eq!(resource[1]["type"], "resource_link");
    assert_eq!(resource[1]["uri"], "demo://greeting");
    assert_eq!(
        report["greeting"]["contents"][0]["text"],
        "Hello from the demo MCP server."
    );

    assert_eq!(
        calls["lookup"]["structuredContent"],
        json!({"matches": [{"name": "potato", "category": "vegetable", "colors": ["brown", "yellow"]}]})
    );
}

fn session_info(report: &Value) -> &Value {
    &report["calls"]["session_info"]["structuredContent"]
}

#[tokio::test]
async fn modern_client_calls_every_tool_statelessly() {
    let server = Server::start(&[]);
    let report = python_client(&server.url, MODERN).await;
    assert_every_tool(&report);
    assert_eq!(report["protocolVersion"], MODERN);
    assert_eq!(
        session_info(&report),
        &json!({"transport": "stateless", "protocolVersion": MODERN})
    );
}

#[tokio::test]
async fn legacy_client_calls_every_tool_in_a_session() {
    let server = Server::start(&[]);
    let report = python_client(&server.url, "legacy").await;
    assert_every_tool(&report);
    assert_eq!(report["protocolVersion"], "2025-11-25");
    assert_eq!(report["serverName"], "demo-mcp-server");
    assert_eq!(
        session_info(&report),
        &json!({"transport": "session", "protocolVersion": "2025-11-25"})
    );
}

#[tokio::test]
async fn auto_client_discovers_the_modern_era() {
    let server = Server::start(&[]);
    let report = python_client(&server.url, "auto").await;
    assert_eq!(report["protocolVersion"], MODERN);
    // learnt from server/discover; a client pinned to 2026-07-28 skips that probe
    assert_eq!(report["serverName"], "demo-mcp-server");
    assert_eq!(session_info(&report)["transport"], "stateless");
}
