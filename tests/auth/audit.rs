use auth_core::AuditRecord;
use auth_core::audit::{Surface, args_sha256};
use gateway_admin::AuditFilter;

use crate::common::{Gateway, Options};

#[tokio::test]
async fn audit_record_is_stored_and_garbage_is_refused() {
    let gw = Gateway::start(Options::default()).await;
    let record = AuditRecord {
        principal_id: "oid-alice".into(),
        groups: vec!["MCP-GitHub".into()],
        server: "github".into(),
        tool: "search_code".into(),
        surface: Surface::Rest,
        status: 200,
        latency_ms: 17,
        args_sha256: args_sha256(&serde_json::Map::new()),
    };
    let reply = gw
        .post("/audit", &[], serde_json::to_string(&record).unwrap())
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let stored = gw
        .admin
        .audit(&AuditFilter {
            principal_id: Some("oid-alice".into()),
            server: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].tool, "search_code");
    assert_eq!(stored[0].surface.as_deref(), Some("rest"));

    let garbage = gw
        .post("/audit", &[], r#"{"principal_id":"x"}"#.into())
        .await;
    assert_eq!(garbage.status, 400, "{}", garbage.body);
}
