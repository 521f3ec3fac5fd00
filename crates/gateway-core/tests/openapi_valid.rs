//! The OpenAPI documents validate with the PyPI `openapi-spec-validator` and meet what Open
//! WebUI's converter needs, for real tool lists:
//! - `@modelcontextprotocol/server-everything` and `server-filesystem`, listed live over stdio
//!   from `MCPGW_NODE_MODULES`;
//! - the Python MCP SDK's pydantic schemas (`fixtures/pydantic_tools.py`, run with `MCPGW_PYTHON`);
//! - hand-written edge cases (draft-07 `definitions`, cycles, unions, awkward names).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use gateway_core::openapi::{
    DocumentInfo, MAX_OPERATION_ID_LEN, OPERATION_ID_PATTERN, ServerTools, merge_documents,
    server_document,
};
use serde_json::{Value, json};
use test_support::ChildGuard;

/// Lists the tools of a stdio MCP server (handshake era) started by `command`.
fn list_tools_over_stdio(command: &mut Command) -> Vec<Value> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = ChildGuard::spawn(command);
    let mut stdin = child.0.stdin.take().expect("stdin");
    let stdout = child.0.stdout.take().expect("stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let messages = [
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": { "name": "openapi-valid", "version": "1" } } }),
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" }),
    ];
    for message in messages {
        writeln!(stdin, "{message}").expect("write to the server");
    }
    stdin.flush().expect("flush");
    loop {
        let line = receiver
            .recv_timeout(Duration::from_secs(120))
            .expect("the server answers tools/list");
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if message["id"] == 2 {
            let tools = message["result"]["tools"]
                .as_array()
                .expect("tools")
                .clone();
            assert!(!tools.is_empty(), "{message}");
            return tools;
        }
    }
}

fn node_server(package: &str) -> Command {
    let entry = test_support::node_modules()
        .join("@modelcontextprotocol")
        .join(package)
        .join("dist/index.js");
    let mut command = Command::new("node");
    command.arg(entry);
    command
}

fn everything_tools() -> Vec<Value> {
    list_tools_over_stdio(node_server("server-everything").arg("stdio"))
}

fn filesystem_tools() -> Vec<Value> {
    let root = scratch_dir("filesystem-root");
    let tools = list_tools_over_stdio(node_server("server-filesystem").arg(&root));
    std::fs::remove_dir_all(root).expect("remove scratch dir");
    tools
}

fn pydantic_tools() -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pydantic_tools.py");
    let output = Command::new(test_support::python())
        .arg(script)
        .output()
        .expect("run pydantic_tools.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("tools JSON")
}

fn edge_tools() -> Vec<Value> {
    vec![
        json!({ "name": "legacy", "description": "draft-07 definitions through allOf",
            "inputSchema": {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "definitions": { "Color": { "enum": ["red", "green"] } },
                "type": "object",
                "properties": { "color": { "allOf": [{ "$ref": "#/definitions/Color" }], "description": "pick" } }
            } }),
        json!({ "name": "linked-list", "inputSchema": {
                "type": "object",
                "properties": { "value": { "type": "integer" }, "next": { "$ref": "#" } }
            } }),
        json!({ "name": "union_root", "inputSchema": {
                "oneOf": [
                    { "type": "object", "properties": { "id": { "type": "string" } }, "required": ["id"] },
                    { "type": "object", "properties": { "email": { "type": "string", "format": "email" } } }
                ]
            } }),
        json!({ "name": "mixed", "inputSchema": {
                "type": "object",
                "properties": {
                    "choice": { "enum": ["a", 1, null] },
                    "pair": { "type": "array", "prefixItems": [{ "type": "string" }, { "type": "number" }] },
                    "free": {},
                    "id": { "type": ["string", "integer", "null"] }
                }
            } }),
        json!({ "name": "get-sum", "inputSchema": { "type": "object" } }),
        json!({ "name": "get_sum", "inputSchema": { "type": "object" } }),
        json!({ "name": "x".repeat(128), "inputSchema": { "type": "object" } }),
        json!({ "name": format!("{}y", "x".repeat(127)), "inputSchema": { "type": "object" } }),
        json!({ "name": "search.v2", "inputSchema": { "type": "object", "properties": {} } }),
        json!({ "name": "no_schema" }),
        json!({ "name": "mcp", "inputSchema": { "type": "object" } }),
    ]
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gateway-core-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn spec_validator(name: &str, document: &Value) -> Result<(), String> {
    test_support::validate_openapi(&format!("gateway-core-{name}"), &document.to_string())
}

fn is_open_webui_function_name(id: &str) -> bool {
    id.len() <= MAX_OPERATION_ID_LEN
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn assert_no_ref(value: &Value, at: &str) {
    match value {
        Value::Object(map) => {
            assert!(!map.contains_key("$ref"), "$ref at {at}");
            for (key, child) in map {
                assert_no_ref(child, &format!("{at}/{key}"));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                assert_no_ref(item, &format!("{at}/{index}"));
            }
        }
        _ => {}
    }
}

/// Every node Open WebUI's `clean_properties` walks has a type it will not replace by "string",
/// and every array has `items` (OpenAI refuses arrays without).
fn assert_typed(schema: &Value, at: &str) {
    let node = schema
        .as_object()
        .unwrap_or_else(|| panic!("schema at {at} is not an object"));
    assert!(
        node.contains_key("type") || node.contains_key("anyOf"),
        "untyped node at {at}: {schema}"
    );
    if node.get("type") == Some(&json!("array")) {
        assert!(node.contains_key("items"), "array without items at {at}");
    }
    for (name, child) in node
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        assert_typed(child, &format!("{at}/properties/{name}"));
    }
    if let Some(items) = node.get("items") {
        assert_typed(items, &format!("{at}/items"));
    }
    for (index, branch) in node
        .get("anyOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        assert_typed(branch, &format!("{at}/anyOf/{index}"));
    }
    if let Some(extra @ Value::Object(_)) = node.get("additionalProperties") {
        assert_typed(extra, &format!("{at}/additionalProperties"));
    }
}

/// What Open WebUI's `convert_openapi_to_tool_payload` relies on; returns the operation ids.
fn assert_open_webui_ready(name: &str, document: &Value) -> Vec<String> {
    assert_no_ref(document, name);
    let mut ids = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let item = item.as_object().unwrap();
        assert_eq!(item.keys().collect::<Vec<_>>(), ["post"], "{name} {path}");
        let operation = &item["post"];
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} {path}: no operationId"));
        assert!(
            is_open_webui_function_name(id),
            "{name} {path}: {id} does not match {OPERATION_ID_PATTERN}"
        );
        assert!(
            operation["description"]
                .as_str()
                .is_some_and(|text| !text.is_empty())
        );
        assert!(operation.get("parameters").is_none());
        let body = &operation["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(body["type"], "object", "{name} {path}");
        assert!(body["properties"].is_object(), "{name} {path}");
        assert_typed(body, &format!("{name} {path}"));
        ids.push(id.to_owned());
    }
    ids
}

