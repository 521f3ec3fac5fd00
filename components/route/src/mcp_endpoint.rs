//! `/<s>/mcp`: this server as a native MCP endpoint, for clients of both protocol eras; and
//! `/mcp`, the aggregate entry's, with the same era rules over its members (`aggregate`).
//!
//! - 2026-07-28 (stateless): every request is validated (`Origin`, `_meta`, routing and
//!   `Mcp-Param-*` headers, version) and answered on its own; methods the era removed are 404.
//!   `server/discover` is answered by the gateway from the upstream's cached description.
//! - Handshake era (2025-11-25 and earlier, e.g. Open WebUI's fallback): `initialize` is
//!   answered by the gateway from the upstream's cached description and returns a sealed
//!   `Mcp-Session-Id` bound to the caller; `DELETE` ends that session for the rest of its life.
//!   `tools/list` comes from the cache, so a new session per chat turn costs no upstream request.
//!
//! Tools go through the one call pipeline (`gateway_core::pipeline`): listed and called only as
//! the caller's tool rule allows (a hidden tool is an unknown one); prompts, resources and
//! completion are relayed to the upstream in its own era. Tool, prompt and resource template
//! lists are pinned (`pins`): under `enforce` an unapproved one is not there at all. Answers
//! are JSON; GET (no server stream) is 405.

use auth_core::Decision;
use auth_core::audit::Surface;
use auth_core::pins::DefinitionKind;
use gateway_core::GatewayError;
use gateway_core::pipeline::{prepare_call, rpc_failure, usable_tools};
use gateway_core::public_url::check_origin;
use gateway_core::session::{self, NONCE_LEN, SessionError};
use mcp_proto::headers::{SESSION_ID, param_headers_of};
use mcp_proto::inbound::{self, InboundEra};
use mcp_proto::jsonrpc::{
    ErrorObject, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, MISSING_CLIENT_CAPABILITY,
    Message, PARSE_ERROR, Request, RequestId, Response,
};
use mcp_proto::types::{
    CacheScope, CallToolResult, FORWARDED_METHODS, Implementation, METHOD_DISCOVER,
    METHOD_INITIALIZE, METHOD_LOGGING_SET_LEVEL, METHOD_PING, METHOD_PROMPTS_GET,
    METHOD_PROMPTS_LIST, METHOD_RESOURCES_TEMPLATES_LIST, METHOD_TOOLS_CALL, METHOD_TOOLS_LIST,
    REMOVED_IN_MODERN,
};
use mcp_proto::upstream::{MAX_TOOL_PAGES, ServerDescription, UpstreamError};
use sealed_kv::SealedKv;
use serde_json::{Map, Value, json};
use spin_sdk::http::{Method, ResponseOutparam};

use crate::Inbound;
use crate::aggregate;
use crate::audit::{self, Arguments};
use crate::authz;
use crate::clock;
use crate::pins::{self, PinScope};
use crate::respond;
use crate::settings::{Settings, Target};
use crate::upstream::{Upstream, gateway_error};

/// How long a modern client may cache this server's discover and list results.
pub const LIST_TTL_MS: u64 = 60_000;

