//! What the answers to `server/discover` and `initialize` say about the upstream's era
//! (2026-07-28 basic/versioning, "Backward Compatibility"). Only positive evidence makes a
//! server modern; transport failures and 5xx never reach these functions, so an outage is
//! never mistaken for a verdict.

use super::UpstreamError;
use super::reply::Reply;
use crate::jsonrpc::{
    ErrorObject, HEADER_MISMATCH, MISSING_CLIENT_CAPABILITY, UNSUPPORTED_PROTOCOL_VERSION,
};
use crate::types::{DiscoverResult, InitializeResult};
use crate::versions::{MODERN_VERSIONS, UnsupportedVersionData, is_handshake, newest_common};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DiscoverVerdict {
    Modern {
        version: String,
        result: DiscoverResult,
    },
    /// The server is modern but rejected the version we asked for; it supports this one.
    RetryWith(String),
    Handshake,
}

pub(crate) fn classify_discover(
    reply: Reply,
    requested: &str,
) -> Result<DiscoverVerdict, UpstreamError> {
    match reply {
        Reply::Result(value) => {
            let Ok(result) = serde_json::from_value::<DiscoverResult>(value) else {
                return Ok(DiscoverVerdict::Handshake);
            };
            let version = if result.supported_versions.iter().any(|v| v == requested) {
                Some(requested)
            } else {
                newest_common(MODERN_VERSIONS, &result.supported_versions)
            };
            Ok(match version {
                Some(version) => DiscoverVerdict::Modern {
                    version: version.to_owned(),
                    result,
                },
                // Answers discover but advertises only handshake versions: a legacy advertisement.
                None => DiscoverVerdict::Handshake,
            })
        }
        Reply::Error { error, .. } if error.code == UNSUPPORTED_PROTOCOL_VERSION => {
            let Some(data) = unsupported_version_data(&error) else {
                return Ok(DiscoverVerdict::Handshake);
            };
            match newest_common(MODERN_VERSIONS, &data.supported) {
                Some(version) if version != requested => {
                    Ok(DiscoverVerdict::RetryWith(version.to_owned()))
                }
                Some(_) => Err(error.into()),
                None if data.supported.iter().any(|v| is_handshake(v)) => {
                    Ok(DiscoverVerdict::Handshake)
                }
                None => Err(error.into()),
            }
        }
        // Modern servers rejecting how we asked: a bug to report, not a legacy signal.
        Reply::Error { error, .. }
            if matches!(error.code, HEADER_MISMATCH | MISSING_CLIENT_CAPABILITY) =>
        {
            Err(error.into())
        }
        Reply::Error { .. } | Reply::Rejected { .. } => Ok(DiscoverVerdict::Handshake),
    }
}

/// The modern version to retry with when a handshake-era request was answered with -32022
/// naming one we support: the server is modern after all.
pub(crate) fn modern_version_offered(error: &ErrorObject) -> Option<String> {
    if error.code != UNSUPPORTED_PROTOCOL_VERSION {
        return None;
    }
    let data = unsupported_version_data(error)?;
    newest_common(MODERN_VERSIONS, &data.supported).map(str::to_owned)
}

fn unsupported_version_data(error: &ErrorObject) -> Option<UnsupportedVersionData> {
    serde_json::from_value(error.data.clone()?).ok()
}

