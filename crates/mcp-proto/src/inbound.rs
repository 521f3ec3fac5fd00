//! The server side of the gateway's own MCP endpoints, for clients of either era: which era
//! an inbound POST belongs to, the 2026-07-28 request checks, the results the gateway answers
//! itself (`initialize`, `server/discover`), and results converted for handshake-era clients.

use serde_json::{Map, Value, json};

use crate::headers::{self, ParamHeader, decode_header_value, param_header_values};
use crate::jsonrpc::{
    ErrorObject, HEADER_MISMATCH, INVALID_PARAMS, METHOD_NOT_FOUND, Message, Request, RequestId,
    Response, UNSUPPORTED_PROTOCOL_VERSION,
};
use crate::transport::find_header;
use crate::types::{
    CacheScope, CallToolResult, ContentBlock, DiscoverResult, Implementation, InitializeResult,
    META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_PROTOCOL_VERSION, META_SERVER_INFO,
    METHOD_INITIALIZE, Tool,
};
use crate::versions::{
    HANDSHAKE_DEFAULT_VERSION, HANDSHAKE_VERSIONS, MODERN_VERSIONS, UnsupportedVersionData,
    is_handshake, is_modern,
};

/// Which protocol era an inbound POST speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundEra {
    Modern,
    /// `version` is the `MCP-Protocol-Version` header, or 2025-03-26 when it is absent.
    Handshake {
        version: String,
    },
}

/// 2026-07-28 basic/versioning: a modern version header (or, without the header, a body
/// `_meta` protocol version) means the stateless path; an `initialize`, no header, or a
/// version up to 2025-11-25 means the handshake path. Unknown versions newer than 2025-11-25
/// take the stateless path, where they earn a structured -32022.
pub fn classify(headers: &[(String, String)], message: &Message) -> InboundEra {
    let header = find_header(headers, headers::PROTOCOL_VERSION);
    if let Some(version) = header {
        return if version <= HANDSHAKE_VERSIONS[0] {
            InboundEra::Handshake {
                version: version.to_owned(),
            }
        } else {
            InboundEra::Modern
        };
    }
    let (method, params) = match message {
        Message::Request(request) => (request.method.as_str(), request.params.as_ref()),
        Message::Notification(notification) => {
            (notification.method.as_str(), notification.params.as_ref())
        }
        Message::Response(_) => ("", None),
    };
    let has_meta_version = params
        .and_then(|params| params.get("_meta"))
        .and_then(|meta| meta.get(META_PROTOCOL_VERSION))
        .is_some();
    if method != METHOD_INITIALIZE && has_meta_version {
        InboundEra::Modern
    } else {
        InboundEra::Handshake {
            version: HANDSHAKE_DEFAULT_VERSION.to_owned(),
        }
    }
}

/// A refused inbound request: the HTTP status and the JSON-RPC error to answer with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} ({})", error.message, error.code)]
pub struct Rejection {
    pub status: u16,
    pub error: ErrorObject,
}

impl Rejection {
    fn new(code: i64, message: impl Into<String>) -> Self {
        let status = if code == METHOD_NOT_FOUND { 404 } else { 400 };
        Self {
            status,
            error: ErrorObject::new(code, message),
        }
    }

    fn header_mismatch(message: impl Into<String>) -> Self {
        Self::new(HEADER_MISMATCH, message)
    }

    /// The JSON-RPC error response to send.
    pub fn response(&self, id: Option<RequestId>) -> Message {
        Message::Response(Response::error(id, self.error.clone()))
    }
}

/// What a valid 2026-07-28 request declares about its client.
#[derive(Debug, Clone, PartialEq)]
pub struct ModernRequest {
    pub version: String,
    pub client_capabilities: Value,
    pub client_info: Option<Implementation>,
}

