//! End-to-end tests of the bridge binary with real MCP servers and the official Python client.
//! One file per behaviour.

mod common;

mod access;
mod concurrency;
mod config_errors;
mod demo_config;
mod http_limits;
mod operations;
mod restart;
mod shutdown;
mod sse_upstream;
mod stdio_servers;
