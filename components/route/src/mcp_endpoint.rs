//! `/<s>/mcp`: this server as a native MCP endpoint, for clients of both protocol eras.
//!
//! - 2026-07-28 (stateless): every request is validated (`_meta`, routing headers, version) and
//!   answered on its own; `server/discover` is answered by the gateway.
//! - Handshake era (2025-11-25 and earlier, e.g. Open WebUI): `initialize` is answered by the
//!   gateway from the upstream's cached description and returns a sealed `Mcp-Session-Id`
//!   bound to the caller; `tools/list` comes from the cache, so a new session per chat turn
//!   costs no upstream request. Answers are JSON; GET (no server stream) is 405, DELETE 204.

use gateway_core::GatewayError;
use gateway_core::session::{self, SessionError};
use mcp_proto::headers::SESSION_ID;
use mcp_proto::inbound::{self, InboundEra};
use mcp_proto::jsonrpc::{
    ErrorObject, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, Message, PARSE_ERROR, Request,
    RequestId, Response,
};
use mcp_proto::types::{
    CacheScope, Implementation, METHOD_DISCOVER, METHOD_INITIALIZE, METHOD_PING, METHOD_TOOLS_CALL,
    METHOD_TOOLS_LIST,
};
use mcp_proto::upstream::UpstreamError;
use serde_json::{Value, json};
use spin_sdk::http::{Method, ResponseOutparam};

use crate::Inbound;
use crate::authz;
use crate::clock;
use crate::respond;
use crate::rest::audit;
use crate::settings::Settings;
use crate::upstream::{Upstream, gateway_error};

/// How long a modern client may cache this server's discover and list results.
const LIST_TTL_MS: u64 = 60_000;

pub async fn serve(settings: &Settings, inbound: &Inbound, outparam: ResponseOutparam) {
    let decision = match authz::authorize(settings, inbound, true).await {
        Ok(decision) => decision,
        Err(refusal) => return respond::refusal(outparam, refusal),
    };
    match inbound.method {
        Method::Post => {}
        Method::Delete => {
            return respond::bytes(outparam, 204, "application/json", &[], Vec::new());
        }
        _ => {
            let body = json!({"error": "method_not_allowed", "message": "this endpoint takes POST (and DELETE for handshake sessions)"});
            return respond::json(
                outparam,
                405,
                &body,
                &[("allow".into(), "POST, DELETE".into())],
            );
        }
    }
    let message = match Message::parse(&inbound.body) {
        Ok(message) => message,
        Err(err) => {
            return rpc_error(
                outparam,
                400,
                None,
                ErrorObject::new(PARSE_ERROR, err.to_string()),
            );
        }
    };
    let era = inbound::classify(&inbound.headers, &message);
    let request = match message {
        Message::Request(request) => request,
        // Notifications and client responses need no answer.
        Message::Notification(_) | Message::Response(_) => {
            return respond::bytes(outparam, 202, "application/json", &[], Vec::new());
        }
    };
    let principal = decision.principal.id.clone();
    let id = request.id.clone();
    let mut extra_headers = Vec::new();
    match &era {
        InboundEra::Modern => {
            if let Err(rejection) = inbound::validate_modern(&inbound.headers, &request) {
                return rpc_error(outparam, rejection.status, Some(id), rejection.error);
            }
        }
        InboundEra::Handshake { .. } if request.method == METHOD_INITIALIZE => {
            let session = session::seal(
                &settings.gateway_secret,
                &settings.server_id,
                &principal,
                clock::now_ms(),
            );
            extra_headers.push((SESSION_ID.to_string(), session));
        }
        InboundEra::Handshake { .. } => {
            let presented = inbound.header(SESSION_ID).unwrap_or_default();
            match session::open(
                &settings.gateway_secret,
                &settings.server_id,
                &principal,
                presented,
                clock::now_ms(),
            ) {
                Ok(()) => {}
                // The spec's signal to start a new session.
                Err(SessionError::Expired) => {
                    return rpc_error(
                        outparam,
                        404,
                        Some(id),
                        ErrorObject::new(INVALID_REQUEST, "session expired: initialize again"),
                    );
                }
                Err(SessionError::Invalid) => {
                    return rpc_error(
                        outparam,
                        400,
                        Some(id),
                        ErrorObject::new(
                            INVALID_REQUEST,
                            "Bad Request: No valid session ID provided",
                        ),
                    );
                }
            }
        }
    }
    let started = clock::now_ms();
    let outcome = answer(settings, &era, &request).await;
    if request.method == METHOD_TOOLS_CALL {
        let status = match &outcome {
            Ok(_) => 200,
            Err(Failure::Gateway(error)) => error.status(),
            Err(Failure::Rpc(_)) => 400,
        };
        let tool = request
            .params
            .as_ref()
            .and_then(|p| p["name"].as_str())
            .unwrap_or_default()
            .to_string();
        let arguments = request
            .params
            .as_ref()
            .map(|p| p["arguments"].to_string())
            .unwrap_or_default();
        respond_outcome(outparam, id, outcome, &extra_headers);
        return audit(
            &decision,
            settings,
            &tool,
            status,
            started,
            arguments.as_bytes(),
        )
        .await;
    }
    respond_outcome(outparam, id, outcome, &extra_headers);
}

