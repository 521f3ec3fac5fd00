//! The STDIO tier: a stdio server through mcp-bridge and the gateway, the bridge closed as shipped.
//! The route sends `bridge_secret`; without it, nothing leaves the gateway; with another one, the
//! bridge refuses.

use std::process::Command;
use std::time::Duration;

use test_support::ChildGuard;

use crate::common::db::Database;
use crate::common::gateway::{BRIDGE_SECRET_VARIABLE, Gateway, upstream};

const REFUSED: &str =
    r#"mcp_bridge_rejected_requests_total{server="sonarqube",reason="Unauthorized"}"#;

/// The bridge serving server-everything (stdio) as `sonarqube` on a free port, requiring this
/// process's secret (which [`Gateway::start`] gives the gateway).
struct Bridge {
    addr: String,
    dir: std::path::PathBuf,
    _child: ChildGuard,
}

impl Bridge {
    fn start(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("mcpgw-{name}-{}", std::process::id()));
        let entry = test_support::node_modules()
            .join("@modelcontextprotocol/server-everything/dist/index.js");
        let config = serde_json::json!({
            "bridge": {"sharedSecret": format!("${{{}}}", test_support::ENV_BRIDGE_SECRET)},
            "mcpServers": {"sonarqube": {"command": "node", "args": [entry, "stdio"]}}
        });
        std::fs::create_dir_all(&dir).unwrap();
        let config_path = dir.join("bridge.json");
        let port_file = dir.join("port");
        std::fs::write(&config_path, config.to_string()).unwrap();
        let child = ChildGuard::spawn(
            Command::new(test_support::bridge_bin())
                .arg("--config")
                .arg(&config_path)
                .args(["--listen", "127.0.0.1:0", "--port-file"])
                .arg(&port_file)
                .env(
                    test_support::ENV_BRIDGE_SECRET,
                    test_support::bridge_secret(),
                )
                .stderr(std::process::Stdio::null()),
        );
        for _ in 0..300 {
            if let Ok(addr) = std::fs::read_to_string(&port_file)
                && !addr.trim().is_empty()
            {
                return Self {
                    addr: addr.trim().to_owned(),
                    dir,
                    _child: child,
                };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the bridge did not report its port");
    }

    fn url(&self) -> String {
        format!("http://{}/sonarqube/mcp", self.addr)
    }

    /// One series of the bridge's `/metrics` (read with the secret), if present.
    fn metric(&self, series: &str) -> Option<f64> {
        let text = reqwest::blocking::Client::new()
            .get(format!("http://{}/metrics", self.addr))
            .header("x-bridge-secret", test_support::bridge_secret())
            .send()
            .and_then(|response| response.error_for_status())
            .and_then(|response| response.text())
            .expect("the bridge's metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_stdio_server_through_the_bridge_and_the_gateway() {
    let bridge = Bridge::start("stdio-tier");
    let db = Database::create("stdio");
    let gateway = Gateway::start(&db, &upstream("sonarqube", &bridge.url()));
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
    assert_eq!(bridge.metric(REFUSED), None, "every request had the secret");
}

#[test]
fn without_the_bridge_secret_the_route_sends_nothing() {
    let bridge = Bridge::start("stdio-tier-no-secret");
    let db = Database::create("stdio_no_secret");
    let mut env = upstream("sonarqube", &bridge.url());
    env.push((BRIDGE_SECRET_VARIABLE.into(), String::new()));
    let gateway = Gateway::start(&db, &env);
    let key = db.api_key("e2e", Some(&["sonarqube"]));
    let reply = gateway.post("/sonarqube/echo", Some(&key), r#"{"message":"x"}"#);
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.json()["error"], "not_configured", "{}", reply.body);
    assert!(
        gateway
            .log()
            .contains("bridge secret (bridge_secret) is not set"),
        "{}",
        gateway.log()
    );
    let calls = r#"mcp_bridge_requests_total{server="sonarqube",method="tools/call"}"#;
    assert_eq!(bridge.metric(calls), None, "nothing reached the bridge");
    assert_eq!(bridge.metric(REFUSED), None, "nothing reached the bridge");
}

#[test]
fn a_gateway_with_another_secret_is_refused_by_the_bridge() {
    let bridge = Bridge::start("stdio-tier-wrong-secret");
    let db = Database::create("stdio_wrong_secret");
    let mut env = upstream("sonarqube", &bridge.url());
    env.push((BRIDGE_SECRET_VARIABLE.into(), test_support::random_secret()));
    let gateway = Gateway::start(&db, &env);
    let key = db.api_key("e2e", Some(&["sonarqube"]));
    let reply = gateway.post("/sonarqube/echo", Some(&key), r#"{"message":"x"}"#);
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert!(
        bridge.metric(REFUSED).is_some_and(|refused| refused >= 1.0),
        "the bridge refused the gateway"
    );
}
