//! The client side of one upstream MCP server over Streamable HTTP, in either era.
//!
//! Every request is served by a fresh wasm instance, so the client keeps nothing in memory:
//! the era verdict, the handshake session and the tool list live in the [`StateStore`].
//! In steady state a `tools/call` costs exactly one HTTP request.
//!
//! Caching policy (documented for the gateway):
//! - the era verdict is trusted for [`ERA_RECHECK_MS`], then probed again; it is also
//!   re-probed once when an answer suggests the upstream changed era;
//! - a tool list is kept for its `ttlMs`; when that is absent or 0 (always, for handshake-era
//!   upstreams) for [`DEFAULT_TOOLS_TTL_MS`]. An expired list still supplies the
//!   `Mcp-Param-*` headers of a call; a -32020 answer refreshes it and retries once.

mod probe;
mod reply;
mod state;

#[cfg(test)]
mod tests;

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::headers::{self, ParamHeader, param_header_values, param_headers_of};
use crate::jsonrpc::{
    ErrorObject, HEADER_MISMATCH, MISSING_CLIENT_CAPABILITY, Message, Notification, Request,
    RequestId, UNSUPPORTED_PROTOCOL_VERSION, is_modern_error_code,
};
use crate::transport::{HttpRequest, HttpResponse, HttpTransport, StateStore, TransportError};
use crate::types::{
    CacheScope, CallToolResult, DiscoverResult, FORWARDED_METHODS, Implementation,
    InitializeResult, ListToolsResult, META_CLIENT_CAPABILITIES, META_CLIENT_INFO,
    META_PROTOCOL_VERSION, META_SERVER_INFO, METHOD_DISCOVER, METHOD_INITIALIZE,
    METHOD_INITIALIZED, METHOD_PROMPTS_GET, METHOD_RESOURCES_READ, METHOD_TOOLS_CALL,
    METHOD_TOOLS_LIST, Tool,
};
use crate::versions::{HANDSHAKE_VERSIONS, MODERN_VERSIONS};
use probe::{DiscoverVerdict, classify_discover, classify_initialize, modern_version_offered};
use reply::{Reply, decode, decode_ack};
use state::{CachedTools, Session, UpstreamState, Verdict};

/// How long an era verdict is trusted before the upstream is probed again (1 hour).
pub const ERA_RECHECK_MS: u64 = 60 * 60 * 1000;
/// How long a tool list without a positive `ttlMs` is kept (60 s).
pub const DEFAULT_TOOLS_TTL_MS: u64 = 60 * 1000;
/// A `tools/list` with more pages than this is treated as broken.
pub const MAX_TOOL_PAGES: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamConfig {
    /// The upstream's MCP endpoint, e.g. `https://mcp.linear.app/mcp`.
    pub url: String,
    /// Sent on every request, e.g. the upstream credential (`Authorization: Bearer ...`).
    pub extra_headers: Vec<(String, String)>,
    pub client_info: Implementation,
    /// Passed to the transport with every request.
    pub timeout_ms: Option<u64>,
}

/// Why an upstream call failed, classified for the HTTP status the gateway answers with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpstreamError {
    /// Nothing answered (connection refused, DNS, TLS, reset): 502.
    #[error("upstream unreachable: {0}")]
    Unreachable(String),
    /// 504.
    #[error("upstream timed out")]
    Timeout,
    /// An HTTP status that carries no JSON-RPC answer (5xx, 3xx, a 4xx the era logic could
    /// not resolve): 502.
    #[error("upstream answered HTTP {status}")]
    Status { status: u16 },
    /// Not MCP: invalid JSON, wrong content type, a stream without the response: 502.
    #[error("upstream protocol error: {0}")]
    Protocol(String),
    /// The upstream answered with a JSON-RPC error.
    #[error("upstream error {code}: {message}")]
    JsonRpc {
        code: i64,
        message: String,
        data: Option<Value>,
    },
}

impl From<ErrorObject> for UpstreamError {
    fn from(error: ErrorObject) -> Self {
        UpstreamError::JsonRpc {
            code: error.code,
            message: error.message,
            data: error.data,
        }
    }
}

