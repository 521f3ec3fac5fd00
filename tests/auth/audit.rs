use auth_core::AuditRecord;
use auth_core::audit::{CallerKind, MAX_FIELD_CHARS, MAX_GROUPS, Surface, Who, args_sha256};
use gateway_admin::AuditFilter;

use crate::common::{Gateway, Options};

#[tokio::test]
async fn audit_record_is_stored_and_garbage_is_refused() {
    let gw = Gateway::start(Options::default()).await;
    let record = AuditRecord {
        who: Who {
            principal_id: "oid-alice".into(),
            principal_name: "alice@example.com".into(),
            tenant_id: Some("tid-1".into()),
            caller: CallerKind::Token,
            via: None,
            groups: vec!["MCP-GitHub".into()],
        },
        server: "github".into(),
        tool: "search_code".into(),
        surface: Surface::Rest,
        status: 200,
        latency_ms: 17,
        args_sha256: args_sha256(&serde_json::Map::new()),
        detail: None,
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
    assert_eq!(
        (stored[0].tenant_id.as_deref(), stored[0].caller.as_deref()),
        (Some("tid-1"), Some("token"))
    );
    assert_eq!(
        stored[0].principal_name.as_deref(),
        Some("alice@example.com")
    );

    // What a caller controls is stored bounded.
    let mut huge = record.clone();
    huge.who.principal_id = "oid-huge".into();
    huge.tool = "t".repeat(100_000);
    huge.who.groups = vec!["g".repeat(300); 1_000];
    let reply = gw
        .post("/audit", &[], serde_json::to_string(&huge).unwrap())
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let stored = gw
        .admin
        .audit(&AuditFilter {
            principal_id: Some("oid-huge".into()),
            server: None,
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!(stored[0].tool.len(), MAX_FIELD_CHARS);
    assert_eq!(stored[0].groups.len(), MAX_GROUPS);

    let garbage = gw
        .post("/audit", &[], r#"{"principal_id":"x"}"#.into())
        .await;
    assert_eq!(garbage.status, 400, "{}", garbage.body);
}