fn info(title: &'static str) -> DocumentInfo<'static> {
    DocumentInfo {
        title,
        version: "1.0.0",
        description: "tools for the validation test",
    }
}

#[test]
fn documents_validate_and_suit_open_webui() {
    let everything = everything_tools();
    let filesystem = filesystem_tools();
    let python = pydantic_tools();
    let edge = edge_tools();
    let servers = [
        ServerTools {
            id: "everything",
            info: info("Everything"),
            tools: &everything,
        },
        ServerTools {
            id: "filesystem",
            info: info("Filesystem"),
            tools: &filesystem,
        },
        ServerTools {
            id: "python",
            info: info("Python SDK"),
            tools: &python,
        },
        ServerTools {
            id: "edge",
            info: info("Edge cases"),
            tools: &edge,
        },
    ];

    let mut all_ids = Vec::new();
    for server in &servers {
        let document = server_document("https://mcp.example.com", server);
        spec_validator(server.id, &document)
            .unwrap_or_else(|report| panic!("{}: {report}", server.id));
        let ids = assert_open_webui_ready(server.id, &document);
        let names: BTreeSet<&str> = server
            .tools
            .iter()
            .filter_map(|tool| tool["name"].as_str())
            .collect();
        // Every tool but the one shadowed by the `/mcp` route is published.
        assert_eq!(
            ids.len(),
            names.len() - usize::from(names.contains("mcp")),
            "{}",
            server.id
        );
        all_ids.extend(ids);
    }
    let unique: BTreeSet<&String> = all_ids.iter().collect();
    assert_eq!(
        unique.len(),
        all_ids.len(),
        "operation ids repeat across servers: {all_ids:?}"
    );

    let documents: Vec<(&str, Value)> = servers
        .iter()
        .map(|server| (server.id, server_document("", server)))
        .collect();
    let documents: Vec<(&str, &Value)> = documents.iter().map(|(id, d)| (*id, d)).collect();
    let catalog = merge_documents("", &info("MCP Gateway"), &documents);
    spec_validator("catalog", &catalog).unwrap_or_else(|report| panic!("catalog: {report}"));
    let catalog_ids = assert_open_webui_ready("catalog", &catalog);
    let catalog_ids: BTreeSet<&String> = catalog_ids.iter().collect();
    assert_eq!(catalog_ids, unique, "per-server and catalog ids differ");
}

#[test]
fn the_validator_refuses_an_invalid_document() {
    let edge = edge_tools();
    let server = ServerTools {
        id: "edge",
        info: info("Edge cases"),
        tools: &edge,
    };
    let mut document = server_document("", &server);
    assert_eq!(spec_validator("edge-valid", &document), Ok(()));
    document["paths"]["/get-sum"]["post"]["responses"]["200"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    assert!(spec_validator("edge-invalid", &document).is_err());
}