impl From<TransportError> for UpstreamError {
    fn from(error: TransportError) -> Self {
        match error {
            TransportError::Connect(reason) | TransportError::Other(reason) => {
                UpstreamError::Unreachable(reason)
            }
            TransportError::Timeout => UpstreamError::Timeout,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Era {
    /// 2026-07-28 and later: stateless, `_meta` on every request.
    Modern,
    /// 2025-11-25 and earlier: `initialize` and sessions.
    Handshake,
}

/// What the upstream says about itself, from `server/discover` or `initialize`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerDescription {
    pub era: Era,
    pub protocol_version: String,
    pub server_info: Option<Implementation>,
    pub capabilities: Value,
    pub instructions: Option<String>,
}

impl ServerDescription {
    fn from_discover(version: String, result: DiscoverResult) -> Self {
        let server_info = result
            .extra
            .get("_meta")
            .and_then(|meta| meta.get(META_SERVER_INFO))
            .and_then(|info| serde_json::from_value(info.clone()).ok());
        Self {
            era: Era::Modern,
            protocol_version: version,
            server_info,
            capabilities: result.capabilities,
            instructions: result.instructions,
        }
    }

    fn from_initialize(result: InitializeResult) -> Self {
        Self {
            era: Era::Handshake,
            protocol_version: result.protocol_version,
            server_info: Some(result.server_info),
            capabilities: result.capabilities,
            instructions: result.instructions,
        }
    }
}

/// The upstream's tools, as cached.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolList {
    pub tools: Vec<Tool>,
    pub cache_scope: CacheScope,
    pub expires_at_ms: u64,
    /// Fetched from the upstream by this call (not served from the cache).
    pub fetched: bool,
}

/// Headers that route a modern request.
#[derive(Default)]
struct Routing {
    name: Option<String>,
    params: Vec<(String, String)>,
}

pub struct UpstreamClient<'a, T, S> {
    config: UpstreamConfig,
    transport: &'a T,
    state: UpstreamState<'a, S>,
    now_ms: u64,
    next_id: Cell<i64>,
    requests: Cell<u32>,
}

impl<'a, T: HttpTransport, S: StateStore> UpstreamClient<'a, T, S> {
    /// `now_ms` is the wall clock (ms since the Unix epoch) for cache expiry.
    pub fn new(config: UpstreamConfig, transport: &'a T, store: &'a S, now_ms: u64) -> Self {
        let state = UpstreamState::new(store, &config.url, &config.extra_headers);
        Self {
            config,
            transport,
            state,
            now_ms,
            next_id: Cell::new(1),
            requests: Cell::new(0),
        }
    }

    /// HTTP requests this client has sent so far.
    pub fn http_requests(&self) -> u32 {
        self.requests.get()
    }

    /// The upstream's era, version, identity and capabilities (cached with the era verdict).
    pub async fn discover(&self) -> Result<ServerDescription, UpstreamError> {
        Ok(self.verdict().await?.server)
    }

    /// All tools (every page), from the cache while it is fresh. Tools with invalid
    /// `x-mcp-header` annotations are left out, as the 2026-07-28 spec requires.
    pub async fn list_tools(&self) -> Result<ToolList, UpstreamError> {
        match self.cached_tools() {
            Some(cached) if cached.expires_at_ms > self.now_ms => Ok(cached),
            _ => self.fetch_tools().await,
        }
    }

    /// The last tool list fetched, even past its expiry; never a request.
    pub fn cached_tools(&self) -> Option<ToolList> {
        self.state.tools().map(|cached| ToolList {
            tools: cached.tools,
            cache_scope: cached.cache_scope,
            expires_at_ms: cached.expires_ms,
            fetched: false,
        })
    }

