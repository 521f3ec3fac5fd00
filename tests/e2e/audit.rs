use std::time::{Duration, Instant};

use demo_mcp_server::Era;
use gateway_admin::AuditFilter;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::peers::Demo;
use crate::common::rt;

fn entries(db: &Database) -> Vec<gateway_admin::AuditEntry> {
    let filter = AuditFilter {
        principal_id: None,
        server: Some("demo".into()),
        limit: 10,
    };
    rt().block_on(db.admin.audit(&filter))
        .expect("read audit log")
}

#[test]
fn every_tool_call_is_audited_without_its_arguments() {
    let db = Database::create("audit");
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let key = db.api_key("auditor", None);
    assert_eq!(gateway.get("/demo", Some(&key)).status, 200);
    assert!(
        entries(&db).is_empty(),
        "reading the tool list is not a tool call"
    );

    let secret_argument = r#"{"message":"s3cr3t-value"}"#;
    assert_eq!(
        gateway
            .post("/demo/echo", Some(&key), secret_argument)
            .status,
        200
    );
    assert_eq!(
        gateway
            .post("/demo/fail", Some(&key), r#"{"message":"boom"}"#)
            .status,
        502
    );
    // The record is written after the response, so it may land a moment later.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = entries(&db);
    while seen.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        seen = entries(&db);
    }
    let echo = seen
        .iter()
        .find(|e| e.tool == "echo")
        .expect("echo audited");
    let fail = seen
        .iter()
        .find(|e| e.tool == "fail")
        .expect("fail audited");
    assert_eq!((echo.status, fail.status), (200, 502));
    assert!(
        echo.principal_id.starts_with("apikey:"),
        "{}",
        echo.principal_id
    );
    assert_eq!(
        echo.args_sha256,
        auth_core::audit::args_sha256(secret_argument.as_bytes())
    );
    assert!(!format!("{seen:?}").contains("s3cr3t-value"));
}
