//! MCP messages of both protocol eras and a sans-IO upstream client.
//!
//! - [`jsonrpc`], [`types`], [`versions`]: JSON-RPC envelopes, MCP results, revisions.
//! - [`sse`]: incremental `text/event-stream` parser.
//! - [`headers`]: MCP HTTP headers, including the 2026-07-28 routing headers.
//! - [`transport`]: the two I/O traits the gateway's adapters implement.
//! - [`upstream`]: [`UpstreamClient`], which talks to an upstream of either era.
//! - [`inbound`]: helpers for the gateway's own MCP endpoints, serving clients of either era.

pub mod headers;
pub mod inbound;
pub mod jsonrpc;
pub mod sse;
pub mod transport;
pub mod types;
pub mod upstream;
pub mod versions;

pub use transport::{
    HttpRequest, HttpResponse, HttpTransport, MemoryStore, StateStore, TransportError,
};
pub use types::{
    CacheScope, CallToolResult, ContentBlock, DiscoverResult, Implementation, InitializeResult,
    ListToolsResult, Tool,
};
pub use upstream::{
    Era, ServerDescription, ToolList, UpstreamClient, UpstreamConfig, UpstreamError,
};
pub use versions::UnsupportedVersionData;
