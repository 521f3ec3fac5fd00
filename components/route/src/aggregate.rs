//! The aggregate entry: `/mcp` and `/openapi.json` over every member server the caller may use.
//!
//! Each member is reached as the caller would reach it: its own `/<s>/mcp` (a 2026-07-28
//! upstream to us) or `/<s>/openapi.json`, by service chaining, with the caller's credentials.
//! So the member authorizes the caller (server and tools), validates arguments, calls its
//! upstream and audits the call; the aggregate only fans out, renames
//! (`gateway_core::aggregate`) and routes back. Members are asked in parallel; one that fails
//! or times out is left out of a list (and logged), never the reason the list fails.

use std::future::Future;

use auth_core::audit::Surface;
use auth_core::{Credentials, Decision};
use futures::future::join_all;
use gateway_core::GatewayError;
use gateway_core::aggregate::{exposed_name, exposed_uri, resolve_name, split_name, split_uri};
use gateway_core::openapi::{DocumentInfo, merge_documents};
use mcp_proto::jsonrpc::{ErrorObject, INVALID_PARAMS, METHOD_NOT_FOUND, Request};
use mcp_proto::transport::HttpRequest;
use mcp_proto::types::{
    METHOD_COMPLETION_COMPLETE, METHOD_PROMPTS_GET, METHOD_PROMPTS_LIST, METHOD_RESOURCES_LIST,
    METHOD_RESOURCES_READ, METHOD_RESOURCES_TEMPLATES_LIST, METHOD_TOOLS_LIST,
};
use mcp_proto::upstream::{MAX_TOOL_PAGES, UpstreamError};
use serde_json::{Map, Value, json};
use spin_sdk::http::{Method, ResponseOutparam};

use crate::Inbound;
use crate::audit;
use crate::authz;
use crate::mcp_endpoint::{Failure, LIST_TTL_MS, call_result_for_client, upstream_failure};
use crate::respond;
use crate::settings::Settings;
use crate::spin_io;
use crate::upstream::{Upstream, member_url};
use mcp_proto::inbound;

pub const INSTRUCTIONS: &str = "Every tool, prompt and resource of the MCP servers you may use \
     through this gateway. Tool and prompt names are <server>__<name>; resource URIs are \
     <server>+<uri>.";

/// The members this caller may use, in the entry's order.
fn members<'a>(members: &'a [String], decision: &Decision) -> Vec<&'a str> {
    members
        .iter()
        .map(String::as_str)
        .filter(|member| decision.allows(member))
        .collect()
}

