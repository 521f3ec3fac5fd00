//! Entra ID access tokens: settings, signing keys, validation.

mod config;
mod jwks;
mod key_cache;
mod token;

pub use config::{
    ConfigError, DEFAULT_AUTHORITY, EntraConfig, GRAPH_AUDIENCES, MAX_CLOCK_SKEW_SECS,
};
pub use jwks::{Jwk, Jwks, JwksError};
pub use key_cache::{
    CachedKeys, KEYS_CACHE_PREFIX, KEYS_MAX_AGE_MS, KEYS_REFRESH_AFTER_MS, MIN_REFETCH_INTERVAL_MS,
    keys_cache_key,
};
pub use token::{EntraIdentity, TokenError, token_kid, validate_token};
