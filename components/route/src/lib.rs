//! The route component: one instance of this wasm per upstream MCP server (`spin.toml` lists it
//! once per server with its own variables). It serves
//! `GET /<s>` (info and tools), `GET /<s>/openapi.json`, `POST /<s>/<tool>` (REST tool call)
//! and `/<s>/mcp` (native MCP, both protocol eras), each authorized by the auth component.
//! One more entry, the aggregate (`members` set), serves `/mcp` and `/openapi.json` over the
//! other entries (see `aggregate`).

mod aggregate;
mod audit;
mod authz;
mod clock;
mod mcp_endpoint;
mod pins;
mod respond;
mod rest;
mod settings;
mod spin_io;
mod upstream;

use spin_sdk::http::{IncomingRequest, Method, ResponseOutparam};

use gateway_core::GatewayError;
use gateway_core::path::RoutePath;
use settings::Target;

#[allow(unsafe_code)]
mod export {
    use spin_sdk::http::{IncomingRequest, ResponseOutparam};

    #[spin_sdk::http_component]
    async fn handle(request: IncomingRequest, outparam: ResponseOutparam) {
        super::handle(request, outparam).await
    }
}

/// What the handler learnt from the request, independent of the Spin types.
pub struct Inbound {
    pub method: Method,
    pub headers: Vec<(String, String)>,
    pub full_url: String,
    pub path_info: String,
    pub body: Vec<u8>,
    /// When the request arrived, for the latency of refusals.
    pub received_ms: u64,
}

impl Inbound {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self) -> &str {
        self.full_url.split_once('?').map_or("", |(_, q)| q)
    }
}

async fn handle(request: IncomingRequest, outparam: ResponseOutparam) {
    let received_ms = clock::now_ms();
    let headers: Vec<(String, String)> = request
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let settings = match settings::Settings::load() {
        Ok(settings) => settings,
        Err(error) => return respond::error(outparam, &error, None),
    };
    let method = request.method();
    let body = match read_body(request, &headers, settings.max_body_bytes).await {
        Ok(body) => body,
        Err(error) => return respond::error(outparam, &error, None),
    };
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let inbound = Inbound {
        method,
        full_url: find("spin-full-url"),
        path_info: find("spin-path-info"),
        headers,
        body,
        received_ms,
    };
    let route = match &settings.target {
        Target::Upstream(_) => {
            RoutePath::parse(&settings.server_id, &inbound.path_info, &inbound.full_url)
        }
        Target::Aggregate { .. } => RoutePath::parse_aggregate(&inbound.full_url),
    };
    let route = match route {
        Ok(route) => route,
        Err(error) => return respond::error(outparam, &error, None),
    };
    match (route, &settings.target) {
        (RoutePath::Mcp, _) => mcp_endpoint::serve(&settings, &inbound, outparam).await,
        (RoutePath::OpenApi, Target::Aggregate { members }) => {
            aggregate::openapi(&settings, members, &inbound, outparam).await
        }
        (RoutePath::OpenApi, Target::Upstream(_)) => {
            rest::openapi(&settings, &inbound, outparam).await
        }
        (RoutePath::Info, _) => rest::info(&settings, &inbound, outparam).await,
        (RoutePath::Tool(tool), _) => rest::call(&settings, &inbound, &tool, outparam).await,
    }
}

/// The request body, refused with 413 as soon as it is known to exceed `limit`: from its
/// `Content-Length` before anything is read, else while it streams in.
async fn read_body(
    request: IncomingRequest,
    headers: &[(String, String)],
    limit: usize,
) -> Result<Vec<u8>, GatewayError> {
    use futures::StreamExt;

    let too_large = GatewayError::PayloadTooLarge { limit };
    let declared = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large);
    }
    let mut stream = request.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| GatewayError::BadRequest("the request body could not be read".into()))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large);
        }
        body.extend(chunk);
    }
    Ok(body)
}