enum Failure {
    /// Reported as a JSON-RPC error in a 200 response (the request was understood).
    Rpc(ErrorObject),
    /// The upstream failed: the HTTP status of the REST surface, with a JSON-RPC body.
    Gateway(GatewayError),
}

fn respond_outcome(
    outparam: ResponseOutparam,
    id: RequestId,
    outcome: Result<Value, Failure>,
    headers: &[(String, String)],
) {
    let message = match outcome {
        Ok(result) => Message::Response(Response::result(id, result)),
        Err(Failure::Rpc(error)) => Message::Response(Response::error(Some(id), error)),
        Err(Failure::Gateway(error)) => {
            let rpc = ErrorObject::new(
                mcp_proto::jsonrpc::INTERNAL_ERROR,
                error.body()["message"]
                    .as_str()
                    .unwrap_or("upstream failed"),
            );
            let body = Message::Response(Response::error(Some(id), rpc)).to_value();
            return respond::json(outparam, error.status(), &body, headers);
        }
    };
    respond::json(outparam, 200, &message.to_value(), headers);
}

fn rpc_error(outparam: ResponseOutparam, status: u16, id: Option<RequestId>, error: ErrorObject) {
    let body = Message::Response(Response::error(id, error)).to_value();
    respond::json(outparam, status, &body, &[]);
}

fn upstream_failure(settings: &Settings, error: UpstreamError) -> Failure {
    match error {
        UpstreamError::JsonRpc {
            code,
            message,
            data,
        } => Failure::Rpc(ErrorObject {
            code,
            message,
            data,
        }),
        other => Failure::Gateway(gateway_error(&settings.server_id, other)),
    }
}

fn server_info(settings: &Settings) -> Implementation {
    Implementation::new(
        format!("mcp-gateway/{}", settings.server_id),
        env!("CARGO_PKG_VERSION"),
    )
}

fn capabilities() -> Value {
    json!({"tools": {"listChanged": false}})
}

async fn answer(
    settings: &Settings,
    era: &InboundEra,
    request: &Request,
) -> Result<Value, Failure> {
    let modern = matches!(era, InboundEra::Modern);
    let params = request.params.clone().unwrap_or(Value::Null);
    match request.method.as_str() {
        METHOD_INITIALIZE if !modern => {
            let requested = params["protocolVersion"].as_str().unwrap_or_default();
            let result =
                inbound::initialize_result(requested, server_info(settings), capabilities(), None);
            Ok(serde_json::to_value(result).unwrap_or_default())
        }
        METHOD_DISCOVER if modern => {
            let result = inbound::discover_result(
                &server_info(settings),
                capabilities(),
                None,
                LIST_TTL_MS,
                CacheScope::Private,
            );
            Ok(serde_json::to_value(result).unwrap_or_default())
        }
        METHOD_PING | "logging/setLevel" if !modern => Ok(json!({})),
        METHOD_TOOLS_LIST => {
            let upstream = Upstream::new(settings).map_err(Failure::Gateway)?;
            let list = upstream
                .client()
                .list_tools()
                .await
                .map_err(|e| upstream_failure(settings, e))?;
            let tools: Vec<Value> = list
                .tools
                .into_iter()
                .map(|tool| {
                    if modern {
                        tool
                    } else {
                        inbound::tool_for_handshake_client(tool)
                    }
                })
                .filter_map(|tool| serde_json::to_value(tool).ok())
                .collect();
            let mut result = json!({"tools": tools});
            if modern {
                result["ttlMs"] = json!(LIST_TTL_MS);
                result["cacheScope"] = json!("private");
                result["resultType"] = json!("complete");
            }
            Ok(result)
        }
        METHOD_TOOLS_CALL => {
            let Some(name) = params["name"].as_str() else {
                return Err(Failure::Rpc(ErrorObject::new(
                    INVALID_PARAMS,
                    "tools/call needs params.name",
                )));
            };
            let arguments = match &params["arguments"] {
                Value::Null => json!({}),
                Value::Object(_) => params["arguments"].clone(),
                _ => {
                    return Err(Failure::Rpc(ErrorObject::new(
                        INVALID_PARAMS,
                        "params.arguments must be an object",
                    )));
                }
            };
            let upstream = Upstream::new(settings).map_err(Failure::Gateway)?;
            let result = upstream
                .client()
                .call_tool(name, arguments)
                .await
                .map_err(|e| upstream_failure(settings, e))?;
            let result = if modern {
                inbound::call_result_for_modern_client(result)
            } else {
                inbound::call_result_for_handshake_client(result)
            };
            Ok(serde_json::to_value(result).unwrap_or_default())
        }
        other => Err(Failure::Rpc(ErrorObject::new(
            METHOD_NOT_FOUND,
            format!("method not found: {other}"),
        ))),
    }
}