/// `call(member)` for every member at once; the members that failed are logged and left out.
async fn from_members<'a, T, F, Fut>(members: &[&'a str], call: F) -> Vec<(&'a str, T)>
where
    F: Fn(&'a str) -> Fut,
    Fut: Future<Output = Result<T, UpstreamError>>,
{
    let answers = join_all(members.iter().map(|member| call(member))).await;
    members
        .iter()
        .zip(answers)
        .filter_map(|(member, answer)| match answer {
            Ok(value) => Some((*member, value)),
            // The member offers no such list (no prompts, say): nothing to log.
            Err(UpstreamError::JsonRpc {
                code: METHOD_NOT_FOUND,
                ..
            }) => None,
            Err(error) => {
                eprintln!("aggregate: {member} left out: {error}");
                None
            }
        })
        .collect()
}

/// Every page of a relayed list (`prompts/list`, `resources/list`, ...): the entries under `key`.
async fn all_pages(
    upstream: &Upstream,
    method: &str,
    key: &str,
) -> Result<Vec<Value>, UpstreamError> {
    let client = upstream.client();
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_TOOL_PAGES {
        let params = match &cursor {
            Some(cursor) => json!({"cursor": cursor}),
            None => json!({}),
        };
        let mut page = client.forward(method, &params).await?;
        if let Some(Value::Array(items)) = page.get_mut(key).map(Value::take) {
            entries.extend(items);
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(entries),
        }
    }
    Err(UpstreamError::Protocol(format!(
        "{method} has more than {MAX_TOOL_PAGES} pages"
    )))
}

/// What a list method lists, and the field that names each entry.
fn list_shape(method: &str) -> Option<(&'static str, &'static str)> {
    match method {
        METHOD_PROMPTS_LIST => Some(("prompts", "name")),
        METHOD_RESOURCES_LIST => Some(("resources", "uri")),
        METHOD_RESOURCES_TEMPLATES_LIST => Some(("resourceTemplates", "uriTemplate")),
        _ => None,
    }
}

fn rename(entry: &mut Value, field: &str, member: &str) {
    if let Some(original) = entry[field].as_str() {
        let exposed = match field {
            "name" => exposed_name(member, original),
            _ => exposed_uri(member, original),
        };
        entry[field] = Value::from(exposed);
    }
}

fn unknown(what: &str) -> Failure {
    Failure::Rpc(ErrorObject::new(INVALID_PARAMS, format!("unknown {what}")))
}

/// Every method of `/mcp` but the era's own (`initialize`, `server/discover`, `ping`, ...)
/// and `tools/call` ([`call_tool`]).
pub async fn answer(
    settings: &Settings,
    all_members: &[String],
    inbound: &Inbound,
    decision: &Decision,
    modern: bool,
    request: &Request,
) -> Result<Value, Failure> {
    let credentials = authz::credentials(inbound);
    let members = members(all_members, decision);
    let method = request.method.as_str();
    let params = request.params.clone().unwrap_or(Value::Null);
    let result = match method {
        METHOD_TOOLS_LIST => {
            let lists = from_members(&members, |member| {
                let upstream = Upstream::member(settings, member, &credentials);
                async move { upstream.tools().await }
            })
            .await;
            let tools: Vec<Value> = lists
                .into_iter()
                .flat_map(|(member, list)| {
                    list.tools.into_iter().map(move |mut tool| {
                        tool.name = exposed_name(member, &tool.name);
                        if !modern {
                            tool = inbound::tool_for_handshake_client(tool);
                        }
                        tool
                    })
                })
                .filter_map(|tool| serde_json::to_value(tool).ok())
                .collect();
            json!({"tools": tools})
        }
        _ if list_shape(method).is_some() => {
            let (key, field) = list_shape(method).expect("checked above");
            let lists = from_members(&members, |member| {
                let upstream = Upstream::member(settings, member, &credentials);
                async move { all_pages(&upstream, method, key).await }
            })
            .await;
            let mut entries = Vec::new();
            for (member, list) in lists {
                for mut entry in list {
                    rename(&mut entry, field, member);
                    entries.push(entry);
                }
            }
            json!({ key: entries })
        }
        METHOD_PROMPTS_GET => {
            let exposed = params["name"].as_str().unwrap_or_default();
            let (member, upstream) = member_of(settings, &members, &credentials, exposed)?;
            let name = prompt_name(&upstream, member, exposed).await?;
            let mut params = params.clone();
            params["name"] = Value::from(name);
            forward(settings, modern, &upstream, method, &params).await?
        }
        METHOD_RESOURCES_READ => {
            let exposed = params["uri"].as_str().unwrap_or_default();
            let (member, uri) = split_uri(exposed)
                .filter(|(member, _)| members.contains(member))
                .ok_or_else(|| unknown("resource"))?;
            let upstream = Upstream::member(settings, member, &credentials);
            let mut params = params.clone();
            params["uri"] = Value::from(uri);
            let mut result = forward(settings, modern, &upstream, method, &params).await?;
            for content in result["contents"].as_array_mut().into_iter().flatten() {
                rename(content, "uri", member);
            }
            result
        }
        METHOD_COMPLETION_COMPLETE => {
            let reference = &params["ref"];
            let (upstream, original) = match reference["type"].as_str() {
                Some("ref/prompt") => {
                    let exposed = reference["name"].as_str().unwrap_or_default();
                    let (member, upstream) = member_of(settings, &members, &credentials, exposed)?;
                    let name = prompt_name(&upstream, member, exposed).await?;
                    (upstream, json!({"type": "ref/prompt", "name": name}))
                }
                Some("ref/resource") => {
                    let exposed = reference["uri"].as_str().unwrap_or_default();
                    let (member, uri) = split_uri(exposed)
                        .filter(|(member, _)| members.contains(member))
                        .ok_or_else(|| unknown("resource"))?;
                    let upstream = Upstream::member(settings, member, &credentials);
                    (upstream, json!({"type": "ref/resource", "uri": uri}))
                }
                _ => return Err(unknown("completion reference")),
            };
            let mut params = params.clone();
            params["ref"] = original;
            forward(settings, modern, &upstream, method, &params).await?
        }
        other => {
            return Err(Failure::Rpc(ErrorObject::new(
                METHOD_NOT_FOUND,
                format!("method not found: {other}"),
            )));
        }
    };
    Ok(inbound::relayed_result_for_client(
        modern,
        method,
        result,
        LIST_TTL_MS,
    ))
}

/// The member a tool or prompt name belongs to, if the caller may use it.
fn member_of<'a>(
    settings: &Settings,
    members: &[&'a str],
    credentials: &Credentials,
    exposed: &str,
) -> Result<(&'a str, Upstream), Failure> {
    let member = split_name(exposed)
        .and_then(|(server, _)| members.iter().find(|member| **member == server))
        .ok_or_else(|| unknown("name"))?;
    Ok((member, Upstream::member(settings, member, credentials)))
}

async fn prompt_name(upstream: &Upstream, member: &str, exposed: &str) -> Result<String, Failure> {
    let prompts = all_pages(upstream, METHOD_PROMPTS_LIST, "prompts")
        .await
        .map_err(|error| Failure::Gateway(GatewayError::from(error)))?;
    resolve_name(
        member,
        exposed,
        prompts.iter().filter_map(|prompt| prompt["name"].as_str()),
    )
    .map(str::to_owned)
    .ok_or_else(|| unknown("prompt"))
}

async fn forward(
    settings: &Settings,
    modern: bool,
    upstream: &Upstream,
    method: &str,
    params: &Value,
) -> Result<Value, Failure> {
    upstream
        .client()
        .forward(method, params)
        .await
        .map_err(|error| upstream_failure(settings, modern, error))
}

/// `tools/call` of `<s>__<tool>`: the member's own tool, by the member's own pipeline.
pub async fn call_tool(
    settings: &Settings,
    all_members: &[String],
    inbound: &Inbound,
    decision: &Decision,
    modern: bool,
    name: &str,
    arguments: Map<String, Value>,
) -> Result<Value, Failure> {
    let credentials = authz::credentials(inbound);
    let members = members(all_members, decision);
    let not_found = || Failure::Gateway(GatewayError::NotFound);
    let (member, upstream) =
        member_of(settings, &members, &credentials, name).map_err(|_| not_found())?;
    let tools = upstream
        .tools()
        .await
        .map_err(|error| upstream_failure(settings, modern, error))?;
    let client = upstream.client();
    let tool = resolve_name(member, name, tools.tools.iter().map(|t| t.name.as_str()))
        .ok_or_else(not_found)?;
    let result = client
        .call_tool(tool, Value::Object(arguments))
        .await
        .map_err(|error| upstream_failure(settings, modern, error))?;
    call_result_for_client(modern, result)
}

/// `GET /openapi.json`: the members' own documents, merged. Each member answers as it would
/// the caller (with their credentials, or none: then only members whose document is public
/// are in it), so what is hidden from the caller stays hidden here.
pub async fn openapi(
    settings: &Settings,
    all_members: &[String],
    inbound: &Inbound,
    outparam: ResponseOutparam,
) {
    if inbound.method != Method::Get {
        let body = json!({"error": "method_not_allowed", "message": "use GET"});
        return respond::json(outparam, 405, &body, &[("allow".into(), "GET".into())]);
    }
    let credentials = authz::credentials(inbound);
    let anonymous = authz::is_anonymous(inbound);
    let members: Vec<&str> = if anonymous {
        all_members.iter().map(String::as_str).collect()
    } else {
        match authz::authorize(settings, inbound, false).await {
            Ok(decision) => members(all_members, &decision),
            Err(refusal) => {
                return audit::refused(settings, inbound, Surface::Rest, "", refusal, outparam)
                    .await;
            }
        }
    };
    let headers: Vec<(String, String)> = credentials
        .headers()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let documents = from_members(&members, |member| {
        let request = HttpRequest {
            url: member_url(member, "openapi.json"),
            headers: headers.clone(),
            body: Vec::new(),
            timeout_ms: Some(settings.timeout.as_millis() as u64),
        };
        async move { member_document(request).await }
    })
    .await;
    let documents: Vec<(&str, &Value)> = documents
        .iter()
        .filter_map(|(member, document)| Some((*member, document.as_ref()?)))
        .collect();
    if anonymous && documents.is_empty() {
        let refusal = authz::unauthenticated(settings, inbound, false, "credentials required");
        return audit::refused(settings, inbound, Surface::Rest, "", refusal, outparam).await;
    }
    let info = DocumentInfo {
        title: &settings.server_name,
        version: env!("CARGO_PKG_VERSION"),
        description: "Every tool of the MCP servers you may use, through the MCP gateway.",
    };
    let document = merge_documents(&settings.public_url, &info, &documents);
    respond::json(outparam, 200, &document, &[]);
}

/// A member's OpenAPI document; `None` when the member does not serve it to this caller.
async fn member_document(request: HttpRequest) -> Result<Option<Value>, UpstreamError> {
    let response = spin_io::get(request).await?;
    match response.status {
        200 => serde_json::from_slice(&response.body)
            .map(Some)
            .map_err(|err| UpstreamError::Protocol(format!("invalid OpenAPI document: {err}"))),
        401 | 404 => Ok(None),
        status => Err(UpstreamError::Status { status }),
    }
}
