//! The legacy HTTP+SSE transport (MCP 2024-11-05), client side: `GET` the SSE URL, wait for the
//! `endpoint` event, `POST` each message to that endpoint; the server's messages arrive as
//! `message` events on the stream. `rmcp` no longer ships this transport.

use std::borrow::Cow;

use futures::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use rmcp::service::{RoleClient, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use sse_stream::{Sse, SseStream};
use tokio::sync::mpsc;
use url::Url;

use crate::config::SseConfig;

const EVENT_ENDPOINT: &str = "endpoint";
const EVENT_MESSAGE: &str = "message";
const EVENT_STREAM: &str = "text/event-stream";
/// Server messages buffered between the SSE reader and the MCP service.
const INCOMING_CAPACITY: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum SseError {
    #[error("invalid header {0:?}")]
    Header(String),
    #[error("GET {url}: {source}")]
    Connect { url: Url, source: reqwest::Error },
    #[error("GET {url}: HTTP {status}")]
    Status {
        url: Url,
        status: reqwest::StatusCode,
    },
    #[error("the SSE stream ended before its endpoint event")]
    NoEndpoint,
    #[error("endpoint {0:?} is not a URL on the SSE server's origin")]
    ForeignEndpoint(String),
    #[error("POST {url}: {reason}")]
    Post { url: Url, reason: String },
}

/// Builds the header map sent on every request to the server.
pub fn header_map(config: &SseConfig) -> Result<HeaderMap, SseError> {
    let mut headers = HeaderMap::new();
    for (name, value) in &config.headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| SseError::Header(name.clone()))?;
        let value = HeaderValue::from_str(value).map_err(|_| SseError::Header(name.to_string()))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

pub struct SseTransport {
    http: reqwest::Client,
    headers: HeaderMap,
    endpoint: Url,
    incoming: mpsc::Receiver<RxJsonRpcMessage<RoleClient>>,
    reader: tokio::task::JoinHandle<()>,
}

impl SseTransport {
    /// Opens the SSE stream and waits for the `endpoint` event.
    pub async fn connect(
        http: reqwest::Client,
        url: &Url,
        headers: HeaderMap,
    ) -> Result<Self, SseError> {
        let response = http
            .get(url.clone())
            .headers(headers.clone())
            .header(ACCEPT, EVENT_STREAM)
            .send()
            .await
            .map_err(|source| SseError::Connect {
                url: url.clone(),
                source,
            })?;
        if !response.status().is_success() {
            return Err(SseError::Status {
                url: url.clone(),
                status: response.status(),
            });
        }
        let mut events = SseStream::from_bytes_stream(response.bytes_stream());
        let endpoint = loop {
            match events.next().await {
                Some(Ok(event)) if event.event.as_deref() == Some(EVENT_ENDPOINT) => {
                    break resolve_endpoint(url, event.data.as_deref().unwrap_or_default())?;
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(SseError::NoEndpoint),
            }
        };
        let (sender, incoming) = mpsc::channel(INCOMING_CAPACITY);
        let reader = tokio::spawn(async move {
            while let Some(Ok(event)) = events.next().await {
                let Some(message) = server_message(&event) else {
                    continue;
                };
                if sender.send(message).await.is_err() {
                    return;
                }
            }
            // Dropping the sender ends the session: the supervisor reconnects.
        });
        Ok(Self {
            http,
            headers,
            endpoint,
            incoming,
            reader,
        })
    }
}

/// The endpoint event carries a URI reference relative to the SSE URL; the spec requires the
/// same origin, which also keeps credentials from being posted elsewhere.
fn resolve_endpoint(sse_url: &Url, data: &str) -> Result<Url, SseError> {
    let endpoint = sse_url
        .join(data.trim())
        .map_err(|_| SseError::ForeignEndpoint(data.to_string()))?;
    if endpoint.origin() != sse_url.origin() {
        return Err(SseError::ForeignEndpoint(data.to_string()));
    }
    Ok(endpoint)
}

fn server_message(event: &Sse) -> Option<RxJsonRpcMessage<RoleClient>> {
    if !matches!(event.event.as_deref(), None | Some(EVENT_MESSAGE)) {
        return None;
    }
    let data = event.data.as_deref()?;
    match serde_json::from_str(data) {
        Ok(message) => Some(message),
        Err(error) => {
            tracing::warn!(%error, "ignoring an SSE message that is not JSON-RPC");
            None
        }
    }
}

impl Transport<RoleClient> for SseTransport {
    type Error = SseError;

    fn name() -> Cow<'static, str> {
        "legacy-sse".into()
    }

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let request = self
            .http
            .post(self.endpoint.clone())
            .headers(self.headers.clone())
            .header(CONTENT_TYPE, "application/json")
            .json(&item);
        let url = self.endpoint.clone();
        async move {
            let response = request.send().await.map_err(|err| SseError::Post {
                url: url.clone(),
                reason: err.to_string(),
            })?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(SseError::Post {
                    url,
                    reason: format!("HTTP {}", response.status()),
                })
            }
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleClient>>> + Send {
        self.incoming.recv()
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.reader.abort();
        Ok(())
    }
}

impl Drop for SseTransport {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_is_resolved_against_the_sse_url() {
        let sse = Url::parse("http://h:3001/sse").unwrap();
        let endpoint = resolve_endpoint(&sse, "/message?sessionId=abc\n").unwrap();
        assert_eq!(endpoint.as_str(), "http://h:3001/message?sessionId=abc");
        let absolute = resolve_endpoint(&sse, "http://h:3001/m").unwrap();
        assert_eq!(absolute.as_str(), "http://h:3001/m");
    }

    #[test]
    fn endpoint_on_another_origin_is_refused() {
        let sse = Url::parse("http://h:3001/sse").unwrap();
        assert!(matches!(
            resolve_endpoint(&sse, "http://evil:3001/message"),
            Err(SseError::ForeignEndpoint(_))
        ));
        assert!(matches!(
            resolve_endpoint(&sse, "https://h:3001/message"),
            Err(SseError::ForeignEndpoint(_))
        ));
    }

    #[test]
    fn only_message_events_with_json_rpc_are_delivered() {
        let response = r#"{"jsonrpc":"2.0","id":1,"result":{}}"#;
        let message = Sse::default().event("message").data(response);
        assert!(server_message(&message).is_some());
        let unnamed = Sse::default().data(response);
        assert!(server_message(&unnamed).is_some());
        let other = Sse::default().event("endpoint").data(response);
        assert!(server_message(&other).is_none());
        let garbage = Sse::default().event("message").data("not json");
        assert!(server_message(&garbage).is_none());
    }

    #[test]
    fn header_map_rejects_invalid_names() {
        let config = SseConfig {
            url: Url::parse("http://h/sse").unwrap(),
            headers: [("Bad Header".to_string(), "x".to_string())].into(),
        };
        assert!(matches!(header_map(&config), Err(SseError::Header(_))));
        let good = SseConfig {
            url: config.url.clone(),
            headers: [("Authorization".to_string(), "Bearer t".to_string())].into(),
        };
        assert_eq!(header_map(&good).unwrap()["authorization"], "Bearer t");
    }
}