    pub async fn call_tool(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<CallToolResult, UpstreamError> {
        let declared = self
            .state
            .tools()
            .map(|cached| declared_param_headers(&cached.tools, name))
            .unwrap_or_default();
        let params = json!({"name": name, "arguments": arguments});
        let mut routing = Routing {
            name: Some(name.to_owned()),
            params: param_header_values(&declared, &arguments),
        };
        let value = match self.request(METHOD_TOOLS_CALL, &params, &routing).await {
            // Our copy of the tool's x-mcp-header annotations is stale: refresh and retry once.
            Err(UpstreamError::JsonRpc {
                code: HEADER_MISMATCH,
                ..
            }) => {
                let tools = self.fetch_tools().await?;
                let declared = declared_param_headers(&tools.tools, name);
                routing.params = param_header_values(&declared, &arguments);
                self.request(METHOD_TOOLS_CALL, &params, &routing).await?
            }
            other => other?,
        };
        serde_json::from_value(value)
            .map_err(|err| UpstreamError::Protocol(format!("invalid tools/call result: {err}")))
    }

    /// Sends a request the gateway relays as it is (prompts, resources, completion) and returns
    /// the upstream's result. The client's `_meta` is replaced by the gateway's own.
    pub async fn forward(&self, method: &str, params: &Value) -> Result<Value, UpstreamError> {
        if !FORWARDED_METHODS.contains(&method) {
            return Err(UpstreamError::JsonRpc {
                code: crate::jsonrpc::METHOD_NOT_FOUND,
                message: format!("method not found: {method}"),
                data: None,
            });
        }
        let mut params = match params {
            Value::Object(params) => params.clone(),
            _ => Map::new(),
        };
        params.remove("_meta");
        let name_key = match method {
            METHOD_PROMPTS_GET => Some("name"),
            METHOD_RESOURCES_READ => Some("uri"),
            _ => None,
        };
        let routing = Routing {
            name: name_key
                .and_then(|key| params.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned),
            params: Vec::new(),
        };
        self.request(method, &Value::Object(params), &routing).await
    }

    async fn fetch_tools(&self) -> Result<ToolList, UpstreamError> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        let mut ttl_ms = u64::MAX;
        let mut cache_scope = CacheScope::Public;
        for _ in 0..MAX_TOOL_PAGES {
            let params = match &cursor {
                Some(cursor) => json!({"cursor": cursor}),
                None => json!({}),
            };
            let value = self
                .request(METHOD_TOOLS_LIST, &params, &Routing::default())
                .await?;
            let page: ListToolsResult = serde_json::from_value(value).map_err(|err| {
                UpstreamError::Protocol(format!("invalid tools/list result: {err}"))
            })?;
            ttl_ms = ttl_ms.min(match page.ttl_ms {
                Some(ttl) if ttl > 0 => ttl as u64,
                _ => DEFAULT_TOOLS_TTL_MS,
            });
            if page.cache_scope != Some(CacheScope::Public) {
                cache_scope = CacheScope::Private;
            }
            tools.extend(
                page.tools
                    .into_iter()
                    .filter(|tool| param_headers_of(&tool.input_schema).is_ok()),
            );
            cursor = page.next_cursor;
            if cursor.is_none() {
                let cached = CachedTools {
                    tools,
                    cache_scope,
                    expires_ms: self.now_ms.saturating_add(ttl_ms),
                };
                self.state.set_tools(&cached);
                return Ok(ToolList {
                    tools: cached.tools,
                    cache_scope,
                    expires_at_ms: cached.expires_ms,
                    fetched: true,
                });
            }
        }
        Err(UpstreamError::Protocol(format!(
            "tools/list has more than {MAX_TOOL_PAGES} pages"
        )))
    }

    /// Sends one request in the upstream's era and returns its result. Recovers once from a
    /// lost session (re-initialize) and once from a sign that the era changed (re-probe).
    async fn request(
        &self,
        method: &str,
        params: &Value,
        routing: &Routing,
    ) -> Result<Value, UpstreamError> {
        let mut reprobed = false;
        let mut reinitialized = false;
        loop {
            let verdict = self.verdict().await?;
            let reply = match verdict.era {
                Era::Modern => {
                    let reply = self
                        .send_modern(&verdict.version, method, params, routing)
                        .await?;
                    if !reprobed && modern_reply_suggests_other_era(&reply) {
                        self.state.forget_era();
                        reprobed = true;
                        continue;
                    }
                    reply
                }
                Era::Handshake => {
                    let session = match self.state.session() {
                        Some(session) => session,
                        None => match self.start_session().await {
                            Err(UpstreamError::JsonRpc { code, .. })
                                if !reprobed && is_modern_only_code(code) =>
                            {
                                self.state.forget_era();
                                reprobed = true;
                                continue;
                            }
                            other => other?,
                        },
                    };
                    let reply = self.send_handshake(&session, method, params).await?;
                    if !reinitialized && session_lost(&reply) {
                        self.state.forget_session();
                        reinitialized = true;
                        continue;
                    }
                    if !reprobed && handshake_reply_suggests_other_era(&reply) {
                        self.state.forget_era();
                        reprobed = true;
                        continue;
                    }
                    reply
                }
            };
            return match reply {
                Reply::Result(result) => Ok(result),
                Reply::Error { error, .. } => Err(error.into()),
                Reply::Rejected { status } => Err(UpstreamError::Status { status }),
            };
        }
    }

