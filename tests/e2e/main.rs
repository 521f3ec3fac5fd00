//! End-to-end tests of the gateway: the built wasm components under the runner, a real
//! PostgreSQL policy database and real MCP peers of both protocol eras.

mod common;

mod add_a_server;
mod aggregate;
mod audit;
mod caching;
mod catalog;
mod failures;
mod mcp_endpoint;
mod mcp_rules;
mod open_webui;
mod openapi;
mod paths;
mod pinned_definitions;
mod rest_surface;
mod stdio_tier;
mod tool_policy;
mod upstream_eras;
