//! The issuer's signing keys, cached in key-value for an hour. A token naming a key the cache
//! lacks triggers a refetch (key rotation), at most once a minute, so random `kid`s cannot make
//! the gateway hammer the issuer.

use auth_core::entra::{EntraConfig, Jwks};
use serde::{Deserialize, Serialize};
use spin_sdk::http::{Request, Response, send};

use crate::authorize::Failure;
use crate::kv;

const TTL_MS: u64 = 60 * 60 * 1000;
const MIN_KID_REFETCH_INTERVAL_MS: u64 = 60 * 1000;

#[derive(Serialize, Deserialize)]
struct CachedJwks {
    fetched_at_ms: u64,
    /// When an unknown `kid` last caused a refetch.
    kid_refetch_at_ms: Option<u64>,
    jwks: Jwks,
}

fn cache_key(tenant: &str) -> String {
    format!("auth:jwks:v1:{tenant}")
}

/// The key set to validate a token whose header names `kid`.
pub async fn key_set(
    entra: &EntraConfig,
    tenant: &str,
    kid: &str,
    now_ms: u64,
) -> Result<Jwks, Failure> {
    let key = cache_key(tenant);
    let cached = kv::get(&key).and_then(|bytes| serde_json::from_slice::<CachedJwks>(&bytes).ok());
    let mut kid_refetch_at_ms = None;
    if let Some(cached) = &cached {
        let fresh = now_ms.saturating_sub(cached.fetched_at_ms) < TTL_MS;
        let knows_kid = cached.jwks.find(kid).is_some();
        let refetched_recently = cached
            .kid_refetch_at_ms
            .is_some_and(|at| now_ms.saturating_sub(at) < MIN_KID_REFETCH_INTERVAL_MS);
        if fresh && (knows_kid || refetched_recently) {
            return Ok(cached.jwks.clone());
        }
        kid_refetch_at_ms = if knows_kid {
            cached.kid_refetch_at_ms
        } else {
            Some(now_ms)
        };
    }
    match fetch(&entra.jwks_url(tenant)).await {
        Ok(jwks) => {
            let fresh = CachedJwks {
                fetched_at_ms: now_ms,
                kid_refetch_at_ms,
                jwks,
            };
            if let Ok(bytes) = serde_json::to_vec(&fresh) {
                kv::set(&key, &bytes);
            }
            Ok(fresh.jwks)
        }
        // Keys Entra published earlier stay trustworthy through a short outage.
        Err(reason) => match cached {
            Some(stale) => {
                eprintln!("auth: JWKS refetch failed ({reason}); using the cached key set");
                Ok(stale.jwks)
            }
            None => {
                eprintln!("auth: JWKS fetch failed: {reason}");
                Err(Failure::Unavailable(
                    "the identity provider's signing keys cannot be fetched; try again later"
                        .into(),
                ))
            }
        },
    }
}

async fn fetch(url: &str) -> Result<Jwks, String> {
    let response: Response = send(Request::get(url).build())
        .await
        .map_err(|err| format!("GET {url}: {err}"))?;
    if *response.status() != 200 {
        return Err(format!("GET {url}: status {}", response.status()));
    }
    Jwks::from_json(response.body()).map_err(|err| format!("GET {url}: {err}"))
}