    async fn verdict(&self) -> Result<Verdict, UpstreamError> {
        match self.state.verdict() {
            Some(verdict) if self.now_ms.saturating_sub(verdict.checked_ms) < ERA_RECHECK_MS => {
                Ok(verdict)
            }
            _ => self.probe().await,
        }
    }

    /// Era detection: `server/discover` first; `initialize` when the answer is not modern.
    async fn probe(&self) -> Result<Verdict, UpstreamError> {
        let mut version = MODERN_VERSIONS[0].to_owned();
        for attempt in 0..2 {
            let reply = self
                .send_modern(&version, METHOD_DISCOVER, &json!({}), &Routing::default())
                .await?;
            match classify_discover(reply, &version)? {
                DiscoverVerdict::Modern { version, result } => {
                    let verdict = Verdict {
                        era: Era::Modern,
                        version: version.clone(),
                        server: ServerDescription::from_discover(version, result),
                        checked_ms: self.now_ms,
                    };
                    self.state.forget_session();
                    self.state.set_verdict(&verdict);
                    return Ok(verdict);
                }
                DiscoverVerdict::RetryWith(offered) if attempt == 0 => {
                    version = offered;
                    continue;
                }
                DiscoverVerdict::RetryWith(_) => break,
                DiscoverVerdict::Handshake => {}
            }
            match self.initialize().await {
                Ok((session, server)) => {
                    let verdict = Verdict {
                        era: Era::Handshake,
                        version: session.version.clone(),
                        server,
                        checked_ms: self.now_ms,
                    };
                    self.state.set_session(&session);
                    self.state.set_verdict(&verdict);
                    return Ok(verdict);
                }
                // A modern server after all (e.g. the discover answer was lost in a proxy).
                Err(UpstreamError::JsonRpc {
                    code: UNSUPPORTED_PROTOCOL_VERSION,
                    message,
                    data,
                }) if attempt == 0 => {
                    let error = ErrorObject {
                        code: UNSUPPORTED_PROTOCOL_VERSION,
                        message,
                        data,
                    };
                    match modern_version_offered(&error) {
                        Some(offered) => version = offered,
                        None => return Err(error.into()),
                    }
                }
                Err(err) => return Err(err),
            }
        }
        Err(UpstreamError::Protocol(
            "protocol version negotiation did not converge".into(),
        ))
    }

    /// A new handshake session for an upstream already known to be handshake-era.
    async fn start_session(&self) -> Result<Session, UpstreamError> {
        let (session, _) = self.initialize().await?;
        self.state.set_session(&session);
        Ok(session)
    }

    async fn initialize(&self) -> Result<(Session, ServerDescription), UpstreamError> {
        let params = json!({
            "protocolVersion": HANDSHAKE_VERSIONS[0],
            "capabilities": {},
            "clientInfo": self.config.client_info,
        });
        let (id, message) = self.request_message(METHOD_INITIALIZE, Some(params));
        let response = self.post(self.base_headers(), &message).await?;
        let result = classify_initialize(decode(&response, &id)?)?;
        let session = Session {
            id: response.header(headers::SESSION_ID).map(str::to_owned),
            version: result.protocol_version.clone(),
        };
        let initialized = Message::Notification(Notification {
            method: METHOD_INITIALIZED.into(),
            params: None,
        });
        let ack = self
            .post(self.session_headers(&session), &initialized)
            .await?;
        decode_ack(&ack)?;
        Ok((session, ServerDescription::from_initialize(result)))
    }

