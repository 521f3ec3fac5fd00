//! The one error type of the HTTP surface: every failure of a request reaches the wire through
//! [`GatewayError::status`] and [`GatewayError::body`].
//!
//! Classified by who is at fault: the client (4xx), the upstream (502/503/504) or the gateway
//! (500). Bodies are `{"error": "<code>", "message": "..."}`. Upstream and internal details stay
//! in the `Display` text, which is for the log; the body carries a fixed public message, except
//! for messages that are meant for the caller (a malformed request, invalid arguments, and the
//! error text of a tool, which MCP defines as content for the model).

use serde_json::{Value, json};

/// Longest caller-facing message a body carries, in bytes; longer messages are cut.
pub const MAX_MESSAGE_BYTES: usize = 4096;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum GatewayError {
    /// 400: the request itself is malformed (path, JSON body).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: no or invalid credentials; carries the `WWW-Authenticate` header value.
    #[error("unauthorized")]
    Unauthorized { www_authenticate: String },
    /// 403: a browser origin that is not the gateway's own or on its allow-list.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: unknown server or tool, and anything the caller may not use (never told apart).
    #[error("not found")]
    NotFound,
    /// 413: the request body is larger than the gateway accepts.
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// 422: the arguments violate the tool's input schema.
    #[error("invalid arguments: {0}")]
    Unprocessable(String),
    /// 502: the upstream could not be reached; the detail is for the log only.
    #[error("upstream unreachable: {0}")]
    UpstreamUnreachable(String),
    /// 502: the upstream answered with something that is not a valid MCP response.
    #[error("upstream sent an invalid response: {0}")]
    UpstreamGarbage(String),
    /// 502: the tool ran and reported an error (`isError: true`); carries the tool's own text.
    /// A business failure of the upstream, neither the client's request (which was valid) nor
    /// the gateway: so a 5xx from the upstream family, with the text the model needs to react.
    #[error("tool failed: {0}")]
    ToolFailed(String),
    /// 502: the upstream answered with a result a single REST call cannot complete
    /// (`resultType` such as `input_required` or `task`); the MCP endpoint can.
    #[error("upstream result type `{0}` cannot be answered over REST")]
    UnsupportedResult(String),
    /// 504: the upstream did not answer in time.
    #[error("upstream timed out")]
    UpstreamTimeout,
    /// 503: the server lacks configuration (origin, credential).
    #[error("server not configured: {0}")]
    NotConfigured(String),
    /// 503: the server is switched off.
    #[error("server disabled")]
    Disabled,
    /// 503: the auth component could not be reached or could not decide.
    #[error("authorization unavailable: {0}")]
    AuthorizationUnavailable(String),
    /// 500: a fault of the gateway; the detail is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl GatewayError {
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized { .. } => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound => 404,
            Self::PayloadTooLarge { .. } => 413,
            Self::Unprocessable(_) => 422,
            Self::UpstreamUnreachable(_)
            | Self::UpstreamGarbage(_)
            | Self::ToolFailed(_)
            | Self::UnsupportedResult(_) => 502,
            Self::UpstreamTimeout => 504,
            Self::NotConfigured(_) | Self::Disabled | Self::AuthorizationUnavailable(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    /// The machine-readable `error` field of the body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound => "not_found",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::Unprocessable(_) => "invalid_arguments",
            Self::UpstreamUnreachable(_) => "upstream_unreachable",
            Self::UpstreamGarbage(_) => "upstream_invalid_response",
            Self::ToolFailed(_) => "tool_error",
            Self::UnsupportedResult(_) => "unsupported_result",
            Self::UpstreamTimeout => "upstream_timeout",
            Self::NotConfigured(_) => "not_configured",
            Self::Disabled => "disabled",
            Self::AuthorizationUnavailable(_) => "authorization_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The value of the `WWW-Authenticate` header the response must carry, if any.
    pub fn www_authenticate(&self) -> Option<&str> {
        match self {
            Self::Unauthorized { www_authenticate } => Some(www_authenticate),
            _ => None,
        }
    }

    /// The JSON body: `{"error": code, "message": text}`.
    pub fn body(&self) -> Value {
        json!({ "error": self.code(), "message": self.public_message() })
    }

    fn public_message(&self) -> String {
        let text = match self {
            Self::BadRequest(message)
            | Self::Forbidden(message)
            | Self::Unprocessable(message)
            | Self::ToolFailed(message) => message.as_str(),
            Self::PayloadTooLarge { limit } => {
                return format!("the request body is larger than {limit} bytes");
            }
            Self::Unauthorized { .. } => "missing or invalid credentials",
            Self::NotFound => "no such server or tool",
            Self::UpstreamUnreachable(_) => "the upstream server could not be reached",
            Self::UpstreamGarbage(_) => "the upstream server sent an invalid response",
            Self::UnsupportedResult(_) => {
                "the tool asked for an interaction a REST call cannot provide; use the MCP endpoint"
            }
            Self::UpstreamTimeout => "the upstream server did not answer in time",
            Self::NotConfigured(_) => "this server is not configured",
            Self::Disabled => "this server is disabled",
            Self::AuthorizationUnavailable(_) => "authorization is unavailable; try again later",
            Self::Internal(_) => "internal error",
        };
        truncate(text, MAX_MESSAGE_BYTES).to_owned()
    }
}

/// `text` cut to at most `max` bytes on a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<GatewayError> {
        vec![
            GatewayError::BadRequest("body must be a JSON object".into()),
            GatewayError::Unauthorized {
                www_authenticate: "Bearer realm=\"mcp\"".into(),
            },
            GatewayError::Forbidden("origin not allowed".into()),
            GatewayError::NotFound,
            GatewayError::PayloadTooLarge { limit: 4096 },
            GatewayError::Unprocessable("/a: bad".into()),
            GatewayError::UpstreamUnreachable("connect http://secret@host failed".into()),
            GatewayError::UpstreamGarbage("expected JSON-RPC, got <html>".into()),
            GatewayError::ToolFailed("no such file".into()),
            GatewayError::UnsupportedResult("input_required".into()),
            GatewayError::UpstreamTimeout,
            GatewayError::NotConfigured("github_token is empty".into()),
            GatewayError::Disabled,
            GatewayError::AuthorizationUnavailable("auth.spin.internal: connection refused".into()),
            GatewayError::Internal("kv store: permission denied at /var/x".into()),
        ]
    }

    #[test]
    fn statuses_follow_the_architecture_table() {
        let statuses: Vec<u16> = all().iter().map(GatewayError::status).collect();
        assert_eq!(
            statuses,
            [
                400, 401, 403, 404, 413, 422, 502, 502, 502, 502, 504, 503, 503, 503, 500
            ]
        );
    }

    #[test]
    fn body_has_exactly_error_and_message() {
        for error in all() {
            let body = error.body();
            let object = body.as_object().unwrap();
            assert_eq!(object.len(), 2, "{body}");
            assert_eq!(object["error"], error.code());
            assert!(!object["message"].as_str().unwrap().is_empty());
        }
    }

    #[test]
    fn upstream_and_internal_details_stay_out_of_the_body() {
        for error in [
            GatewayError::UpstreamUnreachable("connect http://secret@host failed".into()),
            GatewayError::UpstreamGarbage("expected JSON-RPC, got <html>".into()),
            GatewayError::NotConfigured("github_token is empty".into()),
            GatewayError::AuthorizationUnavailable("auth.spin.internal: refused".into()),
            GatewayError::Internal("kv store: permission denied at /var/x".into()),
        ] {
            let body = error.body().to_string();
            for detail in [
                "secret",
                "<html>",
                "github_token",
                "/var/x",
                "spin.internal",
            ] {
                assert!(!body.contains(detail), "{body}");
            }
            // ...but the log line keeps them.
            assert!(error.to_string().len() > error.code().len());
        }
    }

    #[test]
    fn caller_facing_messages_reach_the_body() {
        let error = GatewayError::ToolFailed("no such file: a.txt".into());
        assert_eq!(error.body()["message"], "no such file: a.txt");
        let error = GatewayError::Unprocessable("/count: value is not of type \"number\"".into());
        assert_eq!(
            error.body()["message"],
            "/count: value is not of type \"number\""
        );
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let error = GatewayError::ToolFailed("é".repeat(MAX_MESSAGE_BYTES));
        let message = error.body()["message"].as_str().unwrap().to_owned();
        assert!(message.len() <= MAX_MESSAGE_BYTES);
        assert!(message.len() >= MAX_MESSAGE_BYTES - 1);
        let short = GatewayError::ToolFailed("ok".into());
        assert_eq!(short.body()["message"], "ok");
    }

    #[test]
    fn only_unauthorized_carries_www_authenticate() {
        for error in all() {
            match &error {
                GatewayError::Unauthorized { .. } => {
                    assert_eq!(error.www_authenticate(), Some("Bearer realm=\"mcp\""))
                }
                _ => assert_eq!(error.www_authenticate(), None),
            }
        }
    }
}