pub(crate) fn classify_initialize(reply: Reply) -> Result<InitializeResult, UpstreamError> {
    match reply {
        Reply::Result(value) => {
            let result: InitializeResult = serde_json::from_value(value).map_err(|err| {
                UpstreamError::Protocol(format!("invalid initialize result: {err}"))
            })?;
            if is_handshake(&result.protocol_version) {
                Ok(result)
            } else {
                Err(UpstreamError::Protocol(format!(
                    "initialize chose unsupported protocol version {:?}",
                    result.protocol_version
                )))
            }
        }
        Reply::Error { error, .. } => Err(error.into()),
        Reply::Rejected { status } => Err(UpstreamError::Status { status }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(status: u16, code: i64, data: Option<serde_json::Value>) -> Reply {
        Reply::Error {
            status,
            error: ErrorObject {
                code,
                message: "x".into(),
                data,
            },
        }
    }

    fn discover(reply: Reply) -> Result<DiscoverVerdict, UpstreamError> {
        classify_discover(reply, "2026-07-28")
    }

    #[test]
    fn a_discover_result_with_a_common_version_is_modern() {
        let verdict = discover(Reply::Result(json!({
            "supportedVersions": ["2026-07-28"], "capabilities": {"tools": {}}, "ttlMs": 0, "cacheScope": "public"
        })))
        .unwrap();
        assert!(
            matches!(verdict, DiscoverVerdict::Modern { version, .. } if version == "2026-07-28")
        );
    }

    #[test]
    fn a_discover_result_advertising_only_handshake_versions_is_legacy() {
        let verdict = discover(Reply::Result(json!({
            "supportedVersions": ["2025-11-25"], "capabilities": {}
        })))
        .unwrap();
        assert_eq!(verdict, DiscoverVerdict::Handshake);
        assert_eq!(
            discover(Reply::Result(json!({"unexpected": true}))).unwrap(),
            DiscoverVerdict::Handshake
        );
    }

    #[test]
    fn legacy_style_rejections_mean_handshake() {
        for reply in [
            error(400, -32000, None),
            error(200, -32601, None),
            error(404, -32601, None),
            error(400, UNSUPPORTED_PROTOCOL_VERSION, Some(json!("garbage"))),
            Reply::Rejected { status: 400 },
            Reply::Rejected { status: 405 },
        ] {
            assert_eq!(
                discover(reply.clone()).unwrap(),
                DiscoverVerdict::Handshake,
                "{reply:?}"
            );
        }
    }

    #[test]
    fn unsupported_version_is_negotiated_not_taken_for_legacy() {
        let offers_handshake = error(
            400,
            UNSUPPORTED_PROTOCOL_VERSION,
            Some(json!({"supported": ["2025-11-25", "2025-06-18"], "requested": "2026-07-28"})),
        );
        assert_eq!(
            discover(offers_handshake).unwrap(),
            DiscoverVerdict::Handshake
        );

        let retry = classify_discover(
            error(
                400,
                UNSUPPORTED_PROTOCOL_VERSION,
                Some(json!({"supported": ["2026-07-28"], "requested": "2027-01-01"})),
            ),
            "2027-01-01",
        )
        .unwrap();
        assert_eq!(retry, DiscoverVerdict::RetryWith("2026-07-28".into()));

        let disjoint = error(
            400,
            UNSUPPORTED_PROTOCOL_VERSION,
            Some(json!({"supported": ["2099-01-01"], "requested": "2026-07-28"})),
        );
        let err = discover(disjoint).unwrap_err();
        assert!(matches!(
            err,
            UpstreamError::JsonRpc {
                code: UNSUPPORTED_PROTOCOL_VERSION,
                ..
            }
        ));
    }

    #[test]
    fn modern_complaints_about_our_request_are_errors_not_verdicts() {
        for code in [HEADER_MISMATCH, MISSING_CLIENT_CAPABILITY] {
            let err = discover(error(400, code, None)).unwrap_err();
            assert!(matches!(err, UpstreamError::JsonRpc { code: c, .. } if c == code));
        }
    }

    #[test]
    fn initialize_accepts_only_handshake_versions() {
        let result = |version: &str| {
            Reply::Result(json!({
                "protocolVersion": version, "capabilities": {}, "serverInfo": {"name":"s","version":"1"}
            }))
        };
        assert_eq!(
            classify_initialize(result("2025-06-18"))
                .unwrap()
                .protocol_version,
            "2025-06-18"
        );
        assert!(matches!(
            classify_initialize(result("2024-11-05")),
            Err(UpstreamError::Protocol(_))
        ));
        assert_eq!(
            classify_initialize(Reply::Rejected { status: 404 }),
            Err(UpstreamError::Status { status: 404 })
        );
    }

    #[test]
    fn unsupported_version_from_initialize_names_the_modern_version() {
        let offer = |supported: serde_json::Value| ErrorObject {
            code: UNSUPPORTED_PROTOCOL_VERSION,
            message: "x".into(),
            data: Some(json!({"supported": supported, "requested": "2025-11-25"})),
        };
        assert_eq!(
            modern_version_offered(&offer(json!(["2026-07-28"]))).as_deref(),
            Some("2026-07-28")
        );
        assert_eq!(modern_version_offered(&offer(json!(["2099-01-01"]))), None);
        assert_eq!(modern_version_offered(&ErrorObject::new(-32000, "x")), None);
    }
}
