//! Reading the upstream's HTTP answer to one JSON-RPC request: a JSON body or an SSE stream
//! whose events may carry notifications before the response.

use serde_json::Value;

use super::UpstreamError;
use crate::jsonrpc::{ErrorObject, Message, Outcome, RequestId};
use crate::sse::SseParser;
use crate::transport::HttpResponse;

/// What the upstream said, before the era logic decides what it means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    Result(Value),
    Error {
        status: u16,
        error: ErrorObject,
    },
    /// A 4xx without a JSON-RPC error body (a proxy, or a server that does not speak MCP here).
    Rejected {
        status: u16,
    },
}

pub(crate) fn decode(response: &HttpResponse, id: &RequestId) -> Result<Reply, UpstreamError> {
    let status = response.status;
    let success = match status {
        200..=299 => true,
        400..=499 => false,
        _ => return Err(UpstreamError::Status { status }),
    };
    let found = match media_type(response).as_deref() {
        Some("application/json") => Message::parse(&response.body)
            .map_err(|err| err.to_string())
            .and_then(|message| matching_response(message, id)),
        Some("text/event-stream") => response_in_stream(&response.body, id),
        other => Err(format!("unexpected content type {other:?}")),
    };
    match (found, success) {
        (Ok(Outcome::Result(result)), true) => Ok(Reply::Result(result)),
        (Ok(Outcome::Error(error)), _) => Ok(Reply::Error { status, error }),
        (Ok(Outcome::Result(_)), false) => Ok(Reply::Rejected { status }),
        (Err(reason), true) => Err(UpstreamError::Protocol(reason)),
        (Err(_), false) => Ok(Reply::Rejected { status }),
    }
}

/// Accepts the answer to a notification: any 2xx.
pub(crate) fn decode_ack(response: &HttpResponse) -> Result<(), UpstreamError> {
    match response.status {
        200..=299 => Ok(()),
        status => Err(UpstreamError::Status { status }),
    }
}

fn media_type(response: &HttpResponse) -> Option<String> {
    let value = response.header("content-type")?;
    let essence = value.split(';').next().unwrap_or_default();
    Some(essence.trim().to_ascii_lowercase())
}

fn matching_response(message: Message, id: &RequestId) -> Result<Outcome, String> {
    match message {
        Message::Response(response) if response.id.as_ref() == Some(id) => Ok(response.outcome),
        // An error about a request the server could not read carries a null id.
        Message::Response(response) if response.id.is_none() => match response.outcome {
            Outcome::Error(error) => Ok(Outcome::Error(error)),
            Outcome::Result(_) => Err("a result without an id".into()),
        },
        Message::Response(_) => Err("a response to another request".into()),
        _ => Err("not a response".into()),
    }
}

/// The response to `id` among the stream's events; notifications, server requests and
/// keep-alives before it are skipped.
fn response_in_stream(body: &[u8], id: &RequestId) -> Result<Outcome, String> {
    let mut parser = SseParser::new();
    let mut events = parser.push(body);
    events.extend(parser.push(b"\n\n"));
    events
        .iter()
        .filter(|event| matches!(event.event.as_deref(), None | Some("message")))
        .filter_map(|event| Message::parse(event.data.as_bytes()).ok())
        .find_map(|message| matching_response(message, id).ok())
        .ok_or_else(|| "the event stream ended without the response".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(status: u16, content_type: &str, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    const ID: RequestId = RequestId::Number(4);

    #[test]
    fn reads_a_json_result() {
        let reply = decode(
            &response(
                200,
                "application/json; charset=utf-8",
                r#"{"jsonrpc":"2.0","id":4,"result":{"ok":true}}"#,
            ),
            &ID,
        );
        assert_eq!(reply.unwrap(), Reply::Result(json!({"ok": true})));
    }

    #[test]
    fn picks_the_matching_response_out_of_an_sse_stream() {
        let body = concat!(
            ": ping\n\n",
            "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n",
            "data: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"other\":true}}\n\n",
            "data: {\"jsonrpc\":\"2.0\",\r\ndata: \"id\":4,\"result\":{\"mine\":true}}\r\n\r\n",
        );
        let reply = decode(&response(200, "text/event-stream", body), &ID).unwrap();
        assert_eq!(reply, Reply::Result(json!({"mine": true})));
    }

    #[test]
    fn takes_an_unterminated_final_sse_event() {
        let body = "data: {\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}";
        let reply = decode(&response(200, "text/event-stream", body), &ID).unwrap();
        assert_eq!(reply, Reply::Result(json!({})));
    }

    #[test]
    fn a_stream_without_the_response_is_a_protocol_error() {
        let body = "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n\n";
        let err = decode(&response(200, "text/event-stream", body), &ID).unwrap_err();
        assert!(matches!(err, UpstreamError::Protocol(_)), "{err:?}");
    }

    #[test]
    fn garbage_on_success_is_a_protocol_error() {
        for (content_type, body) in [
            ("application/json", "not json"),
            ("text/html", "<html></html>"),
            (
                "application/json",
                r#"{"jsonrpc":"2.0","id":5,"result":{}}"#,
            ),
        ] {
            let err = decode(&response(200, content_type, body), &ID).unwrap_err();
            assert!(matches!(err, UpstreamError::Protocol(_)), "{body}: {err:?}");
        }
    }

    #[test]
    fn client_errors_keep_their_json_rpc_error_or_become_rejections() {
        let with_body = decode(
            &response(
                400,
                "application/json",
                r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request"}}"#,
            ),
            &ID,
        )
        .unwrap();
        assert_eq!(
            with_body,
            Reply::Error {
                status: 400,
                error: ErrorObject::new(-32000, "Bad Request")
            }
        );
        let empty = decode(&response(404, "text/plain", ""), &ID).unwrap();
        assert_eq!(empty, Reply::Rejected { status: 404 });
    }

    #[test]
    fn server_errors_and_redirects_are_status_errors() {
        for status in [500, 503, 302] {
            let err = decode(&response(status, "application/json", "{}"), &ID).unwrap_err();
            assert_eq!(err, UpstreamError::Status { status });
        }
    }
}