pub async fn serve(settings: &Settings, inbound: &Inbound, outparam: ResponseOutparam) {
    let origin = inbound.header("origin");
    if let Err(error) = check_origin(origin, &settings.public_url, &settings.allowed_origins) {
        let (_, rpc) = rpc_failure(&error);
        return rpc_error(outparam, error.status(), None, rpc, &[]);
    }
    let decision = match authz::authorize(settings, inbound, true).await {
        Ok(decision) => decision,
        Err(refusal) => {
            let tool = requested_tool(&inbound.body);
            return audit::refused(settings, inbound, Surface::Mcp, &tool, refusal, outparam).await;
        }
    };
    match inbound.method {
        Method::Post => {}
        Method::Delete => return end_session(settings, inbound, &decision, outparam),
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
            let error = ErrorObject::new(PARSE_ERROR, err.to_string());
            return rpc_error(outparam, 400, None, error, &[]);
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
    let id = request.id.clone();
    let mut extra_headers = Vec::new();
    match &era {
        InboundEra::Modern => {
            if let Err(rejection) = inbound::validate_modern(&inbound.headers, &request) {
                return rpc_error(outparam, rejection.status, Some(id), rejection.error, &[]);
            }
            if REMOVED_IN_MODERN.contains(&request.method.as_str()) {
                let error = ErrorObject::new(
                    METHOD_NOT_FOUND,
                    format!("{} does not exist in 2026-07-28", request.method),
                );
                return rpc_error(outparam, 404, Some(id), error, &[]);
            }
        }
        InboundEra::Handshake { .. } if request.method == METHOD_INITIALIZE => {
            let session = session::seal(
                &settings.gateway_secret,
                &settings.server_id,
                &decision.principal.id,
                clock::now_ms(),
                nonce(),
            );
            extra_headers.push((SESSION_ID.to_string(), session));
        }
        InboundEra::Handshake { .. } => {
            if let Err(error) = check_session(settings, inbound, &decision) {
                let status = match error {
                    // The spec's signal to start a new session.
                    SessionError::Expired => 404,
                    SessionError::Invalid => 400,
                };
                let message = match error {
                    SessionError::Expired => "session expired or ended: initialize again",
                    SessionError::Invalid => "Bad Request: No valid session ID provided",
                };
                let error = ErrorObject::new(INVALID_REQUEST, message);
                return rpc_error(outparam, status, Some(id), error, &[]);
            }
        }
    }
    let modern = matches!(era, InboundEra::Modern);
    if request.method == METHOD_TOOLS_CALL {
        return tools_call(settings, inbound, &decision, modern, request, outparam).await;
    }
    let outcome = answer(settings, inbound, &decision, modern, &request).await;
    respond_outcome(outparam, id, modern, outcome, &extra_headers);
}

/// The tool a refused request asked for (a `tools/call`), for the audit; empty otherwise.
fn requested_tool(body: &[u8]) -> String {
    match Message::parse(body) {
        Ok(Message::Request(request)) if request.method == METHOD_TOOLS_CALL => request
            .params
            .as_ref()
            .and_then(|params| params["name"].as_str())
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

fn nonce() -> [u8; NONCE_LEN] {
    let bytes = wasi::random::random::get_random_bytes(NONCE_LEN as u64);
    bytes
        .try_into()
        .expect("the host returns the bytes asked for")
}

/// Opens the caller's sealed session id and checks it was not ended by `DELETE`.
fn check_session(
    settings: &Settings,
    inbound: &Inbound,
    decision: &Decision,
) -> Result<u64, SessionError> {
    let presented = inbound.header(SESSION_ID).unwrap_or_default();
    let expires_ms = session::open(
        &settings.gateway_secret,
        &settings.server_id,
        &decision.principal.id,
        presented,
        clock::now_ms(),
    )?;
    if SealedKv::open(&settings.gateway_secret)
        .get_json::<bool>(&session::revocation_key(presented))
        .is_some()
    {
        return Err(SessionError::Expired);
    }
    Ok(expires_ms)
}

/// `DELETE` with a session id: the session ends, and later requests with it are 404. The
/// revocation entry lives as long as the id would have.
fn end_session(
    settings: &Settings,
    inbound: &Inbound,
    decision: &Decision,
    outparam: ResponseOutparam,
) {
    if inbound.header(SESSION_ID).is_none() {
        let body = json!({"error": "method_not_allowed", "message": "DELETE ends a handshake-era session: send its Mcp-Session-Id"});
        return respond::json(outparam, 405, &body, &[("allow".into(), "POST".into())]);
    }
    match check_session(settings, inbound, decision) {
        Ok(expires_ms) => {
            let presented = inbound.header(SESSION_ID).unwrap_or_default();
            SealedKv::open(&settings.gateway_secret).set_json(
                &session::revocation_key(presented),
                &true,
                expires_ms,
            );
            respond::bytes(outparam, 204, "application/json", &[], Vec::new());
        }
        Err(SessionError::Expired) => {
            let error = ErrorObject::new(INVALID_REQUEST, "session expired or already ended");
            rpc_error(outparam, 404, None, error, &[]);
        }
        Err(SessionError::Invalid) => {
            let error =
                ErrorObject::new(INVALID_REQUEST, "Bad Request: No valid session ID provided");
            rpc_error(outparam, 400, None, error, &[]);
        }
    }
}

/// `tools/call` through the call pipeline: the tool must be listed, the arguments valid for its
/// schema and (2026-07-28) mirrored in the `Mcp-Param-*` headers it declares.
async fn tools_call(
    settings: &Settings,
    inbound: &Inbound,
    decision: &Decision,
    modern: bool,
    request: Request,
    outparam: ResponseOutparam,
) {
    let started_ms = clock::now_ms();
    let params = request.params.unwrap_or(Value::Null);
    let name = params["name"].as_str().unwrap_or_default().to_owned();
    let arguments = match &params["arguments"] {
        Value::Null => Ok(Map::new()),
        Value::Object(arguments) => Ok(arguments.clone()),
        _ => Err(Failure::Rpc(ErrorObject::new(
            INVALID_PARAMS,
            "params.arguments must be an object",
        ))),
    };
    let outcome = match (&arguments, name.is_empty()) {
        (_, true) => Err(Failure::Rpc(ErrorObject::new(
            INVALID_PARAMS,
            "tools/call needs params.name",
        ))),
        (Ok(arguments), false) => match &settings.target {
            Target::Upstream(_) => {
                let arguments = arguments.clone();
                call_tool(settings, inbound, decision, modern, &name, arguments).await
            }
            Target::Aggregate { members } => {
                let arguments = arguments.clone();
                aggregate::call_tool(
                    settings, members, inbound, decision, modern, &name, arguments,
                )
                .await
            }
        },
        (Err(failure), false) => Err(failure.clone()),
    };
    let status = audit_status(&outcome);
    respond_outcome(outparam, request.id, modern, outcome, &[]);
    // The member the aggregate called audited the call, as the caller's.
    if matches!(settings.target, Target::Aggregate { .. }) {
        return;
    }
    let empty = Map::new();
    let call = audit::Call {
        decision,
        tool: &name,
        surface: Surface::Mcp,
        status,
        started_ms,
        arguments: Arguments::Parsed(arguments.as_ref().unwrap_or(&empty)),
    };
    audit::record(settings, call).await;
}

async fn call_tool(
    settings: &Settings,
    inbound: &Inbound,
    decision: &Decision,
    modern: bool,
    name: &str,
    arguments: Map<String, Value>,
) -> Result<Value, Failure> {
    let upstream = Upstream::new(settings).map_err(Failure::Gateway)?;
    let tools = upstream
        .tools()
        .await
        .map_err(|e| upstream_failure(settings, modern, e))?;
    let client = upstream.client();
    let may_use = authz::tool_rule(settings, decision);
    let call = prepare_call(&tools.tools, may_use, name, arguments).map_err(Failure::Gateway)?;
    if modern {
        let declared = param_headers_of(&call.tool.input_schema).unwrap_or_default();
        let mirrored = Value::Object(call.arguments.clone());
        inbound::validate_param_headers(&inbound.headers, &declared, &mirrored)
            .map_err(|rejection| Failure::Rejected(rejection.status, rejection.error))?;
    }
    let result = client
        .call_tool(&call.tool.name, Value::Object(call.arguments))
        .await
        .map_err(|e| upstream_failure(settings, modern, e))?;
    call_result_for_client(modern, result)
}

/// A `tools/call` result in the client's era.
pub fn call_result_for_client(modern: bool, result: CallToolResult) -> Result<Value, Failure> {
    let result = if modern {
        inbound::call_result_for_modern_client(result)
    } else {
        inbound::call_result_for_handshake_client(result)
    };
    serde_json::to_value(result)
        .map_err(|e| Failure::Gateway(GatewayError::Internal(e.to_string())))
}

/// The status the REST surface would have answered for the same call, so both surfaces audit
/// a call alike.
fn audit_status(outcome: &Result<Value, Failure>) -> u16 {
    match outcome {
        Ok(result) if result["isError"] == json!(true) => {
            GatewayError::ToolFailed(String::new()).status()
        }
        Ok(_) => 200,
        Err(Failure::Rpc(error)) => GatewayError::from(UpstreamError::from(error.clone())).status(),
        Err(Failure::Rejected(status, _)) => *status,
        Err(Failure::Gateway(error)) => error.status(),
    }
}

#[derive(Clone)]
pub enum Failure {
    /// A JSON-RPC error in a 200 response: the request was understood, the upstream said no.
    Rpc(ErrorObject),
    /// A request the transport rules refuse, with its own HTTP status (2026-07-28 -32020).
    Rejected(u16, ErrorObject),
    /// The gateway's own verdict (unknown tool, invalid arguments, upstream down), mapped by
    /// the one error-to-MCP rule of the pipeline.
    Gateway(GatewayError),
}

fn respond_outcome(
    outparam: ResponseOutparam,
    id: RequestId,
    modern: bool,
    outcome: Result<Value, Failure>,
    headers: &[(String, String)],
) {
    let (status, message) = match outcome {
        Ok(result) => (200, Response::result(id, result)),
        // 2026-07-28: an unknown method is 404, with its JSON-RPC error.
        Err(Failure::Rpc(error)) if modern && error.code == METHOD_NOT_FOUND => {
            (404, Response::error(Some(id), error))
        }
        // 2026-07-28: a capability the client did not declare is a 400, whoever noticed it.
        Err(Failure::Rpc(error)) if modern && error.code == MISSING_CLIENT_CAPABILITY => {
            (400, Response::error(Some(id), error))
        }
        Err(Failure::Rpc(error)) => (200, Response::error(Some(id), error)),
        Err(Failure::Rejected(status, error)) => (status, Response::error(Some(id), error)),
        Err(Failure::Gateway(error)) => {
            if error.status() >= 500 {
                eprintln!("{error}");
            }
            let (status, rpc) = rpc_failure(&error);
            (status, Response::error(Some(id), rpc))
        }
    };
    respond::json(
        outparam,
        status,
        &Message::Response(message).to_value(),
        headers,
    );
}

fn rpc_error(
    outparam: ResponseOutparam,
    status: u16,
    id: Option<RequestId>,
    error: ErrorObject,
    headers: &[(String, String)],
) {
    let body = Message::Response(Response::error(id, error)).to_value();
    respond::json(outparam, status, &body, headers);
}

/// An upstream's own JSON-RPC error goes back to the client as it came (in the client's era);
/// anything else is the gateway's 502/504.
pub fn upstream_failure(settings: &Settings, modern: bool, error: UpstreamError) -> Failure {
    match error {
        UpstreamError::JsonRpc {
            code,
            message,
            data,
        } => Failure::Rpc(inbound::relayed_error_for_client(
            modern,
            ErrorObject {
                code,
                message,
                data,
            },
        )),
        other => Failure::Gateway(gateway_error(&settings.server_id, other)),
    }
}

/// The definitions of a `prompts/list` or `resources/templates/list` result as this server
/// serves them (`pins`); other results are left alone.
async fn pin_list(scope: &PinScope, method: &str, result: &mut Value) {
    let (field, kind) = match method {
        METHOD_PROMPTS_LIST => ("prompts", DefinitionKind::Prompt),
        METHOD_RESOURCES_TEMPLATES_LIST => ("resourceTemplates", DefinitionKind::ResourceTemplate),
        _ => return,
    };
    if let Some(Value::Array(items)) = result.get_mut(field) {
        *items = pins::listed(scope, kind, std::mem::take(items)).await;
    }
}

/// Whether `prompts/get` may have prompt `name`: under `enforce`, only when this server's
/// `prompts/list` (every page) serves it, so an unapproved prompt is an unknown one.
async fn prompt_is_served(
    settings: &Settings,
    upstream: &Upstream,
    modern: bool,
    name: &str,
) -> Result<bool, Failure> {
    let Some(scope) = upstream.pin_scope().filter(|scope| scope.enforces()) else {
        return Ok(true);
    };
    let client = upstream.client();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_TOOL_PAGES {
        let params = match &cursor {
            Some(cursor) => json!({"cursor": cursor}),
            None => json!({}),
        };
        let mut page = client
            .forward(METHOD_PROMPTS_LIST, &params)
            .await
            .map_err(|e| upstream_failure(settings, modern, e))?;
        pin_list(scope, METHOD_PROMPTS_LIST, &mut page).await;
        let listed = page["prompts"].as_array().into_iter().flatten();
        if listed.into_iter().any(|prompt| prompt["name"] == name) {
            return Ok(true);
        }
        match page["nextCursor"].as_str() {
            Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
            _ => return Ok(false),
        }
    }
    Ok(false)
}

/// The gateway's identity for this server, titled after the upstream it fronts.
fn server_info(settings: &Settings, upstream: &ServerDescription) -> Implementation {
    let mut info = Implementation::new(
        format!("mcp-gateway/{}", settings.server_id),
        env!("CARGO_PKG_VERSION"),
    );
    let title = upstream.server_info.as_ref().map(|upstream| {
        upstream
            .extra
            .get("title")
            .cloned()
            .unwrap_or_else(|| json!(upstream.name))
    });
    if let Some(title) = title {
        info.extra.insert("title".into(), title);
    }
    info
}

/// What the gateway offers for this server: the upstream's own capabilities, less what it
/// does not relay (list-change and resource-update notifications, tasks, experimental).
fn capabilities(offered: &Value, modern: bool) -> Value {
    let mut capabilities = Map::new();
    for kind in ["tools", "prompts", "resources"] {
        if offered.get(kind).is_some_and(Value::is_object) {
            capabilities.insert(kind.into(), json!({}));
        }
    }
    if offered.get("completions").is_some_and(Value::is_object) {
        capabilities.insert("completions".into(), json!({}));
    }
    // Handshake clients may set a log level; the gateway accepts it (it relays no logs).
    if !modern {
        capabilities.insert("logging".into(), json!({}));
    }
    Value::Object(capabilities)
}

/// Who answers at this endpoint, what it offers and its instructions: the upstream's own
/// (cached), or for the aggregate everything its members may offer.
async fn describe(
    settings: &Settings,
    modern: bool,
) -> Result<(Implementation, Value, Option<String>), Failure> {
    match &settings.target {
        Target::Upstream(_) => {
            let upstream = Upstream::new(settings).map_err(Failure::Gateway)?;
            let description = upstream
                .client()
                .discover()
                .await
                .map_err(|e| upstream_failure(settings, modern, e))?;
            Ok((
                server_info(settings, &description),
                capabilities(&description.capabilities, modern),
                description.instructions,
            ))
        }
        Target::Aggregate { .. } => {
            let mut info = Implementation::new("mcp-gateway", env!("CARGO_PKG_VERSION"));
            info.extra
                .insert("title".into(), json!(settings.server_name));
            let everything =
                json!({"tools": {}, "prompts": {}, "resources": {}, "completions": {}});
            Ok((
                info,
                capabilities(&everything, modern),
                Some(aggregate::INSTRUCTIONS.to_owned()),
            ))
        }
    }
}

async fn answer(
    settings: &Settings,
    inbound: &Inbound,
    decision: &Decision,
    modern: bool,
    request: &Request,
) -> Result<Value, Failure> {
    let params = request.params.clone().unwrap_or(Value::Null);
    let method = request.method.as_str();
    match (method, &settings.target) {
        (METHOD_INITIALIZE | METHOD_DISCOVER, _) => {
            let (info, caps, instructions) = describe(settings, modern).await?;
            let result = if modern {
                let result = inbound::discover_result(
                    &info,
                    caps,
                    instructions,
                    LIST_TTL_MS,
                    CacheScope::Private,
                );
                serde_json::to_value(result)
            } else {
                let requested = params["protocolVersion"].as_str().unwrap_or_default();
                serde_json::to_value(inbound::initialize_result(
                    requested,
                    info,
                    caps,
                    instructions,
                ))
            };
            Ok(result.unwrap_or_default())
        }
        (METHOD_PING | METHOD_LOGGING_SET_LEVEL, _) if !modern => Ok(json!({})),
        (_, Target::Aggregate { members }) => {
            aggregate::answer(settings, members, inbound, decision, modern, request).await
        }
        (METHOD_TOOLS_LIST, Target::Upstream(_)) => {
            let upstream = Upstream::new(settings).map_err(Failure::Gateway)?;
            let list = upstream
                .tools()
                .await
                .map_err(|e| upstream_failure(settings, modern, e))?;
            // Per caller: the relayed result is `cacheScope: private`.
            let tools: Vec<Value> = usable_tools(list.tools, authz::tool_rule(settings, decision))
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
            Ok(inbound::relayed_result_for_client(
                modern,
                method,
                json!({"tools": tools}),
                LIST_TTL_MS,
            ))
        }
        (_, Target::Upstream(_)) if FORWARDED_METHODS.contains(&method) => {
            let upstream = Upstream::new(settings).map_err(Failure::Gateway)?;
            if method == METHOD_PROMPTS_GET {
                let name = params["name"].as_str().unwrap_or_default();
                if !prompt_is_served(settings, &upstream, modern, name).await? {
                    let message = format!("unknown prompt: {name}");
                    return Err(Failure::Rpc(ErrorObject::new(INVALID_PARAMS, message)));
                }
            }
            let mut result = upstream
                .client()
                .forward(method, &params)
                .await
                .map_err(|e| upstream_failure(settings, modern, e))?;
            if let Some(scope) = upstream.pin_scope() {
                pin_list(scope, method, &mut result).await;
            }
            Ok(inbound::relayed_result_for_client(
                modern,
                method,
                result,
                LIST_TTL_MS,
            ))
        }
        (other, Target::Upstream(_)) => Err(Failure::Rpc(ErrorObject::new(
            METHOD_NOT_FOUND,
            format!("method not found: {other}"),
        ))),
    }
}
