//! The REST surface Open WebUI uses: server info, the OpenAPI document and tool calls.

use auth_core::Decision;
use auth_core::audit::Surface;
use auth_core::pins::FLAG_META_KEY;
use gateway_core::GatewayError;
use gateway_core::args::parse_object;
use gateway_core::openapi::{DocumentInfo, ServerTools, server_document};
use gateway_core::pipeline::{prepare_call, usable_tools};
use gateway_core::result::rest_body;
use mcp_proto::types::Tool;
use serde_json::{Value, json};
use spin_sdk::http::{Method, ResponseOutparam};

use crate::Inbound;
use crate::audit::{self, Arguments};
use crate::authz;
use crate::clock;
use crate::respond;
use crate::settings::Settings;
use crate::upstream::{Upstream, gateway_error};

fn method_not_allowed(outparam: ResponseOutparam, allow: &str) {
    let body = json!({"error": "method_not_allowed", "message": format!("use {allow}")});
    respond::json(
        outparam,
        405,
        &body,
        &[("allow".to_string(), allow.to_string())],
    );
}

async fn tools(settings: &Settings) -> Result<Vec<Tool>, GatewayError> {
    let upstream = Upstream::new(settings)?;
    let list = upstream
        .tools()
        .await
        .map_err(|e| gateway_error(&settings.server_id, e))?;
    Ok(list.tools)
}

/// The tools of the public document: the last list cached, even past its expiry (callers who
/// authenticate refresh it), so that anonymous requests never reach the upstream once it has
/// been listed; only before the first list is there one fetch.
async fn public_tools(settings: &Settings) -> Result<Vec<Tool>, GatewayError> {
    let upstream = Upstream::new(settings)?;
    if let Some(cached) = upstream.client().cached_tools() {
        return Ok(upstream.pinned(cached.tools).await);
    }
    let list = upstream
        .tools()
        .await
        .map_err(|e| gateway_error(&settings.server_id, e))?;
    Ok(list.tools)
}

fn as_values(tools: &[Tool]) -> Vec<Value> {
    tools
        .iter()
        .filter_map(|t| serde_json::to_value(t).ok())
        .collect()
}

fn info_of(settings: &Settings) -> DocumentInfo<'_> {
    DocumentInfo {
        title: &settings.server_name,
        version: env!("CARGO_PKG_VERSION"),
        description: "Tools of this MCP server, through the MCP gateway.",
    }
}

/// `GET /<s>`: the server and the tools the caller may use.
pub async fn info(settings: &Settings, inbound: &Inbound, outparam: ResponseOutparam) {
    if inbound.method != Method::Get {
        return method_not_allowed(outparam, "GET");
    }
    let decision = match authz::authorize(settings, inbound, false).await {
        Ok(decision) => decision,
        Err(refusal) => {
            return audit::refused(settings, inbound, Surface::Rest, "", refusal, outparam).await;
        }
    };
    let tools = match tools(settings).await {
        Ok(tools) => usable_tools(tools, authz::tool_rule(settings, &decision)),
        Err(error) => return respond::error(outparam, &error, None),
    };
    // Relative links when the public URL is unknown: a Host header is never echoed.
    let base = format!(
        "{}/{}",
        settings.base_url(&inbound.full_url).unwrap_or_default(),
        settings.server_id
    );
    let body = json!({
        "id": settings.server_id,
        "name": settings.server_name,
        "tier": settings.tier(),
        "status": "ok",
        "endpoints": {"openapi": format!("{base}/openapi.json"), "mcp": format!("{base}/mcp"), "tools": base},
        "tools": tools.iter().map(|t| {
            let mut entry = json!({
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "operationId": gateway_core::openapi::operation_id(&settings.server_id, &t.name),
            });
            // Served under `pin = warn` without approval: said here too, not only in `_meta`.
            if let Some(flag) = t.extra.get("_meta").and_then(|meta| meta.get(FLAG_META_KEY)) {
                entry["approval"] = flag.clone();
            }
            entry
        }).collect::<Vec<_>>(),
    });
    respond::json(outparam, 200, &body, &[]);
}

/// `GET /<s>/openapi.json`: the tools the caller may use. With `openapi_public` an anonymous
/// request gets every tool (Open WebUI fetches it without the user's token; the call is where
/// the caller's tool rule is enforced).
pub async fn openapi(settings: &Settings, inbound: &Inbound, outparam: ResponseOutparam) {
    if inbound.method != Method::Get {
        return method_not_allowed(outparam, "GET");
    }
    let decision = if settings.openapi_public && authz::is_anonymous(inbound) {
        None
    } else {
        match authz::authorize(settings, inbound, false).await {
            Ok(decision) => Some(decision),
            Err(refusal) => {
                return audit::refused(settings, inbound, Surface::Rest, "", refusal, outparam)
                    .await;
            }
        }
    };
    let tools = match &decision {
        None => public_tools(settings).await,
        Some(_) => tools(settings).await,
    };
    let tools = match (tools, &decision) {
        (Ok(tools), Some(decision)) => usable_tools(tools, authz::tool_rule(settings, decision)),
        (Ok(tools), None) => tools,
        (Err(error), _) => return respond::error(outparam, &error, None),
    };
    let values = as_values(&tools);
    let document = server_document(
        &settings.public_url,
        &ServerTools {
            id: &settings.server_id,
            info: info_of(settings),
            tools: &values,
        },
    );
    respond::json(outparam, 200, &document, &[]);
}

/// `POST /<s>/<tool>`: JSON body = the tool's arguments; the answer is the mapped tool result.
pub async fn call(settings: &Settings, inbound: &Inbound, tool: &str, outparam: ResponseOutparam) {
    if inbound.method != Method::Post {
        return method_not_allowed(outparam, "POST");
    }
    let decision = match authz::authorize(settings, inbound, false).await {
        Ok(decision) => decision,
        Err(refusal) => {
            return audit::refused(settings, inbound, Surface::Rest, tool, refusal, outparam).await;
        }
    };
    let started_ms = clock::now_ms();
    let parsed = parse_object(&inbound.body);
    let outcome = match &parsed {
        Ok(arguments) => call_tool(settings, &decision, tool, arguments.clone()).await,
        Err(error) => Err(error.clone()),
    };
    let status = match &outcome {
        Ok(_) => 200,
        Err(error) => error.status(),
    };
    match outcome {
        Ok(body) => respond::json(outparam, 200, &body, &[]),
        Err(error) => respond::error(outparam, &error, None),
    }
    let arguments = match &parsed {
        Ok(arguments) => Arguments::Parsed(arguments),
        Err(_) => Arguments::Unparsed(&inbound.body),
    };
    let call = audit::Call {
        decision: &decision,
        tool,
        surface: Surface::Rest,
        status,
        started_ms,
        arguments,
    };
    audit::record(settings, call).await;
}

async fn call_tool(
    settings: &Settings,
    decision: &Decision,
    tool: &str,
    arguments: serde_json::Map<String, Value>,
) -> Result<Value, GatewayError> {
    let upstream = Upstream::new(settings)?;
    let tools = upstream
        .tools()
        .await
        .map_err(|e| gateway_error(&settings.server_id, e))?;
    let client = upstream.client();
    let may_use = authz::tool_rule(settings, decision);
    let call = prepare_call(&tools.tools, may_use, tool, arguments)?;
    let result = client
        .call_tool(&call.tool.name, Value::Object(call.arguments))
        .await
        .map_err(|e| gateway_error(&settings.server_id, e))?;
    let result = serde_json::to_value(result).map_err(|e| GatewayError::Internal(e.to_string()))?;
    rest_body(&result)
}
