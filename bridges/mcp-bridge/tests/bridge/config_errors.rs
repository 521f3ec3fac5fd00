//! An unusable config stops the bridge at start with exit status 64 and a clear message.

use std::process::{Command, Output};

use crate::common::scratch_dir;

fn run_with_config(text: &str) -> Output {
    let path = scratch_dir().join("bridge.json");
    std::fs::write(&path, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_mcp-bridge"))
        .arg("--config")
        .arg(&path)
        .args(["--listen", "127.0.0.1:0"])
        .env(
            test_support::ENV_BRIDGE_SECRET,
            test_support::bridge_secret(),
        )
        .env_remove("MCP_BRIDGE_TEST_UNSET")
        .output()
        .expect("run mcp-bridge")
}

fn assert_config_error(text: &str, expected: &str) {
    let output = run_with_config(text);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(64), "{text}: {stderr}");
    assert!(stderr.contains(expected), "{text}: {stderr}");
    assert!(output.stdout.is_empty(), "stdout stays unused");
}

#[test]
fn malformed_json_exits_64() {
    assert_config_error(r#"{"mcpServers": {"#, "the config is not valid");
}

#[test]
fn missing_environment_variable_exits_64() {
    assert_config_error(
        r#"{"mcpServers": {"a": {"command": "x", "env": {"TOKEN": "${MCP_BRIDGE_TEST_UNSET}"}}}}"#,
        "environment variable MCP_BRIDGE_TEST_UNSET is not set",
    );
}

#[test]
fn entry_without_command_or_url_exits_64() {
    assert_config_error(
        r#"{"bridge": {"sharedSecret": "${MCPGW_BRIDGE_SECRET}"}, "mcpServers": {"a": {"args": ["x"]}}}"#,
        "server a: a stdio server needs a \"command\"",
    );
}

#[test]
fn invalid_sse_header_exits_64() {
    assert_config_error(
        r#"{"bridge": {"sharedSecret": "${MCPGW_BRIDGE_SECRET}"}, "mcpServers": {"a": {"type": "sse", "url": "http://127.0.0.1:9/sse", "headers": {"Bad Header": "x"}}}}"#,
        "invalid header",
    );
}

#[test]
fn no_shared_secret_exits_64_unless_unauthenticated_access_is_allowed() {
    assert_config_error(
        r#"{"mcpServers": {"a": {"command": "x"}}}"#,
        "bridge.sharedSecret: is not set",
    );
    assert_config_error(
        r#"{"bridge": {"allowUnauthenticated": false}, "mcpServers": {"a": {"command": "x"}}}"#,
        "\"allowUnauthenticated\": true",
    );
}

#[test]
fn weak_or_contradicting_shared_secret_exits_64() {
    assert_config_error(
        r#"{"bridge": {"sharedSecret": "open-sesame"}, "mcpServers": {"a": {"command": "x"}}}"#,
        "bridge.sharedSecret: must be at least 32 characters",
    );
    assert_config_error(
        r#"{"bridge": {"sharedSecret": "${MCPGW_BRIDGE_SECRET}", "allowUnauthenticated": true}, "mcpServers": {"a": {"command": "x"}}}"#,
        "bridge.allowUnauthenticated: contradicts sharedSecret",
    );
}

#[test]
fn missing_config_file_exits_64() {
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-bridge"))
        .args(["--config", "/nonexistent/bridge.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read the config file"));
}
