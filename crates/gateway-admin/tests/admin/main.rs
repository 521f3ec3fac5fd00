//! The admin CLI against real PostgreSQL: each test creates its own database and migrates it.

mod api_keys;
mod audit;
mod bad_input;
mod common;
mod definitions;
mod migrations;
mod seed_policy;
mod servers_sync;
mod tool_rules;
