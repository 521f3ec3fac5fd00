use demo_mcp_server::Era;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::peers::Demo;

#[test]
fn a_tool_path_cannot_escape_its_server() {
    let db = Database::create("paths");
    let demo = Demo::start(Era::Both, false);
    let other = Demo::start(Era::Both, false);
    let mut env = upstream("demo", &demo.url());
    env.extend(upstream("linear", &other.url()));
    let gateway = Gateway::start(&db, &env);
    let key = db.api_demo_key();
    assert_eq!(
        gateway.raw("POST", "/demo/get_time", &key),
        200,
        "the allowed twin"
    );
    for path in [
        "/demo/../linear/echo",
        "/demo/%2e%2e/linear/echo",
        "/demo/..%2Flinear%2Fecho",
        "/demo/echo%2Fx",
        "/demo//echo",
        "/demo/./echo",
        "/demo/%2E%2E%2Flinear%2Fecho",
        "/demo/echo%5C..",
    ] {
        let status = gateway.raw("POST", path, &key);
        assert!(status == 400 || status == 404, "{path} answered {status}");
    }
    assert_eq!(
        other.stats()["httpRequests"],
        0,
        "nothing reached the other server"
    );
}
