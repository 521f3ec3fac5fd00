//! End-to-end tests of the demo server: the built binary (or the embedded library) driven by the
//! official MCP SDK clients of both eras and by raw HTTP.

mod common;

mod cli;
mod era_restriction;
mod lib_embedding;
mod python_sdk;
mod sse_mode;
mod stats;
mod typescript_sdk;