/// The checks of a 2026-07-28 request, in the spec's order: `_meta` (-32602), headers versus
/// body (-32020), version (-32022). `Mcp-Param-*` headers need the tool's schema: see
/// [`validate_param_headers`].
pub fn validate_modern(
    headers: &[(String, String)],
    request: &Request,
) -> Result<ModernRequest, Rejection> {
    let meta = request
        .params
        .as_ref()
        .and_then(|params| params.get("_meta"));
    let field = |key: &str| meta.and_then(|meta| meta.get(key));
    let version = field(META_PROTOCOL_VERSION).and_then(Value::as_str);
    let capabilities = field(META_CLIENT_CAPABILITIES).filter(|caps| caps.is_object());
    let (Some(version), Some(capabilities)) = (version, capabilities) else {
        return Err(Rejection::new(
            INVALID_PARAMS,
            format!(
                "params._meta must carry {META_PROTOCOL_VERSION} and {META_CLIENT_CAPABILITIES}"
            ),
        ));
    };
    for name in [headers::PROTOCOL_VERSION, headers::METHOD, headers::NAME] {
        let count = headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .count();
        if count > 1 {
            return Err(Rejection::header_mismatch(format!(
                "{name} sent more than once"
            )));
        }
    }
    if find_header(headers, headers::PROTOCOL_VERSION) != Some(version) {
        return Err(Rejection::header_mismatch(format!(
            "{} does not match params._meta",
            headers::PROTOCOL_VERSION
        )));
    }
    if !is_modern(version) {
        return Err(unsupported_version(version));
    }
    if find_header(headers, headers::METHOD) != Some(request.method.as_str()) {
        return Err(Rejection::header_mismatch(format!(
            "{} does not match the method",
            headers::METHOD
        )));
    }
    if let Some(expected) = routed_name(request) {
        let sent = find_header(headers, headers::NAME).and_then(decode_header_value);
        if sent.as_deref() != Some(expected) {
            return Err(Rejection::header_mismatch(format!(
                "{} does not match the request",
                headers::NAME
            )));
        }
    }
    Ok(ModernRequest {
        version: version.to_owned(),
        client_capabilities: capabilities.clone(),
        client_info: field(META_CLIENT_INFO)
            .and_then(|info| serde_json::from_value(info.clone()).ok()),
    })
}

/// -32022 naming the versions the gateway serves statelessly.
pub fn unsupported_version(requested: &str) -> Rejection {
    let mut rejection = Rejection::new(
        UNSUPPORTED_PROTOCOL_VERSION,
        format!("unsupported protocol version {requested:?}"),
    );
    let data = UnsupportedVersionData {
        supported: MODERN_VERSIONS.iter().map(|v| v.to_string()).collect(),
        requested: requested.to_owned(),
    };
    rejection.error.data = Some(serde_json::to_value(data).expect("serialises"));
    rejection
}

/// `Mcp-Param-*` headers of a `tools/call` against the tool's declared annotations: every
/// argument that should be mirrored must be, with the same (decoded) value.
pub fn validate_param_headers(
    headers: &[(String, String)],
    declared: &[ParamHeader],
    arguments: &Value,
) -> Result<(), Rejection> {
    for (name, expected) in param_header_values(declared, arguments) {
        let sent = find_header(headers, &name).and_then(decode_header_value);
        let expected = decode_header_value(&expected);
        if sent.is_none() || sent != expected {
            return Err(Rejection::header_mismatch(format!(
                "{name} is missing or does not match the arguments"
            )));
        }
    }
    Ok(())
}

/// The body field `Mcp-Name` mirrors.
fn routed_name(request: &Request) -> Option<&str> {
    let key = match request.method.as_str() {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return None,
    };
    request.params.as_ref()?.get(key)?.as_str()
}

/// The gateway's answer to `initialize`: the client's version when it is one we speak,
/// otherwise our newest handshake version (the client then decides whether to continue).
pub fn initialize_result(
    requested_version: &str,
    server_info: Implementation,
    capabilities: Value,
    instructions: Option<String>,
) -> InitializeResult {
    let protocol_version = if is_handshake(requested_version) {
        requested_version
    } else {
        HANDSHAKE_VERSIONS[0]
    };
    InitializeResult {
        protocol_version: protocol_version.to_owned(),
        capabilities,
        server_info,
        instructions,
        extra: Map::new(),
    }
}

/// The gateway's answer to `server/discover`. Like the SDKs, it lists only the stateless
/// versions; handshake-era clients never call discover.
pub fn discover_result(
    server_info: &Implementation,
    capabilities: Value,
    instructions: Option<String>,
    ttl_ms: u64,
    cache_scope: CacheScope,
) -> DiscoverResult {
    let mut extra = Map::new();
    extra.insert("resultType".into(), json!("complete"));
    extra.insert("_meta".into(), json!({ META_SERVER_INFO: server_info }));
    DiscoverResult {
        supported_versions: MODERN_VERSIONS.iter().map(|v| v.to_string()).collect(),
        capabilities,
        instructions,
        ttl_ms: Some(ttl_ms as i64),
        cache_scope: Some(cache_scope),
        extra,
    }
}

