//! Values kept in key-value under an HMAC of the gateway secret. Key-value is a cache, not an
//! authority: whoever can write it (a shared Redis, another app on the same store) must not be
//! able to forge an entry, move one to another key (a decision copied to another caller's key),
//! extend its life, or revive one past its expiry. The tag binds the value to its key and its
//! expiry; a value that does not verify, or has expired, reads as absent.

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

const DOMAIN: &[u8] = b"mcp-gateway/kv/v1\0";
const EXPIRY_LEN: usize = 8;
const TAG_LEN: usize = 32;

fn tag(secret: &[u8], key: &str, expires_at_ms: u64, value: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(DOMAIN);
    mac.update(&(key.len() as u64).to_be_bytes());
    mac.update(key.as_bytes());
    mac.update(&expires_at_ms.to_be_bytes());
    mac.update(value);
    mac
}

/// `value` as stored under `key` until `expires_at_ms`: expiry, tag, value.
pub fn seal(secret: &[u8], key: &str, value: &[u8], expires_at_ms: u64) -> Vec<u8> {
    let mut sealed = Vec::with_capacity(EXPIRY_LEN + TAG_LEN + value.len());
    sealed.extend_from_slice(&expires_at_ms.to_be_bytes());
    sealed.extend_from_slice(
        &tag(secret, key, expires_at_ms, value)
            .finalize()
            .into_bytes(),
    );
    sealed.extend_from_slice(value);
    sealed
}

/// The value [`seal`] stored under `key`, if intact and not expired at `now_ms`.
pub fn open(secret: &[u8], key: &str, sealed: &[u8], now_ms: u64) -> Option<Vec<u8>> {
    if sealed.len() < EXPIRY_LEN + TAG_LEN {
        return None;
    }
    let (expiry, rest) = sealed.split_at(EXPIRY_LEN);
    let (presented, value) = rest.split_at(TAG_LEN);
    let expires_at_ms = u64::from_be_bytes(expiry.try_into().expect("8 bytes"));
    tag(secret, key, expires_at_ms, value)
        .verify_slice(presented)
        .ok()?;
    (now_ms < expires_at_ms).then(|| value.to_vec())
}

/// [`seal`] of `value` as JSON.
pub fn seal_json<T: Serialize>(secret: &[u8], key: &str, value: &T, expires_at_ms: u64) -> Vec<u8> {
    let json = serde_json::to_vec(value).expect("cached values serialize");
    seal(secret, key, &json, expires_at_ms)
}

/// [`open`] of a JSON value; one that no longer parses (another version wrote it) is absent.
pub fn open_json<T: DeserializeOwned>(
    secret: &[u8],
    key: &str,
    sealed: &[u8],
    now_ms: u64,
) -> Option<T> {
    serde_json::from_slice(&open(secret, key, sealed, now_ms)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_sealed_value_opens_under_its_key_until_it_expires() {
        let sealed = seal(SECRET, "k", b"v", 1_000);
        assert_eq!(open(SECRET, "k", &sealed, 999), Some(b"v".to_vec()));
        assert_eq!(open(SECRET, "k", &sealed, 1_000), None);
    }

    #[test]
    fn a_value_moved_forged_or_extended_does_not_open() {
        let sealed = seal(SECRET, "alice", b"{\"servers\":\"all\"}", 1_000);
        assert_eq!(open(SECRET, "mallory", &sealed, 0), None, "moved");
        assert_eq!(open(b"another secret", "alice", &sealed, 0), None, "forged");
        let mut extended = sealed.clone();
        extended[..EXPIRY_LEN].copy_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(open(SECRET, "alice", &extended, 2_000), None, "extended");
        let mut edited = sealed.clone();
        *edited.last_mut().unwrap() ^= 1;
        assert_eq!(open(SECRET, "alice", &edited, 0), None, "edited");
        assert_eq!(
            open(SECRET, "alice", b"{\"servers\":\"all\"}", 0),
            None,
            "plain"
        );
        assert_eq!(open(SECRET, "alice", &sealed[..39], 0), None, "short");
    }

    #[test]
    fn json_round_trips_and_a_stale_format_is_absent() {
        let sealed = seal_json(SECRET, "k", &vec![1, 2], 10);
        assert_eq!(
            open_json::<Vec<u8>>(SECRET, "k", &sealed, 0),
            Some(vec![1, 2])
        );
        assert_eq!(open_json::<String>(SECRET, "k", &sealed, 0), None);
    }
}
