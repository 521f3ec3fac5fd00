//! Pure gateway logic for the HTTP surface of each server: request paths, tool input schemas,
//! OpenAPI documents, argument validation, tool results and the errors that reach the wire.
//!
//! No Spin, no tokio: builds for the host and for `wasm32-wasip2`. MCP values are mcp-proto's
//! types; every surface calls tools through [`pipeline`].

pub mod aggregate;
pub mod args;
pub mod error;
pub mod openapi;
pub mod path;
pub mod pipeline;
pub mod public_url;
pub mod result;
pub mod schema;
pub mod server_status;
pub mod session;

pub use error::GatewayError;
