use crate::common::TestDb;

#[tokio::test]
async fn migrations_apply_once_and_a_second_run_is_a_no_op() {
    let db = TestDb::empty().await;
    let first = db.admin.migrate().await.unwrap();
    assert_eq!(first.len(), gateway_admin::MIGRATOR.iter().count());
    assert_eq!(db.count("servers").await, 15);
    assert_eq!(db.count("group_tenant_mapping").await, 14);
    let before = db.snapshot().await;

    let second = db.admin.migrate().await.unwrap();
    assert!(second.is_empty(), "second run applied {second:?}");
    assert_eq!(db.snapshot().await, before);
    assert_eq!(
        db.count("_sqlx_migrations").await,
        first.len() as i64,
        "the version table records each migration once"
    );
}

#[tokio::test]
async fn seed_servers_are_the_ids_of_spin_toml() {
    let db = TestDb::migrated().await;
    let manifest = std::fs::read_to_string(test_support::workspace_root().join("spin.toml"))
        .expect("read spin.toml");
    let route_ids: Vec<String> = manifest
        .lines()
        .filter_map(|line| line.strip_prefix("server_id = \""))
        .map(|rest| rest.trim_end_matches('"').to_owned())
        .collect();
    assert!(!route_ids.is_empty());
    let mut seeded = db.admin.list().await.unwrap().servers;
    seeded.sort();
    let mut expected = route_ids;
    expected.sort();
    assert_eq!(seeded, expected);
}
