//! The default key-value store as a best-effort cache: a store error is a miss, never a failure.

use spin_sdk::key_value::Store;

pub fn get(key: &str) -> Option<Vec<u8>> {
    let store = Store::open_default().ok()?;
    store.get(key).ok().flatten()
}

pub fn set(key: &str, value: &[u8]) {
    let written = Store::open_default().and_then(|store| store.set(key, value));
    if let Err(err) = written {
        eprintln!("auth: key-value write failed: {err}");
    }
}
