//! When cached signing keys may be used. Keys are cached per issuer (authority and tenant),
//! refreshed hourly, refetched early when a token does not verify under them (a rotated or
//! replaced key; at most once a minute, so forged tokens cannot make the gateway hammer the
//! issuer), and kept through a fetch failure for a bounded time only.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::jwks::Jwks;

/// Age after which the keys are fetched again.
pub const KEYS_REFRESH_AFTER_MS: u64 = 60 * 60 * 1000;
/// Age after which keys are no longer used, even when the issuer cannot be reached.
pub const KEYS_MAX_AGE_MS: u64 = 12 * 60 * 60 * 1000;
/// Shortest interval between refetches caused by tokens that do not verify.
pub const MIN_REFETCH_INTERVAL_MS: u64 = 60 * 1000;
/// Prefix of the key-value keys holding key sets; versioned with [`CachedKeys`].
pub const KEYS_CACHE_PREFIX: &str = "auth:jwks:v2:";

/// Key-value key of the key set published by `authority` for `tenant`: one issuer's keys are
/// never used for another's tokens, even by gateways sharing a store.
pub fn keys_cache_key(authority: &str, tenant: &str) -> String {
    let mut issuer = Sha256::new();
    for part in [authority, tenant] {
        issuer.update((part.len() as u64).to_be_bytes());
        issuer.update(part.as_bytes());
    }
    format!("{KEYS_CACHE_PREFIX}{}", hex::encode(issuer.finalize()))
}

/// A key set as cached, with when it was fetched and when a failing token last refetched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedKeys {
    pub fetched_at_ms: u64,
    pub refetched_for_token_at_ms: Option<u64>,
    pub jwks: Jwks,
}

impl CachedKeys {
    pub fn fetched(jwks: Jwks, now_ms: u64) -> Self {
        Self {
            fetched_at_ms: now_ms,
            refetched_for_token_at_ms: None,
            jwks,
        }
    }

    /// Young enough to use without asking the issuer.
    pub fn is_fresh(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.fetched_at_ms) < KEYS_REFRESH_AFTER_MS
    }

    /// Young enough to use while the issuer cannot be reached.
    pub fn is_usable(&self, now_ms: u64) -> bool {
        now_ms >= self.fetched_at_ms && now_ms.saturating_sub(self.fetched_at_ms) < KEYS_MAX_AGE_MS
    }

    /// When the set stops being usable at all.
    pub fn usable_until_ms(&self) -> u64 {
        self.fetched_at_ms.saturating_add(KEYS_MAX_AGE_MS)
    }

    /// Whether a token that does not verify under these keys may cause a refetch now.
    pub fn may_refetch_for_token(&self, now_ms: u64) -> bool {
        self.refetched_for_token_at_ms
            .is_none_or(|at| now_ms.saturating_sub(at) >= MIN_REFETCH_INTERVAL_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000_000;

    #[test]
    fn cache_key_names_the_issuer_not_only_the_tenant() {
        let entra = keys_cache_key("https://login.microsoftonline.com", "t1");
        assert!(entra.starts_with(KEYS_CACHE_PREFIX));
        assert_eq!(
            entra,
            keys_cache_key("https://login.microsoftonline.com", "t1")
        );
        assert_ne!(entra, keys_cache_key("http://127.0.0.1:8080", "t1"));
        assert_ne!(
            entra,
            keys_cache_key("https://login.microsoftonline.com", "t2")
        );
        assert_ne!(keys_cache_key("a", "bc"), keys_cache_key("ab", "c"));
    }

    #[test]
    fn keys_are_fresh_for_an_hour_and_usable_for_a_bounded_time() {
        let keys = CachedKeys::fetched(Jwks::default(), T0);
        assert!(keys.is_fresh(T0 + KEYS_REFRESH_AFTER_MS - 1));
        assert!(!keys.is_fresh(T0 + KEYS_REFRESH_AFTER_MS));
        assert!(keys.is_usable(T0 + KEYS_MAX_AGE_MS - 1));
        assert!(!keys.is_usable(T0 + KEYS_MAX_AGE_MS));
        assert!(
            !keys.is_usable(T0 - 1),
            "fetched in the future: not trusted"
        );
    }

    #[test]
    fn failing_tokens_refetch_at_most_once_a_minute() {
        let mut keys = CachedKeys::fetched(Jwks::default(), T0);
        assert!(keys.may_refetch_for_token(T0));
        keys.refetched_for_token_at_ms = Some(T0);
        assert!(!keys.may_refetch_for_token(T0 + MIN_REFETCH_INTERVAL_MS - 1));
        assert!(keys.may_refetch_for_token(T0 + MIN_REFETCH_INTERVAL_MS));
    }
}
