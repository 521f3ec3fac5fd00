use std::time::{Duration, Instant};

use demo_mcp_server::Era;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::peers::Demo;
use crate::common::rt;

fn entries(db: &Database) -> Vec<gateway_admin::AuditEntry> {
    db.audit_of("demo", 10)
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
        auth_core::audit::args_sha256(&serde_json::from_str(secret_argument).unwrap())
    );
    assert_eq!(echo.surface.as_deref(), Some("rest"));
    assert!(!format!("{seen:?}").contains("s3cr3t-value"));
}

/// Waits until `count` records that `keep` are in the log (written after the response).
fn audited_where(
    db: &Database,
    count: usize,
    keep: impl Fn(&gateway_admin::AuditEntry) -> bool,
) -> Vec<gateway_admin::AuditEntry> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen: Vec<_> = entries(db).into_iter().filter(|e| keep(e)).collect();
        if seen.len() >= count || Instant::now() > deadline {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until `count` records of `tool` are in the log.
fn audited(db: &Database, tool: &str, count: usize) -> Vec<gateway_admin::AuditEntry> {
    audited_where(db, count, |e| e.tool == tool)
}

#[test]
fn rest_and_mcp_audit_the_same_call_alike() {
    let db = Database::create("audit-surfaces");
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let key = db.api_key("auditor", None);
    let client = reqwest::blocking::Client::new();
    let mcp_call = |arguments: serde_json::Value| {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "fail", "arguments": arguments,
                       "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                 "io.modelcontextprotocol/clientCapabilities": {}}}});
        client
            .post(format!("{}/demo/mcp", gateway.base))
            .bearer_auth(&key)
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", "fail")
            .json(&body)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    // The same arguments, in another key order and spacing on each surface.
    assert_eq!(
        gateway
            .post(
                "/demo/fail",
                Some(&key),
                r#"{ "message" : "boom", "code": 7 }"#
            )
            .status,
        502
    );
    assert_eq!(
        mcp_call(serde_json::json!({"code": 7, "message": "boom"})),
        200
    );
    let seen = audited(&db, "fail", 2);
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (mcp, rest) = (&seen[0], &seen[1]);
    assert_eq!(
        (rest.surface.as_deref(), mcp.surface.as_deref()),
        (Some("rest"), Some("mcp"))
    );
    assert_eq!(
        rest.args_sha256, mcp.args_sha256,
        "one argument hash for both surfaces"
    );
    assert_eq!(rest.status, mcp.status, "one status for both surfaces");
    assert_eq!(rest.principal_id, mcp.principal_id);
}

#[test]
fn every_refusal_is_audited_with_who_and_why_and_the_caller_is_told_less() {
    let db = Database::create("audit-refusals");
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let narrow = db.api_key("narrow-owner", Some(&["github"]));
    let revoked = rt()
        .block_on(db.admin.create_api_key(&gateway_admin::NewApiKey {
            owner: "revoked-owner".into(),
            servers: auth_core::AllowedServers::All,
            forwarder: false,
            expires_in_days: None,
        }))
        .unwrap();
    rt().block_on(db.admin.revoke_api_key(revoked.id)).unwrap();
    let body = r#"{"message":"hi"}"#;

    let anonymous = gateway.post("/demo/echo", None, body);
    let refused_key = gateway.post("/demo/echo", Some(&revoked.key), body);
    assert_eq!((anonymous.status, refused_key.status), (401, 401));
    assert!(
        !refused_key.body.contains("revoked"),
        "no oracle: {}",
        refused_key.body
    );
    let not_granted = gateway.post("/demo/echo", Some(&narrow), body);
    assert_eq!(not_granted.status, 404, "{}", not_granted.body);
    let call =
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{}}}"#;
    assert_eq!(gateway.post("/demo/mcp", Some(&narrow), call).status, 404);

    let unauthenticated = audited_where(&db, 2, |e| e.status == 401);
    let nobody = unauthenticated
        .iter()
        .find(|e| e.caller.as_deref() == Some("anonymous"))
        .expect("the anonymous call is audited");
    let key = unauthenticated
        .iter()
        .find(|e| e.caller.as_deref() == Some("key"))
        .expect("the revoked key's call is audited");
    for entry in [nobody, key] {
        assert_eq!(
            (
                entry.principal_id.as_str(),
                entry.tool.as_str(),
                entry.surface.as_deref()
            ),
            ("", "echo", Some("rest")),
            "{entry}"
        );
    }
    assert!(
        key.detail
            .as_deref()
            .unwrap_or_default()
            .contains("revoked"),
        "the audit says why: {key}"
    );
    assert!(!format!("{key:?}").contains(&revoked.key), "{key}");

    let refused = audited_where(&db, 2, |e| e.status == 404);
    for (surface, tool) in [("rest", "echo"), ("mcp", "add")] {
        let entry = refused
            .iter()
            .find(|e| e.surface.as_deref() == Some(surface))
            .unwrap_or_else(|| panic!("the refused {surface} call is audited: {refused:?}"));
        assert!(entry.principal_id.starts_with("apikey:"), "{entry}");
        assert_eq!(
            entry.principal_name.as_deref(),
            Some("narrow-owner"),
            "{entry}"
        );
        assert_eq!(
            (entry.caller.as_deref(), entry.tool.as_str()),
            (Some("key"), tool)
        );
        assert!(
            entry
                .detail
                .as_deref()
                .unwrap_or_default()
                .contains("not granted"),
            "{entry}"
        );
    }
}
