//! Pure gateway logic for the HTTP surface of each server: request paths, tool input schemas,
//! OpenAPI documents, argument validation, tool results and the errors that reach the wire.
//!
//! No Spin, no tokio: builds for the host and for `wasm32-wasip2`. Tools and tool results are
//! taken as `serde_json::Value` (the MCP shapes of `tools/list` and `tools/call`), so this crate
//! does not depend on the MCP message types.

pub mod args;
pub mod error;
pub mod openapi;
pub mod path;
pub mod result;
pub mod schema;
pub mod session;

pub use error::GatewayError;
