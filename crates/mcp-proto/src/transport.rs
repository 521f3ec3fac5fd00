//! The two I/O seams of the upstream client. The Spin adapter implements them with
//! `spin_sdk::http` and Spin key-value; tests with in-memory fakes.

use std::cell::RefCell;
use std::collections::HashMap;

/// One HTTP request to the upstream MCP endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How long the whole exchange may take; `None` leaves it to the transport.
    pub timeout_ms: Option<u64>,
}

impl HttpRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The complete upstream answer (an SSE reply is read to its end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

pub(crate) fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// Nothing answered: connection refused, DNS failure, TLS failure, reset before a response.
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Other(String),
}

/// POSTs to the upstream. No `Send` bound: wasm components are single-threaded.
#[allow(async_fn_in_trait)]
pub trait HttpTransport {
    async fn post(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Durable key-value state shared by every instance serving this upstream (a fresh wasm
/// instance serves each request). Values are opaque bytes; expiry is encoded inside them.
/// A failing store behaves as an empty one: the adapter logs and returns `None`.
pub trait StateStore {
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    fn set(&self, key: &str, value: &[u8]);
    fn delete(&self, key: &str);
}

/// A [`StateStore`] in memory, for tests and hosts where one process serves every request.
#[derive(Debug, Default)]
pub struct MemoryStore(RefCell<HashMap<String, Vec<u8>>>);

impl MemoryStore {
    pub fn keys(&self) -> Vec<String> {
        self.0.borrow().keys().cloned().collect()
    }
}

impl StateStore for MemoryStore {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.0.borrow().get(key).cloned()
    }

    fn set(&self, key: &str, value: &[u8]) {
        self.0.borrow_mut().insert(key.to_owned(), value.to_vec());
    }

    fn delete(&self, key: &str) {
        self.0.borrow_mut().remove(key);
    }
}
