//! Token verification with the issuer's signing keys, cached in key-value per issuer
//! (`auth_core::entra::keys_cache_key`). A token that does not verify under the cached keys
//! (unknown `kid`, or a signature that fails: the issuer replaced a key) causes one refetch,
//! rate-limited across replicas by the cached entry itself; after that the token is refused.

use auth_core::entra::{
    CachedKeys, EntraConfig, EntraIdentity, Jwks, TokenError, keys_cache_key, validate_token,
};
use sealed_kv::SealedKv;
use spin_sdk::http::{Request, Response, send};

use crate::authorize::Failure;

/// Why fresh keys were requested.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Refresh {
    /// None cached, or the cached set is older than the refresh interval.
    Scheduled,
    /// A token did not verify under the cached set.
    ForToken,
}

fn unavailable() -> Failure {
    Failure::Unavailable(
        "the identity provider's signing keys cannot be fetched; try again later".into(),
    )
}

/// Validates `token` (whose issuer the caller has picked by `tenant`) completely.
pub async fn verified_identity(
    store: &SealedKv,
    entra: &EntraConfig,
    tenant: &str,
    token: &str,
    now_ms: u64,
) -> Result<EntraIdentity, Failure> {
    let cache_key = keys_cache_key(entra.authority(), tenant);
    let cached: Option<CachedKeys> = store.get_json(&cache_key);
    let keys = match cached {
        Some(keys) if keys.is_fresh(now_ms) => keys,
        stale => {
            let why = Refresh::Scheduled;
            refresh(store, entra, tenant, &cache_key, stale, why, now_ms).await?
        }
    };
    match validate_token(token, &keys.jwks, entra, now_ms / 1000) {
        Err(TokenError::UnknownKid(_) | TokenError::BadSignature)
            if keys.may_refetch_for_token(now_ms) =>
        {
            let keys = refresh(
                store,
                entra,
                tenant,
                &cache_key,
                Some(keys),
                Refresh::ForToken,
                now_ms,
            )
            .await?;
            Ok(validate_token(token, &keys.jwks, entra, now_ms / 1000)?)
        }
        verdict => Ok(verdict?),
    }
}

/// Fetches the key set and caches it. When the fetch fails, a scheduled refresh keeps the
/// previous set while it is within its bounded lifetime; a refetch for a token is refused.
async fn refresh(
    store: &SealedKv,
    entra: &EntraConfig,
    tenant: &str,
    cache_key: &str,
    previous: Option<CachedKeys>,
    why: Refresh,
    now_ms: u64,
) -> Result<CachedKeys, Failure> {
    let refetched_for_token_at_ms = match why {
        Refresh::ForToken => Some(now_ms),
        Refresh::Scheduled => previous
            .as_ref()
            .and_then(|keys| keys.refetched_for_token_at_ms),
    };
    match fetch(&entra.jwks_url(tenant)).await {
        Ok(jwks) => {
            let keys = CachedKeys {
                refetched_for_token_at_ms,
                ..CachedKeys::fetched(jwks, now_ms)
            };
            save(store, cache_key, &keys);
            Ok(keys)
        }
        Err(reason) => {
            eprintln!("auth: JWKS fetch failed: {reason}");
            let previous = previous.filter(|keys| keys.is_usable(now_ms));
            match (why, previous) {
                (Refresh::Scheduled, Some(keys)) => {
                    eprintln!("auth: using the previously fetched key set meanwhile");
                    Ok(keys)
                }
                (Refresh::ForToken, Some(keys)) => {
                    // The failed attempt counts against the rate limit too.
                    save(
                        store,
                        cache_key,
                        &CachedKeys {
                            refetched_for_token_at_ms,
                            ..keys
                        },
                    );
                    Err(unavailable())
                }
                (_, None) => Err(unavailable()),
            }
        }
    }
}

/// Kept, sealed, for as long as the set may be used at all.
fn save(store: &SealedKv, cache_key: &str, keys: &CachedKeys) {
    store.set_json(cache_key, keys, keys.usable_until_ms());
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
