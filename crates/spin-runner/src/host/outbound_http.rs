//! Outbound HTTP as Spin does it: `allowed_outbound_hosts` enforced (a denied request reaches
//! the guest as `HttpRequestDenied`), and `http://<component>.spin.internal` served in process.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use http_body_util::BodyExt;
use url::Url;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::allowed_hosts::chaining_target;
use crate::app::ComponentConfig;
use crate::routes::RouteMatch;
use crate::runtime::Runtime;

const CHAINED_CLIENT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;
type SendFuture =
    Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), Error>> + Send>;

pub struct OutboundHooks {
    runtime: Arc<Runtime>,
    component: Arc<ComponentConfig>,
}

impl OutboundHooks {
    pub fn new(runtime: Arc<Runtime>, component: Arc<ComponentConfig>) -> Self {
        Self { runtime, component }
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_done: IoFuture,
    ) -> SendFuture {
        let runtime = self.runtime.clone();
        let component = self.component.clone();
        Box::new(async move {
            let url =
                Url::parse(&request.uri().to_string()).map_err(|_| Error::HttpRequestUriInvalid)?;
            if !component.allowed_hosts.allows_url(&url) {
                tracing::error!(
                    "Outbound network destination not allowed: {url} (component {}; add it to allowed_outbound_hosts)",
                    component.id
                );
                return Err(Error::HttpRequestDenied);
            }
            let done: IoFuture = Box::new(async { Ok(()) });
            if let Some(target) = chaining_target(&url) {
                if !runtime.has_component(target) {
                    tracing::error!(
                        "Service chaining to unknown component {target:?} from {}",
                        component.id
                    );
                    return Err(Error::DestinationNotFound);
                }
                let route = RouteMatch::chained(target, url.path());
                let response = runtime
                    .handle(route, request, CHAINED_CLIENT_ADDR)
                    .await
                    .map_err(|err| Error::InternalError(Some(err.to_string())))?;
                return Ok((response, done));
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            let io: IoFuture = Box::new(io);
            Ok((response.map(BodyExt::boxed_unsync), io))
        })
    }
}
