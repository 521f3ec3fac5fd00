//! API keys for service callers: `mcpk_` + 43 base64url characters (256 random bits), stored
//! only as their SHA-256 hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::decision::AllowedServers;

pub const API_KEY_PREFIX: &str = "mcpk_";
const SECRET_CHARS: usize = 43;
/// How many leading characters of a key are kept in clear to recognise it in listings.
const DISPLAY_PREFIX_CHARS: usize = API_KEY_PREFIX.len() + 6;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApiKeyError {
    #[error("API key is malformed (expected mcpk_ followed by 43 base64url characters)")]
    Malformed,
    #[error("API key is not known")]
    Unknown,
    #[error("API key has been revoked")]
    Revoked,
    #[error("API key has expired")]
    Expired,
}

/// A key as stored (without the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub owner: String,
    pub servers: AllowedServers,
    /// Speaks for the users it names with `X-Auth-Source: entra-token` + `X-Entra-*`; never alone.
    pub forwarder: bool,
    pub revoked: bool,
    pub expires_at_ms: Option<u64>,
}

impl ApiKeyRecord {
    /// Whether the key may be used at `now_ms`.
    pub fn check_usable(&self, now_ms: u64) -> Result<(), ApiKeyError> {
        if self.revoked {
            return Err(ApiKeyError::Revoked);
        }
        if self.expires_at_ms.is_some_and(|expiry| now_ms >= expiry) {
            return Err(ApiKeyError::Expired);
        }
        Ok(())
    }

    /// From the columns of [`crate::sql::SELECT_API_KEY`].
    pub fn from_columns(
        id: i64,
        owner: String,
        all_servers: bool,
        forwarder: bool,
        revoked: bool,
        expires_at_ms: Option<i64>,
        servers_csv: &str,
    ) -> Self {
        let servers = if all_servers {
            AllowedServers::All
        } else {
            AllowedServers::whole(servers_csv.split(',').filter(|server| !server.is_empty()))
        };
        Self {
            id,
            owner,
            servers,
            forwarder,
            revoked,
            // A pre-1970 expiry is simply expired.
            expires_at_ms: expires_at_ms.map(|ms| u64::try_from(ms).unwrap_or(0)),
        }
    }

    pub fn principal_id(&self) -> String {
        format!("apikey:{}", self.id)
    }
}

/// A new key from 32 random bytes (the caller owns the randomness).
pub fn format_api_key(random: &[u8; 32]) -> String {
    format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(random))
}

/// Checks the shape of a presented key before any lookup.
pub fn check_api_key_format(key: &str) -> Result<(), ApiKeyError> {
    let secret = key
        .strip_prefix(API_KEY_PREFIX)
        .ok_or(ApiKeyError::Malformed)?;
    let well_formed = secret.len() == SECRET_CHARS
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        Ok(())
    } else {
        Err(ApiKeyError::Malformed)
    }
}

/// Hex SHA-256 of the key: what the database stores and looks keys up by.
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The first characters of a key, to tell keys apart in listings without revealing them.
pub fn display_prefix(key: &str) -> &str {
    &key[..DISPLAY_PREFIX_CHARS.min(key.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ApiKeyRecord {
        ApiKeyRecord {
            id: 7,
            owner: "ci".into(),
            servers: AllowedServers::All,
            forwarder: false,
            revoked: false,
            expires_at_ms: Some(2_000),
        }
    }

    #[test]
    fn formatted_keys_pass_the_format_check_and_hash_stably() {
        let key = format_api_key(&[7; 32]);
        assert!(key.starts_with(API_KEY_PREFIX));
        assert_eq!(check_api_key_format(&key), Ok(()));
        assert_eq!(hash_api_key(&key), hash_api_key(&key));
        assert_eq!(hash_api_key(&key).len(), 64);
        assert!(!hash_api_key(&key).contains(&key[API_KEY_PREFIX.len()..]));
        assert_eq!(display_prefix(&key).len(), 11);
    }

    #[test]
    fn malformed_keys_are_refused() {
        for key in [
            "mcpk_short",
            "abc",
            "mcpk_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        ] {
            assert_eq!(
                check_api_key_format(key),
                Err(ApiKeyError::Malformed),
                "{key}"
            );
        }
    }

    #[test]
    fn columns_map_to_a_record() {
        let listed = ApiKeyRecord::from_columns(1, "ci".into(), false, false, false, None, "a,b");
        assert!(listed.servers.allows("b"));
        assert!(!listed.servers.allows("c"));
        let all = ApiKeyRecord::from_columns(1, "ci".into(), true, true, false, Some(-5), "");
        assert_eq!(all.servers, AllowedServers::All);
        assert_eq!(all.check_usable(0), Err(ApiKeyError::Expired));
    }

    #[test]
    fn usable_until_expiry_unless_revoked() {
        assert_eq!(record().check_usable(1_999), Ok(()));
        assert_eq!(record().check_usable(2_000), Err(ApiKeyError::Expired));
        let revoked = ApiKeyRecord {
            revoked: true,
            ..record()
        };
        assert_eq!(revoked.check_usable(0), Err(ApiKeyError::Revoked));
        let forever = ApiKeyRecord {
            expires_at_ms: None,
            ..record()
        };
        assert_eq!(forever.check_usable(u64::MAX), Ok(()));
    }
}
