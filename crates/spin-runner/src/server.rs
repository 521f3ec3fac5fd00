//! The HTTP listener: Spin's well-known routes, the router, and per-request dispatch.
//! Like Spin 3.6.3 it leaves `TCP_NODELAY` off on accepted connections unless asked.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use wasmtime_wasi_http::WasiBody;

use crate::routes::Router;
use crate::runtime::Runtime;

const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

pub struct Server {
    pub router: Router,
    pub runtime: Arc<Runtime>,
    pub app_name: String,
    pub app_version: String,
    pub tcp_nodelay: bool,
}

impl Server {
    pub fn new(
        routes: &[(String, String)],
        app_name: String,
        app_version: String,
        runtime: Arc<Runtime>,
        tcp_nodelay: bool,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            router: Router::build(routes)?,
            runtime,
            app_name,
            app_version,
            tcp_nodelay,
        })
    }

    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> anyhow::Result<()> {
        loop {
            let (stream, client_addr) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!("accept failed: {err}");
                    continue;
                }
            };
            if self.tcp_nodelay {
                let _ = stream.set_nodelay(true);
            }
            let server = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let server = server.clone();
                    async move { Ok::<_, Infallible>(server.handle(request, client_addr).await) }
                });
                if let Err(err) = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!("connection from {client_addr}: {err}");
                }
            });
        }
    }

    async fn handle(
        &self,
        request: http::Request<Incoming>,
        client_addr: SocketAddr,
    ) -> http::Response<WasiBody> {
        let path = request.uri().path().to_string();
        tracing::info!("Processing request on path '{path}'");
        if let Some(well_known) = path.strip_prefix(WELL_KNOWN_PREFIX) {
            return match well_known {
                "health" => text(http::StatusCode::OK, "OK"),
                "info" => self.info(),
                _ => text(http::StatusCode::NOT_FOUND, ""),
            };
        }
        let Some(route) = self.router.route(&path) else {
            return text(http::StatusCode::NOT_FOUND, "");
        };
        match self.runtime.handle(route, request, client_addr).await {
            Ok(response) => response,
            Err(err) => {
                tracing::error!("Error processing request: {err:#}");
                text(http::StatusCode::INTERNAL_SERVER_ERROR, "")
            }
        }
    }

    fn info(&self) -> http::Response<WasiBody> {
        let info = AppInfo {
            name: &self.app_name,
            version: &self.app_version,
        };
        let mut response = text(
            http::StatusCode::OK,
            &serde_json::to_string_pretty(&info).unwrap_or_default(),
        );
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// The body of `/.well-known/spin/info`. Spin 3.6.3 also has an `oci_image_digest`, present only
/// for an application pulled from a registry, which this runner never runs.
#[derive(serde::Serialize)]
struct AppInfo<'a> {
    name: &'a str,
    /// Left out when the manifest has none, as Spin's locked metadata drops empty strings.
    #[serde(skip_serializing_if = "str::is_empty")]
    version: &'a str,
}

fn text(status: http::StatusCode, body: &str) -> http::Response<WasiBody> {
    let body = Full::new(Bytes::from(body.to_string()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    response
}
