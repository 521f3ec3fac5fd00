//! Entra ID access tokens: settings, signing keys, validation.

mod config;
mod jwks;
mod token;

pub use config::{
    ConfigError, DEFAULT_AUTHORITY, EntraConfig, GRAPH_AUDIENCES, MAX_CLOCK_SKEW_SECS,
};
pub use jwks::{Jwk, Jwks, JwksError};
pub use token::{EntraIdentity, TokenError, token_kid, validate_token};
