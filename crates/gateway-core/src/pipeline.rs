//! The one call pipeline of every surface (REST `POST /<s>/<tool>`, MCP `tools/call`): resolve
//! the tool in the upstream's list, among those the caller may use → validate the arguments
//! against its `inputSchema` → (the adapter calls the upstream) → map the result for the
//! surface → one audit record shape. The adapter authorizes the server before; the caller's
//! tool rule (`may_use`) comes from that decision.

use mcp_proto::jsonrpc::{ErrorObject, INTERNAL_ERROR, INVALID_PARAMS, METHOD_NOT_FOUND};
use mcp_proto::types::Tool;
use mcp_proto::upstream::UpstreamError;
use serde_json::{Map, Value};

use crate::GatewayError;
use crate::args::validate_arguments;

/// A call ready to send: the tool as the upstream listed it and arguments valid for it.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedCall<'a> {
    pub tool: &'a Tool,
    pub arguments: Map<String, Value>,
}

/// The tools of an upstream's list the caller may use: what every surface lists.
pub fn usable_tools(tools: Vec<Tool>, may_use: impl Fn(&str) -> bool) -> Vec<Tool> {
    tools
        .into_iter()
        .filter(|tool| may_use(&tool.name))
        .collect()
}

/// 404 for a tool the upstream does not list or the caller may not use (alike: a hidden tool
/// is never revealed), 422 for arguments its schema refuses.
pub fn prepare_call<'a>(
    tools: &'a [Tool],
    may_use: impl Fn(&str) -> bool,
    name: &str,
    arguments: Map<String, Value>,
) -> Result<PreparedCall<'a>, GatewayError> {
    let tool = tools
        .iter()
        .find(|tool| tool.name == name && may_use(name))
        .ok_or(GatewayError::NotFound)?;
    let arguments = validate_arguments(arguments, &tool.input_schema)?;
    Ok(PreparedCall { tool, arguments })
}

impl From<UpstreamError> for GatewayError {
    /// What the caller sees of an upstream failure; the details stay in the `Display` text.
    fn from(error: UpstreamError) -> Self {
        match error {
            UpstreamError::Unreachable(why) => GatewayError::UpstreamUnreachable(why),
            UpstreamError::Timeout => GatewayError::UpstreamTimeout,
            UpstreamError::Status { status } => {
                GatewayError::UpstreamGarbage(format!("upstream answered HTTP {status}"))
            }
            UpstreamError::Protocol(why) => GatewayError::UpstreamGarbage(why),
            UpstreamError::JsonRpc {
                code: METHOD_NOT_FOUND,
                ..
            } => GatewayError::NotFound,
            UpstreamError::JsonRpc {
                code: INVALID_PARAMS,
                message,
                ..
            } => GatewayError::Unprocessable(message),
            UpstreamError::JsonRpc { message, .. } => GatewayError::ToolFailed(message),
        }
    }
}

/// A failure on the MCP surface: the HTTP status and the JSON-RPC error. What the request
/// itself got wrong is a JSON-RPC error in a 200 answer (unknown tool and invalid arguments
/// are -32602, as the MCP spec says for `tools/call`); an upstream or gateway fault keeps the
/// status of the REST surface, with its public message.
pub fn rpc_failure(error: &GatewayError) -> (u16, ErrorObject) {
    match error {
        GatewayError::NotFound => (200, ErrorObject::new(INVALID_PARAMS, "unknown tool")),
        GatewayError::Unprocessable(message) | GatewayError::BadRequest(message) => {
            (200, ErrorObject::new(INVALID_PARAMS, message.clone()))
        }
        other => {
            let message = other.body()["message"]
                .as_str()
                .unwrap_or("internal error")
                .to_owned();
            (other.status(), ErrorObject::new(INTERNAL_ERROR, message))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tools() -> Vec<Tool> {
        serde_json::from_value(json!([
            {"name": "echo", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
            {"name": "now", "inputSchema": {"type": "object"}}
        ]))
        .unwrap()
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn any(_: &str) -> bool {
        true
    }

    fn only_now(tool: &str) -> bool {
        tool == "now"
    }

    #[test]
    fn only_the_tools_the_caller_may_use_are_listed() {
        let names: Vec<String> = usable_tools(tools(), only_now)
            .into_iter()
            .map(|tool| tool.name)
            .collect();
        assert_eq!(names, ["now"]);
        assert_eq!(usable_tools(tools(), any).len(), 2);
    }

    #[test]
    fn a_tool_outside_the_rule_is_refused_exactly_like_an_unknown_one() {
        let tools = tools();
        let hidden = prepare_call(&tools, only_now, "echo", object(json!({"text": "hi"})));
        let unknown = prepare_call(&tools, only_now, "rm", Map::new());
        assert_eq!(hidden, Err(GatewayError::NotFound));
        assert_eq!(hidden, unknown);
        // Arguments of a hidden tool are not even looked at.
        let invalid = prepare_call(&tools, only_now, "echo", object(json!({"text": 3})));
        assert_eq!(invalid, Err(GatewayError::NotFound));
        assert!(prepare_call(&tools, only_now, "now", Map::new()).is_ok());
    }

    #[test]
    fn a_listed_tool_with_valid_arguments_is_prepared() {
        let tools = tools();
        let call = prepare_call(&tools, any, "echo", object(json!({"text": "hi"}))).unwrap();
        assert_eq!(call.tool.name, "echo");
        assert_eq!(Value::Object(call.arguments), json!({"text": "hi"}));
    }

    #[test]
    fn unknown_tools_and_invalid_arguments_are_refused_before_the_upstream() {
        let tools = tools();
        assert_eq!(
            prepare_call(&tools, any, "rm", Map::new()),
            Err(GatewayError::NotFound)
        );
        let invalid = prepare_call(&tools, any, "echo", object(json!({"text": 3})));
        assert!(
            matches!(&invalid, Err(GatewayError::Unprocessable(m)) if m.starts_with("/text")),
            "{invalid:?}"
        );
    }

    #[test]
    fn request_faults_are_json_rpc_errors_and_upstream_faults_keep_their_status() {
        let (status, error) = rpc_failure(&GatewayError::Unprocessable("/text: bad".into()));
        assert_eq!(
            (status, error.code, error.message.as_str()),
            (200, INVALID_PARAMS, "/text: bad")
        );
        let (status, error) = rpc_failure(&GatewayError::NotFound);
        assert_eq!((status, error.code), (200, INVALID_PARAMS));
        let (status, error) = rpc_failure(&GatewayError::UpstreamUnreachable("10.0.0.1".into()));
        assert_eq!((status, error.code), (502, INTERNAL_ERROR));
        assert!(!error.message.contains("10.0.0.1"));
        let (status, _) = rpc_failure(&GatewayError::UpstreamTimeout);
        assert_eq!(status, 504);
    }

    #[test]
    fn upstream_errors_map_to_the_surface_statuses() {
        let cases = [
            (UpstreamError::Unreachable("x".into()), 502),
            (UpstreamError::Timeout, 504),
            (UpstreamError::Status { status: 500 }, 502),
            (UpstreamError::Protocol("html".into()), 502),
            (
                UpstreamError::JsonRpc {
                    code: METHOD_NOT_FOUND,
                    message: "m".into(),
                    data: None,
                },
                404,
            ),
            (
                UpstreamError::JsonRpc {
                    code: INVALID_PARAMS,
                    message: "m".into(),
                    data: None,
                },
                422,
            ),
            (
                UpstreamError::JsonRpc {
                    code: -32000,
                    message: "m".into(),
                    data: None,
                },
                502,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(GatewayError::from(error).status(), status);
        }
    }
}
