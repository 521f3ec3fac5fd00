//! The MCP server the gateway talks to: every request is forwarded to the upstream's shared
//! client connection. rmcp's server side answers both protocol eras and adapts results to the
//! caller's era (result types, cache hints, legacy structured content).

use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ClientRequest, CompleteRequestParams, CompleteResult,
    DiscoverResult, GetPromptRequestParams, GetPromptResponse, Implementation,
    InitializeRequestParams, InitializeResult, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ProgressNotificationParam,
    ProgressToken, PromptsCapability, ReadResourceRequestParams, ReadResourceResponse, Request,
    RequestOptionalParam, RequestParamsMeta, ResourcesCapability, ResultType, ServerCapabilities,
    ServerConfig, ServerResult, ToolsCapability,
};
use rmcp::service::{PeerRequestOptions, RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler, ServiceError};
use serde_json::json;
use tokio::sync::mpsc;

use crate::metrics::{ErrorKind, Metrics};
use crate::upstream::{PROGRESS_BUFFER, Upstream};

/// JSON-RPC code for "the upstream is down or its connection broke" (implementation-defined range).
pub const CODE_UPSTREAM_UNAVAILABLE: i32 = -32000;
/// JSON-RPC code for "the upstream did not answer in time".
pub const CODE_UPSTREAM_TIMEOUT: i32 = -32001;

#[derive(Clone)]
pub struct Proxy {
    upstream: Arc<Upstream>,
    metrics: Arc<Metrics>,
}

struct Failure {
    kind: ErrorKind,
    error: McpError,
}

impl Proxy {
    pub fn new(upstream: Arc<Upstream>, metrics: Arc<Metrics>) -> Self {
        Self { upstream, metrics }
    }

