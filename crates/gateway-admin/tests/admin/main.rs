//! The admin CLI against real PostgreSQL: each test creates its own database and migrates it.

mod api_keys;
mod audit;
mod bad_input;
mod common;
mod manifest_drift;
mod migrations;
mod seed_policy;
mod tool_rules;