/// A tool result for a handshake-era client: no `resultType`, and structured content that is
/// not an object (allowed only since 2026-07-28) becomes a text block.
pub fn call_result_for_handshake_client(mut result: CallToolResult) -> CallToolResult {
    result.result_type = None;
    if let Some(structured) = result
        .structured_content
        .take_if(|value| !value.is_object())
    {
        let text = structured.to_string();
        let present = result
            .content
            .iter()
            .any(|block| matches!(block, ContentBlock::Text { text: t, .. } if *t == text));
        if !present {
            result.content.push(ContentBlock::text(text));
        }
    }
    result
}

/// A tool for a handshake-era client: an `outputSchema` whose root is not an object
/// (allowed only since 2026-07-28) is dropped, as its results are converted to text.
pub fn tool_for_handshake_client(mut tool: Tool) -> Tool {
    tool.output_schema
        .take_if(|schema| schema.get("type").and_then(Value::as_str) != Some("object"));
    tool
}

/// A tool result for a 2026-07-28 client from a handshake-era upstream: `resultType` is required.
pub fn call_result_for_modern_client(mut result: CallToolResult) -> CallToolResult {
    result
        .result_type
        .get_or_insert_with(|| "complete".to_owned());
    result
}

/// Methods whose complete results 2026-07-28 makes cacheable (`ttlMs`, `cacheScope`).
const CACHEABLE: &[&str] = &[
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];

/// A relayed result in the client's era. A 2026-07-28 client needs `resultType` and, on
/// cacheable results, cache hints: `private`, because what the gateway answers depends on the
/// caller's authorization. A handshake-era client gets none of these fields.
pub fn relayed_result_for_client(modern: bool, method: &str, result: Value, ttl_ms: u64) -> Value {
    let Value::Object(mut result) = result else {
        return result;
    };
    if modern {
        result
            .entry("resultType")
            .or_insert_with(|| json!("complete"));
        if CACHEABLE.contains(&method) {
            let upstream_ttl = result.get("ttlMs").and_then(Value::as_u64);
            let ttl = upstream_ttl.map_or(ttl_ms, |upstream| upstream.min(ttl_ms));
            result.insert("ttlMs".into(), json!(ttl));
            result.insert("cacheScope".into(), json!(CacheScope::Private));
        }
    } else {
        for field in ["resultType", "ttlMs", "cacheScope"] {
            result.remove(field);
        }
    }
    Value::Object(result)
}

/// An upstream's JSON-RPC error in the client's era: 2026-07-28 replaced the resource-not-found
/// code -32002 with -32602.
pub fn relayed_error_for_client(modern: bool, mut error: ErrorObject) -> ErrorObject {
    if modern && error.code == LEGACY_RESOURCE_NOT_FOUND {
        error.code = INVALID_PARAMS;
    }
    error
}

