//! MCP method names and result types the gateway handles. Every struct keeps the fields it
//! does not model in `extra`, so what an upstream sends reaches the client unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const METHOD_INITIALIZE: &str = "initialize";
pub const METHOD_INITIALIZED: &str = "notifications/initialized";
pub const METHOD_DISCOVER: &str = "server/discover";
pub const METHOD_TOOLS_LIST: &str = "tools/list";
pub const METHOD_TOOLS_CALL: &str = "tools/call";
pub const METHOD_PING: &str = "ping";
pub const METHOD_LOGGING_SET_LEVEL: &str = "logging/setLevel";
pub const METHOD_PROMPTS_LIST: &str = "prompts/list";
pub const METHOD_PROMPTS_GET: &str = "prompts/get";
pub const METHOD_RESOURCES_LIST: &str = "resources/list";
pub const METHOD_RESOURCES_TEMPLATES_LIST: &str = "resources/templates/list";
pub const METHOD_RESOURCES_READ: &str = "resources/read";
pub const METHOD_RESOURCES_SUBSCRIBE: &str = "resources/subscribe";
pub const METHOD_RESOURCES_UNSUBSCRIBE: &str = "resources/unsubscribe";
pub const METHOD_COMPLETION_COMPLETE: &str = "completion/complete";

/// Requests the gateway relays to the upstream unchanged, in either era.
pub const FORWARDED_METHODS: &[&str] = &[
    METHOD_PROMPTS_LIST,
    METHOD_PROMPTS_GET,
    METHOD_RESOURCES_LIST,
    METHOD_RESOURCES_TEMPLATES_LIST,
    METHOD_RESOURCES_READ,
    METHOD_COMPLETION_COMPLETE,
];

/// Methods of the handshake era that 2026-07-28 removed: a modern request for one is 404.
pub const REMOVED_IN_MODERN: &[&str] = &[
    METHOD_INITIALIZE,
    METHOD_PING,
    METHOD_LOGGING_SET_LEVEL,
    METHOD_RESOURCES_SUBSCRIBE,
    METHOD_RESOURCES_UNSUBSCRIBE,
];

/// `_meta` keys every 2026-07-28 request carries.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
/// `_meta` key of a 2026-07-28 result naming the server.
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// `clientInfo` / `serverInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Implementation {
    pub name: String,
    pub version: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Implementation {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            extra: Map::new(),
        }
    }
}

/// Who may reuse a cached list result (SEP-2549).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheScope {
    Public,
    #[default]
    Private,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub input_schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListToolsResult {
    pub tools: Vec<Tool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_scope: Option<CacheScope>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One block of a tool result. Block types this crate does not know stay as raw JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
    Image {
        data: String,
        #[serde(rename = "mimeType")]
        mime_type: String,
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
    Audio {
        data: String,
        #[serde(rename = "mimeType")]
        mime_type: String,
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
    Resource {
        resource: Value,
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
    ResourceLink {
        uri: String,
        name: String,
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
    #[serde(untagged)]
    Other(Map<String, Value>),
}

impl ContentBlock {
    pub fn text(text: impl Into<String>) -> Self {
        ContentBlock::Text {
            text: text.into(),
            extra: Map::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallToolResult {
    /// Absent in an `input_required` result.
    #[serde(default)]
    pub content: Vec<ContentBlock>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    /// `complete` (or absent, from handshake-era peers), `input_required`, or an extension value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `server/discover` result (2026-07-28).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoverResult {
    pub supported_versions: Vec<String>,
    #[serde(default)]
    pub capabilities: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_scope: Option<CacheScope>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `initialize` result (handshake era).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    pub protocol_version: String,
    #[serde(default)]
    pub capabilities: Value,
    pub server_info: Implementation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tool_keeps_unknown_fields_and_raw_schemas() {
        let raw = json!({
            "name": "search",
            "inputSchema": {"type":"object","properties":{"q":{"type":"string","x-mcp-header":"Q"}}},
            "outputSchema": {"type":"array"},
            "annotations": {"readOnlyHint": true, "vendorHint": 3},
            "icons": [{"src": "https://x/i.png"}],
            "_meta": {"k": "v"}
        });
        let tool: Tool = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(tool.name, "search");
        assert_eq!(tool.extra["icons"], raw["icons"]);
        assert_eq!(serde_json::to_value(&tool).unwrap(), raw);
    }

    #[test]
    fn call_result_parses_every_block_kind_and_keeps_unknown_ones() {
        let raw = json!({
            "content": [
                {"type":"text","text":"hi","annotations":{"audience":["user"]}},
                {"type":"image","data":"aGk=","mimeType":"image/png"},
                {"type":"audio","data":"aGk=","mimeType":"audio/wav"},
                {"type":"resource","resource":{"uri":"file:///a","text":"x"}},
                {"type":"resource_link","uri":"file:///b","name":"b"},
                {"type":"hologram","depth":3}
            ],
            "structuredContent": [1, 2],
            "isError": false,
            "resultType": "complete"
        });
        let result: CallToolResult = serde_json::from_value(raw.clone()).unwrap();
        assert!(
            matches!(&result.content[0], ContentBlock::Text { text, extra } if text == "hi" && extra.contains_key("annotations"))
        );
        assert!(
            matches!(&result.content[4], ContentBlock::ResourceLink { name, .. } if name == "b")
        );
        assert!(matches!(&result.content[5], ContentBlock::Other(block) if block["depth"] == 3));
        assert_eq!(serde_json::to_value(&result).unwrap(), raw);
    }

    #[test]
    fn input_required_result_has_no_content() {
        let result: CallToolResult = serde_json::from_value(
            json!({"resultType":"input_required","requestState":"s","inputRequests":{}}),
        )
        .unwrap();
        assert!(result.content.is_empty());
        assert_eq!(result.result_type.as_deref(), Some("input_required"));
        assert_eq!(result.extra["requestState"], "s");
    }

    #[test]
    fn list_result_reads_cache_hints() {
        let result: ListToolsResult = serde_json::from_value(json!({
            "tools": [], "nextCursor": "p2", "ttlMs": 5000, "cacheScope": "public"
        }))
        .unwrap();
        assert_eq!(result.next_cursor.as_deref(), Some("p2"));
        assert_eq!(result.ttl_ms, Some(5000));
        assert_eq!(result.cache_scope, Some(CacheScope::Public));
    }
}
