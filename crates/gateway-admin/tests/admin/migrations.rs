use crate::common::TestDb;

#[tokio::test]
async fn migrations_apply_once_and_a_second_run_is_a_no_op() {
    let db = TestDb::empty().await;
    let first = db
        .admin
        .migrate(&server_registry::embedded())
        .await
        .unwrap()
        .applied;
    assert_eq!(first.len(), gateway_admin::MIGRATOR.iter().count());
    assert_eq!(
        db.count("servers").await,
        server_registry::embedded().len() as i64
    );
    assert_eq!(db.count("group_tenant_mapping").await, 14);
    let before = db.snapshot().await;

    let second = db
        .admin
        .migrate(&server_registry::embedded())
        .await
        .unwrap();
    assert!(second.applied.is_empty(), "second run applied {second:?}");
    assert_eq!(second.servers, gateway_admin::ServerSync::default());
    assert_eq!(db.snapshot().await, before);
    assert_eq!(
        db.count("_sqlx_migrations").await,
        first.len() as i64,
        "the version table records each migration once"
    );
}
