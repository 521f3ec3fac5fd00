use std::io::{Read, Write};
use std::net::TcpListener;

use demo_mcp_server::Era;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::peers::Demo;

#[test]
fn upstream_down_is_502() {
    let db = Database::create("down");
    let port = test_support::free_port();
    let gateway = Gateway::start(
        &db,
        &upstream("demo", &format!("http://127.0.0.1:{port}/mcp")),
    );
    let key = db.api_key("e2e", None);
    let reply = gateway.post("/demo/echo", Some(&key), r#"{"message":"x"}"#);
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert_eq!(reply.json()["error"], "upstream_unreachable");
    assert!(
        !reply.body.contains("upstream-test-token"),
        "no secret in error bodies"
    );
}

#[test]
fn upstream_hang_is_504_at_the_servers_timeout() {
    let db = Database::create("hang");
    let demo = Demo::start(Era::Both, false);
    let mut env = upstream("demo", &demo.url());
    env.push(("SPIN_VARIABLE_DEMO_TIMEOUT".into(), "1".into()));
    let gateway = Gateway::start(&db, &env);
    let key = db.api_key("e2e", None);
    assert_eq!(
        gateway
            .post("/demo/echo", Some(&key), r#"{"message":"warm"}"#)
            .status,
        200
    );
    let reply = gateway.post("/demo/slow", Some(&key), r#"{"ms":20000}"#);
    assert_eq!(reply.status, 504, "{}", reply.body);
    assert_eq!(reply.json()["error"], "upstream_timeout");
    assert_eq!(
        gateway
            .post("/demo/slow", Some(&key), r#"{"ms":10}"#)
            .status,
        200,
        "its twin within the timeout"
    );
}

/// Answers every request with an HTML page: not MCP.
fn garbage_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf);
            let body = "<html>hello</html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/mcp")
}

#[test]
fn upstream_garbage_is_502() {
    let db = Database::create("garbage");
    let gateway = Gateway::start(&db, &upstream("demo", &garbage_server()));
    let key = db.api_key("e2e", None);
    let reply = gateway.post("/demo/echo", Some(&key), r#"{"message":"x"}"#);
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert!(!reply.body.contains("<html>"), "{}", reply.body);
}