    async fn send_modern(
        &self,
        version: &str,
        method: &str,
        params: &Value,
        routing: &Routing,
    ) -> Result<Reply, UpstreamError> {
        let mut params = params.clone();
        let meta = params
            .as_object_mut()
            .expect("request params are objects")
            .entry("_meta")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(meta) = meta {
            meta.insert(META_PROTOCOL_VERSION.into(), json!(version));
            meta.insert(META_CLIENT_CAPABILITIES.into(), json!({}));
            meta.insert(META_CLIENT_INFO.into(), json!(self.config.client_info));
        }
        let (id, message) = self.request_message(method, Some(params));
        let mut headers = self.base_headers();
        headers.push((headers::PROTOCOL_VERSION.into(), version.into()));
        headers.push((headers::METHOD.into(), method.into()));
        if let Some(name) = &routing.name {
            headers.push((headers::NAME.into(), headers::encode_header_value(name)));
        }
        headers.extend(routing.params.iter().cloned());
        let response = self.post(headers, &message).await?;
        decode(&response, &id)
    }

    async fn send_handshake(
        &self,
        session: &Session,
        method: &str,
        params: &Value,
    ) -> Result<Reply, UpstreamError> {
        let (id, message) = self.request_message(method, Some(params.clone()));
        let response = self.post(self.session_headers(session), &message).await?;
        decode(&response, &id)
    }

    fn request_message(&self, method: &str, params: Option<Value>) -> (RequestId, Message) {
        let id = RequestId::Number(self.next_id.get());
        self.next_id.set(self.next_id.get() + 1);
        let message = Message::Request(Request {
            id: id.clone(),
            method: method.into(),
            params,
        });
        (id, message)
    }

    fn base_headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("Accept".to_owned(), headers::ACCEPT_BOTH.to_owned()),
        ];
        headers.extend(self.config.extra_headers.iter().cloned());
        headers
    }

    fn session_headers(&self, session: &Session) -> Vec<(String, String)> {
        let mut headers = self.base_headers();
        headers.push((headers::PROTOCOL_VERSION.into(), session.version.clone()));
        if let Some(id) = &session.id {
            headers.push((headers::SESSION_ID.into(), id.clone()));
        }
        headers
    }

    async fn post(
        &self,
        headers: Vec<(String, String)>,
        message: &Message,
    ) -> Result<HttpResponse, UpstreamError> {
        self.requests.set(self.requests.get() + 1);
        let request = HttpRequest {
            url: self.config.url.clone(),
            headers,
            body: message.to_bytes(),
            timeout_ms: self.config.timeout_ms,
        };
        Ok(self.transport.post(request).await?)
    }
}

fn declared_param_headers(tools: &[Tool], name: &str) -> Vec<ParamHeader> {
    tools
        .iter()
        .find(|tool| tool.name == name)
        .and_then(|tool| param_headers_of(&tool.input_schema).ok())
        .unwrap_or_default()
}

/// A modern server rejecting our request with a non-modern error, or with no JSON-RPC body
/// at all, or no longer supporting our version: probe the era again.
fn modern_reply_suggests_other_era(reply: &Reply) -> bool {
    match reply {
        Reply::Result(_) => false,
        Reply::Rejected { status } => is_era_signal_status(*status),
        Reply::Error { status, error } => {
            is_era_signal_status(*status)
                && (!is_modern_error_code(error.code) || error.code == UNSUPPORTED_PROTOCOL_VERSION)
        }
    }
}

/// Handshake-era servers never use the 2026-07-28 error codes.
fn handshake_reply_suggests_other_era(reply: &Reply) -> bool {
    matches!(reply, Reply::Error { error, .. } if is_modern_only_code(error.code))
}

fn is_modern_only_code(code: i64) -> bool {
    matches!(
        code,
        HEADER_MISMATCH | MISSING_CLIENT_CAPABILITY | UNSUPPORTED_PROTOCOL_VERSION
    )
}

/// Authentication, authorization and rate limiting say nothing about the era.
fn is_era_signal_status(status: u16) -> bool {
    (400..500).contains(&status) && !matches!(status, 401 | 403 | 408 | 429)
}

/// The session is gone: 404 (the spec's signal), or the 400 "No valid session ID" /
/// "Server not initialized" that TypeScript SDK v1 servers such as server-everything send.
fn session_lost(reply: &Reply) -> bool {
    match reply {
        Reply::Rejected { status: 404 } | Reply::Error { status: 404, .. } => true,
        Reply::Error { status: 400, error } if error.code == -32000 => {
            let message = error.message.to_ascii_lowercase();
            message.contains("session") || message.contains("not initialized")
        }
        _ => false,
    }
}
