use std::process::Command;
use std::time::Duration;

use test_support::ChildGuard;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};

/// The bridge serving server-everything (stdio) as `sonarqube`, on a free port.
fn bridge(dir: &std::path::Path) -> (ChildGuard, String) {
    let entry =
        test_support::node_modules().join("@modelcontextprotocol/server-everything/dist/index.js");
    let config = serde_json::json!({
        "mcpServers": {"sonarqube": {"command": "node", "args": [entry, "stdio"]}}
    });
    std::fs::create_dir_all(dir).unwrap();
    let config_path = dir.join("bridge.json");
    let port_file = dir.join("port");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let child = ChildGuard::spawn(
        Command::new(test_support::bridge_bin())
            .arg("--config")
            .arg(&config_path)
            .args(["--listen", "127.0.0.1:0", "--port-file"])
            .arg(&port_file)
            .stderr(std::process::Stdio::null()),
    );
    for _ in 0..300 {
        if let Ok(addr) = std::fs::read_to_string(&port_file)
            && !addr.trim().is_empty()
        {
            return (child, format!("http://{}/sonarqube/mcp", addr.trim()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the bridge did not report its port");
}

#[test]
fn a_stdio_server_through_the_bridge_and_the_gateway() {
    let dir = std::env::temp_dir().join(format!("mcpgw-stdio-tier-{}", std::process::id()));
    let (_bridge, url) = bridge(&dir);
    let db = Database::create("stdio");
    let gateway = Gateway::start(&db, &upstream("sonarqube", &url));
    let key = db.api_key("e2e", Some(&["sonarqube"]));
    let info = gateway.get("/sonarqube", Some(&key));
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.json()["tier"], "stdio");
    let reply = gateway.post(
        "/sonarqube/echo",
        Some(&key),
        r#"{"message":"through the bridge"}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("through the bridge"), "{}", reply.body);
    let other = db.api_key("other", Some(&["github"]));
    assert_eq!(
        gateway
            .post("/sonarqube/echo", Some(&other), r#"{"message":"x"}"#)
            .status,
        404
    );
    let _ = std::fs::remove_dir_all(&dir);
}
