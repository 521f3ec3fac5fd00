//! The HTTP front: `/mcp` is counted, era-gated and handed to rmcp's Streamable HTTP service;
//! `/stats` serves the counts.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Empty, Full, Limited, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde::Serialize;
use tokio::net::TcpListener;

use crate::config::{Config, Era};
use crate::era_gate;
use crate::server::DemoServer;
use crate::stats::Stats;

pub const MCP_PATH: &str = "/mcp";
pub const STATS_PATH: &str = "/stats";
pub const STATS_RESET_PATH: &str = "/stats/reset";
const SESSION_HEADER: &str = "mcp-session-id";
/// Larger than any message these tools take; rmcp applies its own limit after this one.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

type Body = BoxBody<Bytes, Infallible>;

pub struct App {
    mcp: StreamableHttpService<DemoServer, LocalSessionManager>,
    stats: Stats,
    era: Era,
}

impl App {
    pub fn new(config: &Config) -> Self {
        let server = DemoServer::new(config.era, config.tools_ttl_ms);
        let http_config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(config.era != Era::Modern)
            .with_json_response(!config.sse);
        let mcp = StreamableHttpService::new(
            move || Ok(server.clone()),
            Arc::new(LocalSessionManager::default()),
            http_config,
        );
        Self {
            mcp,
            stats: Stats::default(),
            era: config.era,
        }
    }

    async fn handle(&self, request: Request<Incoming>) -> Response<Body> {
        match (request.method(), request.uri().path()) {
            (_, MCP_PATH) => self.handle_mcp(request).await,
            (&Method::GET, STATS_PATH) => json(StatusCode::OK, &self.stats.snapshot()),
            (&Method::POST, STATS_RESET_PATH) => {
                self.stats.reset();
                empty(StatusCode::NO_CONTENT)
            }
            (_, STATS_PATH | STATS_RESET_PATH) => empty(StatusCode::METHOD_NOT_ALLOWED),
            _ => empty(StatusCode::NOT_FOUND),
        }
    }

    async fn handle_mcp(&self, request: Request<Incoming>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) => {
                self.stats.record(parts.method.as_str(), None);
                return if err.is::<http_body_util::LengthLimitError>() {
                    empty(StatusCode::PAYLOAD_TOO_LARGE)
                } else {
                    tracing::debug!(%err, "request body not read");
                    empty(StatusCode::BAD_REQUEST)
                };
            }
        };
        let message: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
        self.stats.record(parts.method.as_str(), message.as_ref());

        if parts.method == Method::POST
            && let Some(message) = &message
        {
            let has_session = parts.headers.contains_key(SESSION_HEADER);
            if let Some(refusal) = era_gate::check(self.era, message, has_session) {
                tracing::info!(?refusal, era = ?self.era, "refused a message of the other era");
                return json(StatusCode::BAD_REQUEST, &refusal.body());
            }
        }
        self.mcp
            .handle(Request::from_parts(parts, Full::new(bytes)))
            .await
    }
}

fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    let body = serde_json::to_vec(value).expect("response serialises");
    let mut response = Response::new(Full::new(Bytes::from(body)).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Empty::new().boxed());
    *response.status_mut() = status;
    response
}

/// Accepts connections forever, one task per connection.
pub async fn accept_loop(listener: TcpListener, app: Arc<App>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(%err, "accept failed");
                continue;
            }
        };
        tokio::spawn(serve_connection(stream, peer, app.clone()));
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, peer: SocketAddr, app: Arc<App>) {
    let service = service_fn(move |request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.handle(request).await) }
    });
    if let Err(err) = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%peer, %err, "connection ended with an error");
    }
}