    async fn forward(
        &self,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, McpError> {
        let method = request.method().to_string();
        let started = Instant::now();
        let in_flight = self.metrics.in_flight(self.upstream.name());
        let outcome = self.send(request, context).await;
        drop(in_flight);
        self.metrics.record_request(
            self.upstream.name(),
            &method,
            started.elapsed(),
            outcome.as_ref().err().map(|failure| failure.kind),
        );
        let mut result = outcome.map_err(|failure| failure.error)?;
        mark_complete(&mut result);
        Ok(result)
    }

    async fn send(
        &self,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, Failure> {
        let name = self.upstream.name();
        let timeout = self.upstream.config().request_timeout;
        let deadline = Instant::now() + timeout;
        let peer = self
            .upstream
            .peer(timeout)
            .await
            .map_err(|err| unavailable(name, err.to_string()))?;
        let mut options = PeerRequestOptions::no_options();
        options.timeout = Some(deadline.saturating_duration_since(Instant::now()));
        let handle = peer
            .send_request_with_option(request, options)
            .await
            .map_err(|err| service_failure(name, err))?;
        let cancel = UpstreamCancel {
            peer: handle.peer.clone(),
            id: Some(handle.id.clone()),
        };
        let (updates, mut progress) = mpsc::channel(PROGRESS_BUFFER);
        let downstream_token = context.meta.get_progress_token();
        let _route = downstream_token.as_ref().map(|_| {
            self.upstream
                .progress_routes()
                .register(handle.progress_token.clone(), updates)
        });
        let response = handle.await_response();
        tokio::pin!(response);
        let result = loop {
            tokio::select! {
                biased;
                Some(update) = progress.recv() => relay(context, &downstream_token, update).await,
                result = &mut response => break result,
                () = context.ct.cancelled() => break Err(ServiceError::Cancelled { reason: None }),
            }
        };
        // Updates that arrived just before the result still go out ahead of it.
        while let Ok(update) = progress.try_recv() {
            relay(context, &downstream_token, update).await;
        }
        if !matches!(result, Err(ServiceError::Cancelled { .. })) {
            cancel.disarm();
        }
        result.map_err(|err| service_failure(name, err))
    }

    async fn ensure_ready(&self) -> Result<(), McpError> {
        self.upstream
            .peer(self.upstream.config().request_timeout)
            .await
            .map(drop)
            .map_err(|err| unavailable(self.upstream.name(), err.to_string()).error)
    }
}

/// Tells the upstream to stop working on a request the downstream client gave up on.
struct UpstreamCancel {
    peer: rmcp::Peer<rmcp::service::RoleClient>,
    id: Option<rmcp::model::RequestId>,
}

impl UpstreamCancel {
    fn disarm(mut self) {
        self.id = None;
    }
}

impl Drop for UpstreamCancel {
    fn drop(&mut self) {
        let Some(request_id) = self.id.take() else {
            return;
        };
        let peer = self.peer.clone();
        tokio::spawn(async move {
            let params = rmcp::model::CancelledNotificationParam::new(
                Some(request_id),
                Some("the bridge's client cancelled the request".into()),
            );
            let _ = peer.notify_cancelled(params).await;
        });
    }
}

/// Sends an upstream progress update to the downstream client under the token it chose.
async fn relay(
    context: &RequestContext<RoleServer>,
    downstream_token: &Option<ProgressToken>,
    mut update: ProgressNotificationParam,
) {
    let Some(token) = downstream_token else {
        return;
    };
    update.progress_token = token.clone();
    if let Err(error) = context.peer.notify_progress(update).await {
        tracing::debug!(%error, "progress update not delivered");
    }
}

fn unavailable(server: &str, reason: String) -> Failure {
    Failure {
        kind: ErrorKind::Unavailable,
        error: McpError::new(
            rmcp::model::ErrorCode(CODE_UPSTREAM_UNAVAILABLE),
            format!("upstream server {server} is unavailable"),
            Some(json!({ "server": server, "reason": reason })),
        ),
    }
}

fn service_failure(server: &str, error: ServiceError) -> Failure {
    match error {
        ServiceError::McpError(error) => Failure {
            kind: ErrorKind::Upstream,
            error,
        },
        ServiceError::Timeout { timeout } => Failure {
            kind: ErrorKind::Timeout,
            error: McpError::new(
                rmcp::model::ErrorCode(CODE_UPSTREAM_TIMEOUT),
                format!("upstream server {server} did not answer in time"),
                Some(json!({ "server": server, "timeoutMs": timeout.as_millis() as u64 })),
            ),
        },
        other => unavailable(server, other.to_string()),
    }
}

/// Handshake-era upstreams send no `resultType`; 2026-07-28 callers require it. rmcp strips
/// `"complete"` again for handshake-era callers.
fn mark_complete(result: &mut ServerResult) {
    let result_type = match result {
        ServerResult::CompleteResult(r) => &mut r.result_type,
        ServerResult::GetPromptResult(r) => &mut r.result_type,
        ServerResult::ListPromptsResult(r) => &mut r.result_type,
        ServerResult::ListResourcesResult(r) => &mut r.result_type,
        ServerResult::ListResourceTemplatesResult(r) => &mut r.result_type,
        ServerResult::ReadResourceResult(r) => &mut r.result_type,
        ServerResult::ListToolsResult(r) => &mut r.result_type,
        ServerResult::CallToolResult(r) => &mut r.result_type,
        _ => return,
    };
    result_type.get_or_insert(ResultType::COMPLETE);
}

fn unexpected(result: ServerResult) -> McpError {
    tracing::warn!(?result, "upstream answered with a result of another type");
    McpError::internal_error("the upstream answered with an unexpected result type", None)
}

/// Downstream `_meta` (progress token, protocol fields) is not forwarded: the bridge's own client
/// session stamps what the upstream's era needs.
fn without_meta<P: RequestParamsMeta>(mut params: P) -> P {
    *params.meta_mut() = None;
    params
}

fn request<M: Default, P: RequestParamsMeta>(params: P) -> Request<M, P> {
    Request::new(without_meta(params))
}

fn optional_request<M: Default, P: RequestParamsMeta + Default>(
    params: Option<P>,
) -> RequestOptionalParam<M, P> {
    match params {
        Some(params) => RequestOptionalParam::with_param(without_meta(params)),
        None => RequestOptionalParam::default(),
    }
}

/// The capabilities this bridge forwards: list-changed and subscription notifications, logging
/// and tasks are not bridged, so they are not advertised.
fn bridged_capabilities(upstream: &ServerCapabilities) -> ServerCapabilities {
    let mut capabilities = ServerCapabilities::default();
    capabilities.tools = upstream.tools.as_ref().map(|_| ToolsCapability::default());
    capabilities.prompts = upstream
        .prompts
        .as_ref()
        .map(|_| PromptsCapability::default());
    capabilities.resources = upstream
        .resources
        .as_ref()
        .map(|_| ResourcesCapability::default());
    capabilities.completions = upstream.completions.clone();
    capabilities
}

impl ServerHandler for Proxy {
    fn get_info(&self) -> ServerConfig {
        let (capabilities, server_info, instructions) = match self.upstream.peer_info() {
            Some(info) => (
                bridged_capabilities(&info.capabilities),
                info.server_info.clone(),
                info.instructions.clone(),
            ),
            None => {
                let mut capabilities = ServerCapabilities::default();
                capabilities.tools = Some(ToolsCapability::default());
                (capabilities, None, None)
            }
        };
        let mut config = InitializeResult::new(capabilities);
        config.server_info = server_info.unwrap_or_else(|| {
            Implementation::new(self.upstream.name(), env!("CARGO_PKG_VERSION"))
        });
        config.instructions = instructions;
        config
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        self.ensure_ready().await?;
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn discover(
        &self,
        _context: RequestContext<RoleServer>,
    ) -> Result<DiscoverResult, McpError> {
        self.ensure_ready().await?;
        Ok(DiscoverResult::from_server_info(
            self.supported_protocol_versions().into_owned(),
            self.get_info(),
        ))
    }

    async fn list_tools(
        &self,
        params: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let request = ClientRequest::ListToolsRequest(optional_request(params));
        match self.forward(request, &context).await? {
            ServerResult::ListToolsResult(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    async fn call_tool(
        &self,
        params: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let request = ClientRequest::CallToolRequest(request(params));
        match self.forward(request, &context).await? {
            ServerResult::CallToolResult(result) => Ok(CallToolResponse::Complete(result)),
            other => Err(unexpected(other)),
        }
    }

    async fn list_prompts(
        &self,
        params: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let request = ClientRequest::ListPromptsRequest(optional_request(params));
        match self.forward(request, &context).await? {
            ServerResult::ListPromptsResult(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    async fn get_prompt(
        &self,
        params: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let request = ClientRequest::GetPromptRequest(request(params));
        match self.forward(request, &context).await? {
            ServerResult::GetPromptResult(result) => Ok(GetPromptResponse::Complete(result)),
            other => Err(unexpected(other)),
        }
    }

    async fn list_resources(
        &self,
        params: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let request = ClientRequest::ListResourcesRequest(optional_request(params));
        match self.forward(request, &context).await? {
            ServerResult::ListResourcesResult(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    async fn list_resource_templates(
        &self,
        params: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        let request = ClientRequest::ListResourceTemplatesRequest(optional_request(params));
        match self.forward(request, &context).await? {
            ServerResult::ListResourceTemplatesResult(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    async fn read_resource(
        &self,
        params: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let request = ClientRequest::ReadResourceRequest(request(params));
        match self.forward(request, &context).await? {
            ServerResult::ReadResourceResult(result) => Ok(ReadResourceResponse::Complete(result)),
            other => Err(unexpected(other)),
        }
    }

    async fn complete(
        &self,
        params: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let request = ClientRequest::CompleteRequest(request(params));
        match self.forward(request, &context).await? {
            ServerResult::CompleteResult(result) => Ok(result),
            other => Err(unexpected(other)),
        }
    }
}
