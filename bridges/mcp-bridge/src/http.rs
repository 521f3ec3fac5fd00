//! The HTTP surface: `/<server>/mcp` (MCP Streamable HTTP, both eras), `/healthz`, `/readyz`,
//! `/metrics`. The shared-secret check sits in front of MCP and `/metrics` (the probes stay open
//! for the kubelet), the per-server concurrency bound in front of MCP.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use http_body_util::BodyExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::config::{Access, BridgeOptions, StartMode};
use crate::metrics::{Metrics, Rejection};
use crate::proxy::Proxy;
use crate::upstream::{Phase, Upstream};

/// Header carrying the shared secret.
pub const SECRET_HEADER: &str = "x-bridge-secret";
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub struct App {
    routes: HashMap<String, McpRoute>,
    metrics: Arc<Metrics>,
    access: Access,
}

struct McpRoute {
    upstream: Arc<Upstream>,
    service: StreamableHttpService<Proxy, LocalSessionManager>,
    in_flight: Arc<Semaphore>,
}

impl App {
    pub fn new(
        options: &BridgeOptions,
        upstreams: Vec<Arc<Upstream>>,
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
    ) -> Self {
        let mut http = StreamableHttpServerConfig::default()
            .with_max_request_body_bytes(options.max_body_bytes)
            .with_cancellation_token(shutdown);
        http = if options.allowed_hosts.is_empty() {
            http.disable_allowed_hosts()
        } else {
            http.with_allowed_hosts(options.allowed_hosts.clone())
        };
        let routes = upstreams
            .into_iter()
            .map(|upstream| {
                let proxy = Proxy::new(Arc::clone(&upstream), Arc::clone(&metrics));
                let service = StreamableHttpService::new(
                    move || Ok(proxy.clone()),
                    Arc::new(LocalSessionManager::default()),
                    http.clone(),
                );
                let in_flight = Arc::new(Semaphore::new(upstream.config().max_concurrent_requests));
                let route = McpRoute {
                    upstream,
                    service,
                    in_flight,
                };
                (route.upstream.name().to_string(), route)
            })
            .collect();
        Self {
            routes,
            metrics,
            access: options.access.clone(),
        }
    }

    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .route("/{server}/mcp", any(mcp))
            .with_state(self)
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        match &self.access {
            Access::Unauthenticated => true,
            Access::SharedSecret(secret) => headers
                .get(SECRET_HEADER)
                .is_some_and(|given| bool::from(given.as_bytes().ct_eq(secret.as_bytes()))),
        }
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "error": "missing or wrong X-Bridge-Secret" })),
    )
        .into_response()
}

fn json_error(status: StatusCode, message: &str, server: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": message, "server": server })),
    )
        .into_response()
}

async fn mcp(
    State(app): State<Arc<App>>,
    Path(server): Path<String>,
    request: Request,
) -> Response {
    let route = app.routes.get(&server);
    // Before the 404: without the secret, nobody learns which servers exist.
    if !app.authorized(request.headers()) {
        if route.is_some() {
            app.metrics
                .record_rejection(&server, Rejection::Unauthorized);
        }
        return unauthorized();
    }
    let Some(route) = route else {
        return json_error(StatusCode::NOT_FOUND, "unknown server", &server);
    };
    // Only POSTs carry requests; a legacy client's long-lived GET stream takes no slot.
    let permit = if request.method() == Method::POST {
        match Arc::clone(&route.in_flight).try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                app.metrics.record_rejection(&server, Rejection::Overloaded);
                let mut response = json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many concurrent requests",
                    &server,
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return response;
            }
        }
    } else {
        None
    };
    let response = route.service.handle(request).await;
    // The slot is held until the response body (possibly an SSE stream) is finished.
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _slot = &permit;
            frame
        }))
    })
}

async fn healthz() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    let statuses: BTreeMap<_, _> = app
        .routes
        .iter()
        .map(|(name, route)| (name.clone(), route.upstream.status()))
        .collect();
    let ready = statuses
        .values()
        .all(|status| status.start == StartMode::Lazy || status.state == Phase::Ready);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(json!({ "ready": ready, "servers": statuses })),
    )
        .into_response()
}

async fn metrics(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if !app.authorized(&headers) {
        return unauthorized();
    }
    (
        [(header::CONTENT_TYPE, PROMETHEUS_TEXT)],
        app.metrics.encode(),
    )
        .into_response()
}
