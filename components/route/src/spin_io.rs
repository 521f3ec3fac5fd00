//! The I/O mcp-proto's upstream client needs, done with Spin: outbound HTTP (with an overall
//! deadline; also the aggregate's `GET`s of member documents); the key-value store every
//! instance shares is `sealed_kv`.

use mcp_proto::transport::{HttpRequest, HttpResponse, HttpTransport, TransportError};
use spin_sdk::http::{Method, Request, Response, SendError, send};

use crate::clock;

pub struct SpinTransport;

impl HttpTransport for SpinTransport {
    async fn post(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        exchange(Method::Post, request).await
    }
}

/// `GET url` with `headers`, within `timeout_ms`.
pub async fn get(request: HttpRequest) -> Result<HttpResponse, TransportError> {
    exchange(Method::Get, request).await
}

/// `POST url` with a JSON `body` to another component of this app (service chaining: the
/// auth component's `/audit` and `/definitions`), without a deadline of its own.
pub async fn post_json(url: &str, body: Vec<u8>) -> Result<HttpResponse, TransportError> {
    let request = HttpRequest {
        url: url.to_owned(),
        headers: vec![("content-type".into(), "application/json".into())],
        body,
        timeout_ms: None,
    };
    exchange(Method::Post, request).await
}

async fn exchange(method: Method, request: HttpRequest) -> Result<HttpResponse, TransportError> {
    let mut builder = Request::builder();
    builder.method(method).uri(request.url.as_str());
    for (name, value) in &request.headers {
        builder.header(name.as_str(), value.as_str());
    }
    let outgoing = builder.body(request.body).build();
    let sent = send::<_, Response>(outgoing);
    let result = match request.timeout_ms {
        Some(ms) => clock::within(std::time::Duration::from_millis(ms), sent)
            .await
            .ok_or(TransportError::Timeout)?,
        None => sent.await,
    };
    let response = result.map_err(classify)?;
    Ok(HttpResponse {
        status: *response.status(),
        headers: response
            .headers()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    value.as_str().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        body: response.into_body(),
    })
}

fn classify(error: SendError) -> TransportError {
    let text = format!("{error:?}");
    let connect = [
        "ConnectionRefused",
        "DnsError",
        "DnsTimeout",
        "DestinationNotFound",
        "DestinationUnavailable",
        "DestinationIpUnroutable",
        "ConnectionTerminated",
        "ConnectionReset",
        "TlsCertificateError",
        "TlsProtocolError",
    ];
    if text.contains("Timeout") {
        TransportError::Timeout
    } else if text.contains("HttpRequestDenied") {
        TransportError::Other("the upstream host is not in allowed_outbound_hosts".into())
    } else if connect.iter().any(|c| text.contains(c)) {
        TransportError::Connect(text)
    } else {
        TransportError::Other(text)
    }
}
