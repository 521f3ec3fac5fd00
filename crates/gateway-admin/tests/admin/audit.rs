use auth_core::AuditRecord;
use auth_core::audit::{CallerKind, Surface, Who, args_sha256};
use gateway_admin::AuditFilter;

use crate::common::TestDb;

fn record(principal: &str, server: &str) -> AuditRecord {
    AuditRecord {
        who: Who {
            principal_id: principal.into(),
            principal_name: format!("{principal}@example.com"),
            tenant_id: Some("tid-1".into()),
            caller: CallerKind::Token,
            via: None,
            groups: vec!["MCP-GitHub".into(), "Tenant, with comma".into()],
        },
        server: server.into(),
        tool: "search".into(),
        surface: Surface::Mcp,
        status: 200,
        latency_ms: 42,
        args_sha256: args_sha256(&serde_json::from_str(r#"{"q":"x"}"#).unwrap()),
        detail: None,
    }
}

#[tokio::test]
async fn audit_filters_by_user_and_server() {
    let db = TestDb::migrated().await;
    db.admin
        .record_audit(&record("oid-alice", "github"))
        .await
        .unwrap();
    db.admin
        .record_audit(&record("oid-alice", "slack"))
        .await
        .unwrap();
    db.admin
        .record_audit(&record("oid-bob", "github"))
        .await
        .unwrap();

    let alice_github = db
        .admin
        .audit(&AuditFilter {
            principal_id: Some("oid-alice".into()),
            server: Some("github".into()),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(alice_github.len(), 1);
    assert_eq!(alice_github[0].groups, ["MCP-GitHub", "Tenant, with comma"]);
    assert_eq!(alice_github[0].status, 200);

    let all = db
        .admin
        .audit(&AuditFilter {
            limit: 2,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 2, "limit applies");
}
