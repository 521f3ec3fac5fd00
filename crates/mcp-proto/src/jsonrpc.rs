//! JSON-RPC 2.0 envelopes as MCP uses them (one message per HTTP body or SSE event).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// 2026-07-28: `MCP-Protocol-Version` or a routing header disagrees with the body.
pub const HEADER_MISMATCH: i64 = -32020;
/// 2026-07-28: the request needs a client capability the client did not declare.
pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
/// 2026-07-28: the requested protocol version is not supported; `data` is
/// [`UnsupportedVersionData`](crate::UnsupportedVersionData).
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// Error codes a 2026-07-28 peer answers with (besides tool-defined ones); anything in
/// -32000..-32019 is implementation-defined and typical of handshake-era servers.
pub(crate) fn is_modern_error_code(code: i64) -> bool {
    matches!(
        code,
        PARSE_ERROR
            | INVALID_REQUEST
            | METHOD_NOT_FOUND
            | INVALID_PARAMS
            | INTERNAL_ERROR
            | HEADER_MISMATCH
            | MISSING_CLIENT_CAPABILITY
            | UNSUPPORTED_PROTOCOL_VERSION
    )
}

/// A request id: JSON-RPC allows numbers and strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    Number(i64),
    String(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorObject {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Result(Value),
    Error(ErrorObject),
}

/// A response; `id` is `None` only for errors about a request whose id could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub id: Option<RequestId>,
    pub outcome: Outcome,
}

impl Response {
    pub fn result(id: RequestId, result: Value) -> Self {
        Self {
            id: Some(id),
            outcome: Outcome::Result(result),
        }
    }

    pub fn error(id: Option<RequestId>, error: ErrorObject) -> Self {
        Self {
            id,
            outcome: Outcome::Error(error),
        }
    }
}

/// Any one JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Request(Request),
    Notification(Notification),
    Response(Response),
}

#[derive(Debug, thiserror::Error)]
#[error("not a JSON-RPC 2.0 message: {0}")]
pub struct InvalidMessage(String);

impl Message {
    pub fn parse(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|err| InvalidMessage(err.to_string()))?;
        Self::from_value(value)
    }

    pub fn from_value(value: Value) -> Result<Self, InvalidMessage> {
        let Value::Object(mut object) = value else {
            return Err(InvalidMessage(
                "not an object (batches are not allowed)".into(),
            ));
        };
        if object.remove("jsonrpc") != Some(Value::String("2.0".into())) {
            return Err(InvalidMessage("jsonrpc is not \"2.0\"".into()));
        }
        let has_method = object.contains_key("method");
        let has_id = object.get("id").is_some_and(|id| !id.is_null());
        let invalid = |err: serde_json::Error| InvalidMessage(err.to_string());
        if has_method && has_id {
            serde_json::from_value(Value::Object(object))
                .map(Message::Request)
                .map_err(invalid)
        } else if has_method {
            serde_json::from_value(Value::Object(object))
                .map(Message::Notification)
                .map_err(invalid)
        } else {
            response_from_object(object).map(Message::Response)
        }
    }

    pub fn to_value(&self) -> Value {
        let mut object = match self {
            Message::Request(request) => to_object(request),
            Message::Notification(notification) => to_object(notification),
            Message::Response(response) => {
                let mut object = Map::new();
                object.insert(
                    "id".into(),
                    response.id.as_ref().map_or(Value::Null, to_value),
                );
                match &response.outcome {
                    Outcome::Result(result) => object.insert("result".into(), result.clone()),
                    Outcome::Error(error) => object.insert("error".into(), to_value(error)),
                };
                object
            }
        };
        object.insert("jsonrpc".into(), Value::String("2.0".into()));
        Value::Object(object)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_value()).expect("a JSON value serialises")
    }
}

fn response_from_object(mut object: Map<String, Value>) -> Result<Response, InvalidMessage> {
    let id = match object.remove("id") {
        None | Some(Value::Null) => None,
        Some(id) => Some(
            serde_json::from_value(id)
                .map_err(|_| InvalidMessage("id is neither a number nor a string".into()))?,
        ),
    };
    let outcome = match (object.remove("result"), object.remove("error")) {
        (Some(result), None) => Outcome::Result(result),
        (None, Some(error)) => Outcome::Error(
            serde_json::from_value(error).map_err(|err| InvalidMessage(err.to_string()))?,
        ),
        _ => {
            return Err(InvalidMessage(
                "a response needs exactly one of result and error".into(),
            ));
        }
    };
    Ok(Response { id, outcome })
}

fn to_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("message types serialise")
}

fn to_object(value: &impl Serialize) -> Map<String, Value> {
    match to_value(value) {
        Value::Object(object) => object,
        _ => unreachable!("requests and notifications serialise to objects"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Message, InvalidMessage> {
        Message::parse(value.to_string().as_bytes())
    }

    #[test]
    fn parses_each_kind_with_number_and_string_ids() {
        let request = parse(json!({"jsonrpc":"2.0","id":7,"method":"ping"})).unwrap();
        assert_eq!(
            request,
            Message::Request(Request {
                id: RequestId::Number(7),
                method: "ping".into(),
                params: None
            })
        );
        let notification =
            parse(json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"p":1}}))
                .unwrap();
        assert!(
            matches!(notification, Message::Notification(n) if n.params == Some(json!({"p":1})))
        );
        let response = parse(json!({"jsonrpc":"2.0","id":"a","result":{"x":1}})).unwrap();
        assert_eq!(
            response,
            Message::Response(Response::result(
                RequestId::String("a".into()),
                json!({"x":1})
            ))
        );
        let error =
            parse(json!({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}))
                .unwrap();
        assert_eq!(
            error,
            Message::Response(Response::error(None, ErrorObject::new(PARSE_ERROR, "bad")))
        );
    }

    #[test]
    fn rejects_what_is_not_json_rpc_2() {
        assert!(parse(json!({"jsonrpc":"1.0","id":1,"method":"ping"})).is_err());
        assert!(parse(json!([{"jsonrpc":"2.0","id":1,"method":"ping"}])).is_err());
        assert!(parse(json!({"jsonrpc":"2.0","id":1})).is_err());
        assert!(
            parse(json!({"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":""}}))
                .is_err()
        );
        assert!(parse(json!({"jsonrpc":"2.0","id":1.5,"result":1})).is_err());
        assert!(Message::parse(b"<html>").is_err());
    }

    #[test]
    fn serialises_round_trip_with_error_data() {
        let message = Message::Response(Response::error(
            Some(RequestId::Number(3)),
            ErrorObject {
                code: UNSUPPORTED_PROTOCOL_VERSION,
                message: "unsupported".into(),
                data: Some(json!({"supported":["2026-07-28"],"requested":"1999-01-01"})),
            },
        ));
        let value = message.to_value();
        assert_eq!(value["jsonrpc"], "2.0");
        assert_eq!(value["error"]["data"]["requested"], "1999-01-01");
        assert_eq!(Message::parse(&message.to_bytes()).unwrap(), message);
    }
}
