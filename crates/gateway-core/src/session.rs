//! Sealed MCP session ids for handshake-era clients. The gateway keeps no session state: the id
//! itself says who it belongs to and until when, under an HMAC of the gateway secret, so a
//! fresh instance (or another replica) can check it, and a tampered or borrowed id is refused.
//! A random nonce makes every session distinct, so `DELETE` ends exactly one
//! ([`revocation_key`] names its entry in key-value until the id would have expired).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// How long a session id stays valid; clients re-initialize after it expires (404).
pub const SESSION_TTL_MS: u64 = 24 * 60 * 60 * 1000;
pub const NONCE_LEN: usize = 16;
const DOMAIN: &[u8] = b"mcp-gateway/session/v2\0";
const TAG_LEN: usize = 32;
const REVOKED_PREFIX: &str = "mcp-session-revoked:v1:";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Malformed, tampered with, or sealed for another caller or server.
    #[error("invalid session id")]
    Invalid,
    /// Expired, or ended by `DELETE`: the spec's 404, "initialize again".
    #[error("session expired")]
    Expired,
}

fn mac(
    secret: &[u8],
    server: &str,
    principal: &str,
    expires_ms: u64,
    nonce: &[u8],
) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(DOMAIN);
    for part in [server.as_bytes(), principal.as_bytes()] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.update(&expires_ms.to_be_bytes());
    mac.update(nonce);
    mac
}

/// A session id for `principal` on `server`, valid until `now_ms + SESSION_TTL_MS`;
/// `nonce` must be random.
pub fn seal(
    secret: &[u8],
    server: &str,
    principal: &str,
    now_ms: u64,
    nonce: [u8; NONCE_LEN],
) -> String {
    let expires_ms = now_ms.saturating_add(SESSION_TTL_MS);
    let mut bytes = expires_ms.to_be_bytes().to_vec();
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(
        &mac(secret, server, principal, expires_ms, &nonce)
            .finalize()
            .into_bytes(),
    );
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Checks a session id presented by `principal` on `server`; returns when it expires.
pub fn open(
    secret: &[u8],
    server: &str,
    principal: &str,
    session_id: &str,
    now_ms: u64,
) -> Result<u64, SessionError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(session_id.trim())
        .map_err(|_| SessionError::Invalid)?;
    if bytes.len() != 8 + NONCE_LEN + TAG_LEN {
        return Err(SessionError::Invalid);
    }
    let expires_ms = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
    let nonce = &bytes[8..8 + NONCE_LEN];
    mac(secret, server, principal, expires_ms, nonce)
        .verify_slice(&bytes[8 + NONCE_LEN..])
        .map_err(|_| SessionError::Invalid)?;
    if now_ms >= expires_ms {
        return Err(SessionError::Expired);
    }
    Ok(expires_ms)
}

/// The key-value key that marks `session_id` as ended (a digest: ids are bearer-like).
pub fn revocation_key(session_id: &str) -> String {
    format!(
        "{REVOKED_PREFIX}{}",
        hex::encode(Sha256::digest(session_id.trim().as_bytes()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NONCE: [u8; NONCE_LEN] = [7; NONCE_LEN];

    #[test]
    fn a_sealed_id_opens_for_its_owner_until_it_expires() {
        let id = seal(SECRET, "github", "alice", 1_000, NONCE);
        assert_eq!(
            open(SECRET, "github", "alice", &id, 2_000),
            Ok(1_000 + SESSION_TTL_MS)
        );
        assert_eq!(
            open(SECRET, "github", "alice", &id, 1_000 + SESSION_TTL_MS),
            Err(SessionError::Expired)
        );
    }

    #[test]
    fn another_caller_server_or_secret_is_refused() {
        let id = seal(SECRET, "github", "alice", 1_000, NONCE);
        assert_eq!(
            open(SECRET, "github", "bob", &id, 2_000),
            Err(SessionError::Invalid)
        );
        assert_eq!(
            open(SECRET, "linear", "alice", &id, 2_000),
            Err(SessionError::Invalid)
        );
        assert_eq!(
            open(
                b"another secret of thirty-two bytes",
                "github",
                "alice",
                &id,
                2_000
            ),
            Err(SessionError::Invalid)
        );
    }

    #[test]
    fn tampering_is_detected() {
        let id = seal(SECRET, "github", "alice", 1_000, NONCE);
        let mut bytes = URL_SAFE_NO_PAD.decode(&id).unwrap();
        bytes[0] ^= 0x01; // push the expiry
        assert_eq!(
            open(
                SECRET,
                "github",
                "alice",
                &URL_SAFE_NO_PAD.encode(&bytes),
                2_000
            ),
            Err(SessionError::Invalid)
        );
        for garbage in ["", "not base64!", "AAAA"] {
            assert_eq!(
                open(SECRET, "github", "alice", garbage, 2_000),
                Err(SessionError::Invalid)
            );
        }
    }

    #[test]
    fn sessions_sealed_at_the_same_moment_differ_by_their_nonce() {
        let one = seal(SECRET, "github", "alice", 1_000, [1; NONCE_LEN]);
        let two = seal(SECRET, "github", "alice", 1_000, [2; NONCE_LEN]);
        assert_ne!(one, two);
        assert_ne!(revocation_key(&one), revocation_key(&two));
        assert!(open(SECRET, "github", "alice", &two, 2_000).is_ok());
        assert!(!revocation_key(&one).contains(&one));
    }
}