const LEGACY_RESOURCE_NOT_FOUND: i64 = -32002;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn modern_call(name: &str) -> Request {
        Request {
            id: RequestId::Number(1),
            method: "tools/call".into(),
            params: Some(json!({
                "name": name, "arguments": {"q": "x"},
                "_meta": {META_PROTOCOL_VERSION: "2026-07-28", META_CLIENT_CAPABILITIES: {},
                          META_CLIENT_INFO: {"name": "client", "version": "1"}}
            })),
        }
    }

    fn good_headers(name: &str) -> Vec<(String, String)> {
        headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", name),
        ])
    }

    #[test]
    fn classifies_by_header_then_body() {
        let ping = Message::Request(Request {
            id: RequestId::Number(1),
            method: "tools/list".into(),
            params: Some(json!({"_meta": {META_PROTOCOL_VERSION: "2026-07-28"}})),
        });
        let handshake = |v: &str| InboundEra::Handshake { version: v.into() };
        assert_eq!(
            classify(&headers(&[("MCP-Protocol-Version", "2026-07-28")]), &ping),
            InboundEra::Modern
        );
        assert_eq!(
            classify(&headers(&[("MCP-Protocol-Version", "2099-01-01")]), &ping),
            InboundEra::Modern
        );
        assert_eq!(
            classify(&headers(&[("MCP-Protocol-Version", "2025-06-18")]), &ping),
            handshake("2025-06-18")
        );
        assert_eq!(
            classify(&headers(&[("MCP-Protocol-Version", "2024-11-05")]), &ping),
            handshake("2024-11-05")
        );
        assert_eq!(
            classify(&[], &ping),
            InboundEra::Modern,
            "body _meta without the header"
        );
        let plain = Message::Request(Request {
            id: RequestId::Number(1),
            method: "tools/list".into(),
            params: None,
        });
        assert_eq!(classify(&[], &plain), handshake("2025-03-26"));
        let initialize = Message::Request(Request {
            id: RequestId::Number(1),
            method: "initialize".into(),
            params: Some(
                json!({"protocolVersion": "2025-11-25", "_meta": {META_PROTOCOL_VERSION: "x"}}),
            ),
        });
        assert_eq!(classify(&[], &initialize), handshake("2025-03-26"));
    }

    #[test]
    fn a_complete_modern_request_passes() {
        let valid = validate_modern(&good_headers("search"), &modern_call("search")).unwrap();
        assert_eq!(valid.version, "2026-07-28");
        assert_eq!(valid.client_info.unwrap().name, "client");
        let encoded = encode("caf\u{e9}");
        assert!(validate_modern(&good_headers(&encoded), &modern_call("caf\u{e9}")).is_ok());
    }

    fn encode(value: &str) -> String {
        crate::headers::encode_header_value(value)
    }

    fn code_of(result: Result<ModernRequest, Rejection>) -> (u16, i64) {
        let rejection = result.unwrap_err();
        (rejection.status, rejection.error.code)
    }

    #[test]
    fn missing_meta_is_invalid_params() {
        let mut request = modern_call("search");
        request.params.as_mut().unwrap()["_meta"]
            .as_object_mut()
            .unwrap()
            .remove(META_CLIENT_CAPABILITIES);
        assert_eq!(
            code_of(validate_modern(&good_headers("search"), &request)),
            (400, INVALID_PARAMS)
        );
        request.params = None;
        assert_eq!(
            code_of(validate_modern(&good_headers("search"), &request)),
            (400, INVALID_PARAMS)
        );
    }

    #[test]
    fn headers_that_disagree_with_the_body_are_a_mismatch() {
        let request = modern_call("search");
        let cases = [
            headers(&[
                ("MCP-Protocol-Version", "2025-11-25"),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "search"),
            ]),
            headers(&[("Mcp-Method", "tools/call"), ("Mcp-Name", "search")]),
            headers(&[
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/list"),
                ("Mcp-Name", "search"),
            ]),
            headers(&[
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "other"),
            ]),
            headers(&[
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/call"),
            ]),
            headers(&[
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "search"),
                ("mcp-name", "search"),
            ]),
            headers(&[
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "=?base64?***?="),
            ]),
        ];
        for case in cases {
            assert_eq!(
                code_of(validate_modern(&case, &request)),
                (400, HEADER_MISMATCH),
                "{case:?}"
            );
        }
    }

    #[test]
    fn an_unknown_version_is_refused_with_the_supported_list() {
        let mut request = modern_call("search");
        request.params.as_mut().unwrap()["_meta"][META_PROTOCOL_VERSION] = json!("2099-01-01");
        let mut sent = good_headers("search");
        sent[0].1 = "2099-01-01".into();
        let rejection = validate_modern(&sent, &request).unwrap_err();
        assert_eq!(rejection.status, 400);
        assert_eq!(
            rejection.error.data,
            Some(json!({"supported": ["2026-07-28"], "requested": "2099-01-01"}))
        );
        let response = rejection.response(Some(RequestId::Number(1))).to_value();
        assert_eq!(response["error"]["code"], UNSUPPORTED_PROTOCOL_VERSION);
    }

    #[test]
    fn param_headers_must_mirror_the_arguments() {
        let declared = vec![ParamHeader {
            path: vec!["region".into()],
            token: "Region".into(),
        }];
        let args = json!({"region": "\u{e9}u"});
        let good = headers(&[("Mcp-Param-Region", "=?base64?w6l1?=")]);
        assert_eq!(validate_param_headers(&good, &declared, &args), Ok(()));
        for bad in [headers(&[]), headers(&[("Mcp-Param-Region", "us")])] {
            let rejection = validate_param_headers(&bad, &declared, &args).unwrap_err();
            assert_eq!(rejection.error.code, HEADER_MISMATCH);
        }
        assert_eq!(validate_param_headers(&[], &declared, &json!({})), Ok(()));
    }

    #[test]
    fn initialize_answers_the_clients_version_or_our_newest() {
        let info = Implementation::new("gateway", "1");
        assert_eq!(
            initialize_result("2025-06-18", info.clone(), json!({}), None).protocol_version,
            "2025-06-18"
        );
        assert_eq!(
            initialize_result("2024-11-05", info.clone(), json!({}), None).protocol_version,
            "2025-11-25"
        );
        assert_eq!(
            initialize_result("2026-07-28", info, json!({}), None).protocol_version,
            "2025-11-25"
        );
    }

    #[test]
    fn discover_carries_cache_hints_and_server_info() {
        let result = discover_result(
            &Implementation::new("gateway", "1"),
            json!({"tools": {}}),
            None,
            60_000,
            CacheScope::Private,
        );
        let value = serde_json::to_value(&result).unwrap();
        assert_eq!(value["supportedVersions"], json!(["2026-07-28"]));
        assert_eq!(value["ttlMs"], 60_000);
        assert_eq!(value["cacheScope"], "private");
        assert_eq!(value["resultType"], "complete");
        assert_eq!(value["_meta"][META_SERVER_INFO]["name"], "gateway");
    }

    #[test]
    fn results_are_converted_between_eras() {
        let modern: CallToolResult = serde_json::from_value(json!({
            "content": [], "structuredContent": [1, 2], "resultType": "complete"
        }))
        .unwrap();
        let legacy = serde_json::to_value(call_result_for_handshake_client(modern)).unwrap();
        assert_eq!(
            legacy,
            json!({"content": [{"type": "text", "text": "[1,2]"}]})
        );

        let object: CallToolResult = serde_json::from_value(json!({
            "content": [{"type": "text", "text": "{\"a\":1}"}], "structuredContent": {"a": 1}
        }))
        .unwrap();
        assert_eq!(
            call_result_for_handshake_client(object.clone()),
            object,
            "objects stay"
        );

        let already_text: CallToolResult = serde_json::from_value(json!({
            "content": [{"type": "text", "text": "7"}], "structuredContent": 7
        }))
        .unwrap();
        assert_eq!(
            call_result_for_handshake_client(already_text).content.len(),
            1
        );

        let upgraded = call_result_for_modern_client(object);
        assert_eq!(upgraded.result_type.as_deref(), Some("complete"));
    }

    #[test]
    fn non_object_output_schemas_are_hidden_from_handshake_clients() {
        let tool = |schema: Value| -> Tool {
            serde_json::from_value(
                json!({"name": "t", "inputSchema": {"type": "object"}, "outputSchema": schema}),
            )
            .unwrap()
        };
        assert_eq!(
            tool_for_handshake_client(tool(json!({"type": "array"}))).output_schema,
            None
        );
        let object = json!({"type": "object", "properties": {}});
        assert_eq!(
            tool_for_handshake_client(tool(object.clone())).output_schema,
            Some(object)
        );
    }
}

#[cfg(test)]
mod relay_tests {
    use super::*;

    #[test]
    fn relayed_results_carry_what_each_era_expects() {
        let upstream = json!({"prompts": [], "ttlMs": 500_000, "cacheScope": "public", "resultType": "complete"});
        let modern = relayed_result_for_client(true, "prompts/list", upstream.clone(), 60_000);
        assert_eq!(modern["ttlMs"], 60_000);
        assert_eq!(modern["cacheScope"], "private");
        assert_eq!(modern["resultType"], "complete");
        let legacy = relayed_result_for_client(false, "prompts/list", upstream, 60_000);
        assert_eq!(legacy, json!({"prompts": []}));
        let from_legacy =
            relayed_result_for_client(true, "prompts/get", json!({"messages": []}), 60_000);
        assert_eq!(
            from_legacy,
            json!({"messages": [], "resultType": "complete"})
        );
    }

    #[test]
    fn the_legacy_resource_not_found_code_becomes_invalid_params_for_modern_clients() {
        let error = ErrorObject::new(-32002, "no such resource");
        assert_eq!(
            relayed_error_for_client(true, error.clone()).code,
            INVALID_PARAMS
        );
        assert_eq!(relayed_error_for_client(false, error).code, -32002);
    }
}
