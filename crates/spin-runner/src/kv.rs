//! Key-value backends: Spin's default SQLite file, or Redis so that several runner processes
//! share state as replicas on SpinKube do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use rusqlite::{Connection, OptionalExtension};

use crate::Error;
use crate::runtime_config::{KeyValueStoreConfig, RuntimeConfig};

pub const DEFAULT_STORE: &str = "default";
const SQLITE_FILE: &str = "sqlite_key_value.db";
const REDIS_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KvError(pub String);

pub enum Backend {
    Sqlite(Mutex<Connection>),
    Redis(ConnectionManager),
}

/// Every configured store, by label.
#[derive(Clone, Default)]
pub struct Stores(BTreeMap<String, Arc<Backend>>);

impl Stores {
    /// Opens the stores of the runtime config; `default` is a SQLite file in `state_dir`
    /// unless configured otherwise.
    pub async fn open(config: &RuntimeConfig, state_dir: &Path) -> Result<Self, Error> {
        let mut configs = config.key_value_store.clone();
        configs
            .entry(DEFAULT_STORE.to_string())
            .or_insert(KeyValueStoreConfig::Spin { path: None });
        let mut stores = BTreeMap::new();
        for (label, store) in configs {
            let backend = match store {
                KeyValueStoreConfig::Spin { path } => {
                    let path = path
                        .map_or_else(|| state_dir.join(SQLITE_FILE), |p| resolve(state_dir, &p));
                    Backend::Sqlite(Mutex::new(open_sqlite(&path)?))
                }
                KeyValueStoreConfig::Redis { url } => {
                    Backend::Redis(open_redis(&label, &url).await?)
                }
            };
            stores.insert(label, Arc::new(backend));
        }
        Ok(Self(stores))
    }

    pub fn get(&self, label: &str) -> Option<Arc<Backend>> {
        self.0.get(label).cloned()
    }

    pub fn contains(&self, label: &str) -> bool {
        self.0.contains_key(label)
    }
}

fn resolve(state_dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        state_dir.parent().unwrap_or(state_dir).join(path)
    }
}

fn open_sqlite(path: &Path) -> Result<Connection, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let connection = Connection::open(path)
        .map_err(|err| Error::KeyValue(format!("open {}: {err}", path.display())))?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                PRIMARY KEY (store, key));",
        )
        .map_err(|err| Error::KeyValue(format!("prepare {}: {err}", path.display())))?;
    Ok(connection)
}

async fn open_redis(label: &str, url: &str) -> Result<ConnectionManager, Error> {
    let client = redis::Client::open(url).map_err(|err| {
        Error::KeyValue(format!(
            "key-value store {label:?}: invalid redis url: {err}"
        ))
    })?;
    let unreachable = |why: String| {
        Error::KeyValue(format!(
            "key-value store {label:?}: cannot reach redis: {why}"
        ))
    };
    tokio::time::timeout(REDIS_CONNECT_TIMEOUT, ConnectionManager::new(client))
        .await
        .map_err(|_| unreachable(format!("no answer within {REDIS_CONNECT_TIMEOUT:?}")))?
        .map_err(|err| unreachable(err.to_string()))
}

fn sqlite_err(err: rusqlite::Error) -> KvError {
    KvError(err.to_string())
}

fn redis_err(err: redis::RedisError) -> KvError {
    KvError(err.to_string())
}

impl Backend {
    pub async fn get(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        match self {
            Backend::Sqlite(db) => db
                .lock()
                .expect("kv lock")
                .query_row(
                    "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                    (store, key),
                    |row| row.get(0),
                )
                .optional()
                .map_err(sqlite_err),
            Backend::Redis(conn) => conn.clone().get(key).await.map_err(redis_err),
        }
    }

    pub async fn set(&self, store: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        match self {
            Backend::Sqlite(db) => db
                .lock()
                .expect("kv lock")
                .execute(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                    (store, key, value),
                )
                .map(drop)
                .map_err(sqlite_err),
            Backend::Redis(conn) => conn.clone().set(key, value).await.map_err(redis_err),
        }
    }

    pub async fn delete(&self, store: &str, key: &str) -> Result<(), KvError> {
        match self {
            Backend::Sqlite(db) => db
                .lock()
                .expect("kv lock")
                .execute(
                    "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2",
                    (store, key),
                )
                .map(drop)
                .map_err(sqlite_err),
            Backend::Redis(conn) => conn.clone().del(key).await.map_err(redis_err),
        }
    }

    pub async fn exists(&self, store: &str, key: &str) -> Result<bool, KvError> {
        match self {
            Backend::Sqlite(_) => Ok(self.get(store, key).await?.is_some()),
            Backend::Redis(conn) => conn.clone().exists(key).await.map_err(redis_err),
        }
    }

    pub async fn get_keys(&self, store: &str) -> Result<Vec<String>, KvError> {
        match self {
            Backend::Sqlite(db) => {
                let db = db.lock().expect("kv lock");
                let mut statement = db
                    .prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")
                    .map_err(sqlite_err)?;
                let keys: Vec<String> = statement
                    .query_map([store], |row| row.get(0))
                    .map_err(sqlite_err)?
                    .collect::<Result<_, _>>()
                    .map_err(sqlite_err)?;
                Ok(keys)
            }
            Backend::Redis(conn) => conn.clone().keys("*").await.map_err(redis_err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_store_round_trip_and_persistence() {
        let dir = std::env::temp_dir().join(format!("spin-runner-kv-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let stores = Stores::open(&RuntimeConfig::default(), &dir).await.unwrap();
            let store = stores.get(DEFAULT_STORE).unwrap();
            assert_eq!(store.get("default", "k").await.unwrap(), None);
            store.set("default", "k", b"v1").await.unwrap();
            store.set("default", "k", b"v2").await.unwrap();
            assert!(store.exists("default", "k").await.unwrap());
            assert_eq!(
                store.get_keys("default").await.unwrap(),
                vec!["k".to_string()]
            );
        }
        let stores = Stores::open(&RuntimeConfig::default(), &dir).await.unwrap();
        let store = stores.get(DEFAULT_STORE).unwrap();
        assert_eq!(
            store.get("default", "k").await.unwrap(),
            Some(b"v2".to_vec())
        );
        store.delete("default", "k").await.unwrap();
        assert!(!store.exists("default", "k").await.unwrap());
        assert!(dir.join(SQLITE_FILE).is_file());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn unreachable_redis_fails_at_open() {
        let config = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:1\"\n",
        )
        .unwrap();
        let err = Stores::open(&config, Path::new("/nonexistent"))
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("cannot reach redis"), "{err}");
    }
}
