//! Refuses the messages of the era a restricted server does not speak, the way a server of the
//! other era answers them.

use rmcp::model::{ErrorData, JsonRpcError, ProtocolVersion, RequestId};
use serde_json::{Value, json};

use crate::config::Era;

/// Why a message is refused; each is answered with HTTP 400 and the body of [`Refusal::body`].
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// A handshake-era server got a message outside an `initialize`d session.
    NotInitialized,
    /// A 2026-07-28-only server got `initialize`.
    HandshakeUnsupported {
        id: Option<RequestId>,
        requested: ProtocolVersion,
    },
}

/// Decides whether `era` refuses `message`, a JSON-RPC message POSTed with or without an
/// `Mcp-Session-Id` header.
pub fn check(era: Era, message: &Value, has_session: bool) -> Option<Refusal> {
    let method = message.get("method").and_then(Value::as_str)?;
    match era {
        Era::Both => None,
        Era::Legacy if method != "initialize" && !has_session => Some(Refusal::NotInitialized),
        Era::Legacy => None,
        Era::Modern if method == "initialize" => Some(Refusal::HandshakeUnsupported {
            id: message
                .get("id")
                .and_then(|id| serde_json::from_value(id.clone()).ok()),
            requested: message
                .pointer("/params/protocolVersion")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or(ProtocolVersion::V_2025_03_26),
        }),
        Era::Modern => None,
    }
}

impl Refusal {
    /// The JSON-RPC error body sent with HTTP 400.
    pub fn body(&self) -> Value {
        match self {
            // Byte for byte what the TypeScript SDK v1 (server-everything) answers.
            Refusal::NotInitialized => json!({
                "jsonrpc": "2.0",
                "error": {"code": -32000, "message": "Bad Request: Server not initialized"},
                "id": null,
            }),
            Refusal::HandshakeUnsupported { id, requested } => {
                let error = ErrorData::unsupported_protocol_version(
                    requested.clone(),
                    &[ProtocolVersion::V_2026_07_28],
                );
                serde_json::to_value(JsonRpcError::new(id.clone(), error))
                    .expect("JSON-RPC error serialises")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn initialize() -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                          "clientInfo": {"name": "t", "version": "1"}}})
    }

    fn discover() -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {}})
    }

    #[test]
    fn both_eras_refuse_nothing() {
        assert_eq!(check(Era::Both, &initialize(), false), None);
        assert_eq!(check(Era::Both, &discover(), false), None);
    }

    #[test]
    fn legacy_accepts_initialize_and_session_messages() {
        assert_eq!(check(Era::Legacy, &initialize(), false), None);
        assert_eq!(check(Era::Legacy, &discover(), true), None);
    }

    #[test]
    fn legacy_refuses_sessionless_messages_like_a_2025_server() {
        let refusal = check(Era::Legacy, &discover(), false).unwrap();
        assert_eq!(refusal, Refusal::NotInitialized);
        assert_eq!(refusal.body()["error"]["code"], -32000);
        let notification = json!({"jsonrpc": "2.0", "method": "notifications/cancelled"});
        assert_eq!(
            check(Era::Legacy, &notification, false),
            Some(Refusal::NotInitialized)
        );
    }

    #[test]
    fn modern_accepts_discover() {
        assert_eq!(check(Era::Modern, &discover(), false), None);
    }

    #[test]
    fn modern_refuses_initialize_with_unsupported_protocol_version() {
        let refusal = check(Era::Modern, &initialize(), false).unwrap();
        let body = refusal.body();
        assert_eq!(body["id"], 1);
        assert_eq!(body["error"]["code"], -32022);
        assert_eq!(body["error"]["data"]["requested"], "2025-11-25");
        assert_eq!(body["error"]["data"]["supported"], json!(["2026-07-28"]));
    }

    #[test]
    fn responses_are_never_refused() {
        let response = json!({"jsonrpc": "2.0", "id": 1, "result": {}});
        assert_eq!(check(Era::Legacy, &response, false), None);
        assert_eq!(check(Era::Modern, &response, false), None);
    }
}
