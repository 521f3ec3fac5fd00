//! The one key-value wrapper of the gateway's components: Spin's `default` store, every value
//! sealed ([`auth_core::sealed`]) under the gateway secret, its key and its expiry, so that key-value
//! stays a cache and never becomes an authority. A store error is a miss, never a failure; it is
//! logged. Wasm only (the components build it for wasm32-wasip2).

use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::sealed;
use mcp_proto::transport::StateStore;
use serde::Serialize;
use serde::de::DeserializeOwned;
use spin_sdk::key_value::Store;

/// How long what the MCP client keeps (era verdicts, upstream session ids, tool lists, which
/// carry their own shorter lifetime) may be read: after a day the upstream is asked again.
pub const STATE_LIFETIME_MS: u64 = 24 * 60 * 60 * 1000;

/// Milliseconds since the Unix epoch: the components' one wall clock.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

pub struct SealedKv {
    store: Option<Store>,
    secret: Vec<u8>,
}

impl SealedKv {
    /// The default store, sealing under `gateway_secret`.
    pub fn open(gateway_secret: &[u8]) -> Self {
        let store = Store::open_default()
            .inspect_err(|err| eprintln!("key-value store unavailable: {err:?}"))
            .ok();
        Self {
            store,
            secret: gateway_secret.to_vec(),
        }
    }

    /// The value under `key`, if it was sealed there by this gateway and has not expired.
    pub fn get_json<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        sealed::open_json(&self.secret, key, &self.raw(key)?, now_ms())
    }

    /// Stores `value` under `key` until `expires_at_ms`, replacing what was there.
    pub fn set_json<T: Serialize>(&self, key: &str, value: &T, expires_at_ms: u64) {
        self.put(
            key,
            &sealed::seal_json(&self.secret, key, value, expires_at_ms),
        );
    }

    fn raw(&self, key: &str) -> Option<Vec<u8>> {
        self.store.as_ref()?.get(key).unwrap_or_else(|err| {
            eprintln!("key-value get failed: {err:?}");
            None
        })
    }

    fn put(&self, key: &str, sealed: &[u8]) {
        if let Some(store) = &self.store
            && let Err(err) = store.set(key, sealed)
        {
            eprintln!("key-value set failed: {err:?}");
        }
    }
}

/// What the MCP client keeps, sealed like everything else, for [`STATE_LIFETIME_MS`].
impl StateStore for SealedKv {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        sealed::open(&self.secret, key, &self.raw(key)?, now_ms())
    }

    fn set(&self, key: &str, value: &[u8]) {
        let expires_at_ms = now_ms().saturating_add(STATE_LIFETIME_MS);
        self.put(key, &sealed::seal(&self.secret, key, value, expires_at_ms));
    }

    fn delete(&self, key: &str) {
        if let Some(store) = &self.store
            && let Err(err) = store.delete(key)
        {
            eprintln!("key-value delete failed: {err:?}");
        }
    }
}
