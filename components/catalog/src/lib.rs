//! The catalog component: `GET /health` (liveness: no auth, no upstream), `GET /` (the servers
//! the caller may use, from the policy the auth component reads, each with the status its route
//! entry last recorded), and the RFC 9728 protected resource metadata under
//! `/.well-known/oauth-protected-resource/...`.

use auth_core::Credentials;
use gateway_core::server_status::{StatusFact, catalog_status, fact_key};
use sealed_kv::SealedKv;
use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response, send};
use spin_sdk::variables;

const AUTH_SERVERS: &str = "http://auth.spin.internal/servers";

#[allow(unsafe_code)]
mod export {
    use spin_sdk::http::{Request, Response};

    #[spin_sdk::http_component]
    async fn handle(request: Request) -> Response {
        super::handle(request).await
    }
}

fn json_response(status: u16, body: &Value, extra: &[(&str, String)]) -> Response {
    let mut builder = Response::builder();
    builder
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store");
    for (name, value) in extra {
        builder.header(*name, value.as_str());
    }
    builder.body(body.to_string()).build()
}

fn header<'a>(request: &'a Request, name: &str) -> &'a str {
    request
        .header(name)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
}

fn base_url(request: &Request) -> String {
    let configured = variables::get("public_url").unwrap_or_default();
    if !configured.trim().is_empty() {
        return configured.trim().trim_end_matches('/').to_string();
    }
    url::Url::parse(header(request, "spin-full-url"))
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

async fn handle(request: Request) -> Response {
    let path = url::Url::parse(header(&request, "spin-full-url"))
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    match (request.method(), path.as_str()) {
        (Method::Get, "/health") => json_response(200, &json!({"status": "ok"}), &[]),
        (Method::Get, "/") => catalog(&request).await,
        (Method::Get, p) if p.starts_with("/.well-known/oauth-protected-resource") => {
            protected_resource(&request, p)
        }
        (_, "/health" | "/") => json_response(
            405,
            &json!({"error": "method_not_allowed", "message": "use GET"}),
            &[("allow", "GET".into())],
        ),
        _ => json_response(
            404,
            &json!({"error": "not_found", "message": "no such endpoint"}),
            &[],
        ),
    }
}

/// RFC 9728 metadata: the gateway is the resource, Entra ID the authorization server.
fn protected_resource(request: &Request, path: &str) -> Response {
    let base = base_url(request);
    let resource_path = path.trim_start_matches("/.well-known/oauth-protected-resource");
    let tenant = variables::get("entra_tenant_id").unwrap_or_default();
    let authority = variables::get("entra_authority").unwrap_or_default();
    let audiences = variables::get("entra_audience").unwrap_or_default();
    let scopes: Vec<String> = audiences
        .split(',')
        .map(str::trim)
        .filter(|a| a.starts_with("api://"))
        .map(|a| format!("{a}/.default"))
        .collect();
    let body = json!({
        "resource": format!("{base}{resource_path}"),
        "authorization_servers": if tenant.is_empty() { vec![] } else { vec![format!("{}/{tenant}/v2.0", authority.trim_end_matches('/'))] },
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "MCP gateway",
    });
    json_response(200, &body, &[])
}

/// The status `server`'s route entry last recorded; `unknown` when none can be read.
fn recorded_status(store: &SealedKv, server: &str) -> (&'static str, Option<u64>) {
    catalog_status(store.get_json::<StatusFact>(&fact_key(server)).as_ref())
}

/// `GET /`: the servers this caller may use, with their endpoints and status.
async fn catalog(request: &Request) -> Response {
    let credentials = Credentials::from_headers(
        request
            .headers()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default())),
    );
    let mut builder = Request::builder();
    builder.method(Method::Get).uri(AUTH_SERVERS);
    for (name, value) in credentials.headers() {
        builder.header(name, value);
    }
    let answer: Response = match send(builder.build()).await {
        Ok(answer) => answer,
        Err(err) => {
            eprintln!("auth component unreachable: {err:?}");
            return json_response(
                503,
                &json!({"error": "unavailable", "message": "authorization is unavailable"}),
                &[],
            );
        }
    };
    let status = *answer.status();
    let body: Value = serde_json::from_slice(answer.body()).unwrap_or(Value::Null);
    if status != 200 {
        let challenge = [(
            "www-authenticate",
            "Bearer realm=\"mcp-gateway\"".to_string(),
        )];
        return json_response(
            if status >= 500 { 503 } else { status },
            &body,
            if status == 401 { &challenge } else { &[] },
        );
    }
    let base = base_url(request);
    let secret = variables::get("gateway_secret").unwrap_or_default();
    let store = SealedKv::open(secret.as_bytes());
    let servers: Vec<Value> = body["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|server| {
            let id = server["id"].as_str().unwrap_or_default();
            let (status, checked_ms) = recorded_status(&store, id);
            json!({
                "id": id,
                "name": server["name"],
                "tier": server["tier"],
                "status": status,
                "status_checked_ms": checked_ms,
                "endpoints": {
                    "info": format!("{base}/{id}"),
                    "openapi": format!("{base}/{id}/openapi.json"),
                    "mcp": format!("{base}/{id}/mcp"),
                },
            })
        })
        .collect();
    json_response(200, &json!({"servers": servers}), &[])
}
