use auth_core::{AllowedServers, ApiKeyError};
use gateway_admin::{AdminError, NewApiKey};

use crate::common::{TestDb, now_ms};

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

fn new_key(servers: &[&str], expires_in_days: Option<u32>) -> NewApiKey {
    NewApiKey {
        owner: "ci-pipeline".into(),
        servers: AllowedServers::whole(servers.iter().copied()),
        forwarder: false,
        expires_in_days,
    }
}

fn api_key_error(result: Result<auth_core::ApiKeyRecord, AdminError>) -> ApiKeyError {
    match result {
        Err(AdminError::ApiKey(err)) => err,
        other => panic!("expected an API key error, got {other:?}"),
    }
}

#[tokio::test]
async fn created_key_is_valid_for_its_servers_and_stored_only_as_a_hash() {
    let db = TestDb::migrated().await;
    let created = db
        .admin
        .create_api_key(&new_key(&["github", "slack"], Some(30)))
        .await
        .unwrap();
    assert!(created.key.starts_with("mcpk_"));

    let record = db
        .admin
        .verify_api_key(&created.key, now_ms())
        .await
        .unwrap();
    assert_eq!(record.id, created.id);
    assert!(record.servers.allows("github"));
    assert!(!record.servers.allows("linear"));

    let stored: Vec<String> = sqlx::query_scalar("SELECT t::text FROM api_keys t")
        .fetch_all(db.admin.pool())
        .await
        .unwrap();
    let secret = &created.key["mcpk_".len()..];
    assert!(stored.iter().all(|row| !row.contains(secret)), "{stored:?}");
    let listed = db.admin.list_api_keys().await.unwrap();
    assert!(listed.iter().all(|key| !key.to_string().contains(secret)));
}

#[tokio::test]
async fn revoked_key_is_refused() {
    let db = TestDb::migrated().await;
    let created = db
        .admin
        .create_api_key(&new_key(&["github"], None))
        .await
        .unwrap();
    assert!(
        db.admin
            .verify_api_key(&created.key, now_ms())
            .await
            .is_ok()
    );
    db.admin.revoke_api_key(created.id).await.unwrap();
    assert_eq!(
        api_key_error(db.admin.verify_api_key(&created.key, now_ms()).await),
        ApiKeyError::Revoked
    );
}

#[tokio::test]
async fn expired_key_is_refused() {
    let db = TestDb::migrated().await;
    let created = db
        .admin
        .create_api_key(&new_key(&["github"], Some(1)))
        .await
        .unwrap();
    assert!(
        db.admin
            .verify_api_key(&created.key, now_ms())
            .await
            .is_ok()
    );
    assert_eq!(
        api_key_error(
            db.admin
                .verify_api_key(&created.key, now_ms() + 2 * DAY_MS)
                .await
        ),
        ApiKeyError::Expired
    );
}

#[tokio::test]
async fn unknown_and_malformed_keys_are_refused() {
    let db = TestDb::migrated().await;
    let unknown = auth_core::api_key::format_api_key(&[9; 32]);
    assert_eq!(
        api_key_error(db.admin.verify_api_key(&unknown, now_ms()).await),
        ApiKeyError::Unknown
    );
    assert_eq!(
        api_key_error(db.admin.verify_api_key("mcpk_nope", now_ms()).await),
        ApiKeyError::Malformed
    );
}
